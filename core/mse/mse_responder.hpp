#pragma once
// The side that accepts (B in the MSE specification), as bytes in and bytes out. It learns the
// torrent only from HASH('req2', SKEY), so the daemon's lookup maps that back to an info-hash.
// Every wait for the other side is bounded by the specification's limits: Ya is 96 bytes, req1
// must start within 512 bytes of padding after it, PadC is at most 512 bytes; anything else
// fails at once instead of buffering.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/mse/dh_key.hpp"
#include "core/mse/mse_keys.hpp"

namespace btd::mse {

// HASH('req2', SKEY) -> SKEY, or nullopt when we do not serve that torrent.
using SkeyLookup = std::function<std::optional<InfoHash>(const Sha1Digest& req2)>;

struct ResponderPolicy {
  std::uint32_t accept = kCryptoPlaintext | kCryptoRc4;  // what we may select
  // When the peer offers both: plaintext keeps bulk data out of RC4 (cheaper for both sides).
  bool prefer_plaintext = true;
};

class MseResponder {
 public:
  MseResponder(ResponderPolicy policy, SkeyLookup lookup, RandomSource random);

  // Bytes read from the socket; after `complete` or a failure, feeding again fails.
  MseStep feed(std::string_view bytes);
  MseResult take_result();

 private:
  enum class State { read_ya, sync_req1, read_skey, read_vc, read_pad_c, done, failed };
  MseStep fail(MseStep& step, std::string reason);
  MseStep finish(MseStep& step, std::size_t ia);

  ResponderPolicy policy_;
  SkeyLookup lookup_;
  RandomSource random_;
  State state_ = State::read_ya;
  std::string received_;  // raw bytes not consumed yet
  std::size_t searched_ = 0;
  std::optional<DhBytes> secret_;
  Sha1Digest req1_;
  InfoHash skey_;
  std::optional<Rc4> in_;   // keyA
  std::optional<Rc4> out_;  // keyB
  std::uint32_t provide_ = 0;
  std::size_t pad_c_ = 0;
  MseResult result_;
};

}  // namespace btd::mse
