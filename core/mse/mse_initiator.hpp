#pragma once
// The side that dials (A in the MSE specification), as bytes in and bytes out.
//
//   A->B  Ya, PadA
//   B->A  Yb, PadB
//   A->B  HASH('req1', S), HASH('req2', SKEY) xor HASH('req3', S),
//         ENCRYPT(VC, crypto_provide, len(PadC), PadC, len(IA), IA)
//   B->A  ENCRYPT(VC, crypto_select, len(PadD), PadD), then the payload stream
//
// IA is our BitTorrent handshake, so it costs no extra round trip.
#include <optional>
#include <string>
#include <string_view>

#include "core/mse/dh_key.hpp"
#include "core/mse/mse_keys.hpp"

namespace btd::mse {

class MseInitiator {
 public:
  // `provide`: kCryptoPlaintext and/or kCryptoRc4 (RC4 must be available when asked for);
  // `initial_payload` (IA): at most 65535 bytes, sent encrypted with the third message.
  MseInitiator(const InfoHash& skey, std::uint32_t provide, std::string initial_payload, RandomSource random);

  // Ya and PadA: write them once the connection is up. Fails only without randomness.
  Result<std::string> start();
  // Bytes read from the socket; after `complete` or a failure, feeding again fails.
  MseStep feed(std::string_view bytes);
  MseResult take_result();

 private:
  enum class State { read_yb, sync_vc, read_select, read_pad_d, done, failed };
  MseStep fail(MseStep& step, std::string reason);

  InfoHash skey_;
  std::uint32_t provide_;
  std::string ia_;
  RandomSource random_;
  std::optional<DhKey> key_;
  State state_ = State::read_yb;
  std::string received_;      // raw bytes not consumed yet
  std::size_t searched_ = 0;  // sync_vc: offsets before this were tried
  std::string vc_pattern_;    // ENCRYPT(VC) under keyB
  std::optional<Rc4> out_;    // keyA
  std::optional<Rc4> in_;     // keyB, past VC once synchronised
  std::uint32_t selected_ = 0;
  std::size_t pad_d_ = 0;
  MseResult result_;
};

}  // namespace btd::mse
