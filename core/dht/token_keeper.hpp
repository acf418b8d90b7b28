#pragma once
// announce_peer tokens (BEP 5): a get_peers answer carries a token bound to the asker's IP; an
// announce_peer must bring it back from the same IP. Tokens are a hash of a secret and the IP,
// so nothing is stored per asker. The secret changes every 5 minutes and the previous one is
// still accepted, so a token lives 5 to 10 minutes.
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "core/dht/node_id.hpp"

namespace btd::dht {

class TokenKeeper {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  static constexpr std::chrono::seconds kRotation{5 * 60};
  static constexpr std::size_t kTokenSize = 8;

  TokenKeeper(std::uint64_t seed, TimePoint now);

  std::string make(const Ipv4& ip, TimePoint now);
  bool valid(std::string_view token, const Ipv4& ip, TimePoint now);

 private:
  void rotate(TimePoint now);
  std::string token_for(std::uint64_t secret, const Ipv4& ip) const;

  std::mt19937_64 rng_;
  std::uint64_t current_;
  std::uint64_t previous_;
  TimePoint rotated_;
};

}  // namespace btd::dht
