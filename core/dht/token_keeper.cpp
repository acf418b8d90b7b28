#include "core/dht/token_keeper.hpp"

#include "core/util/sha1.hpp"

namespace btd::dht {

TokenKeeper::TokenKeeper(std::uint64_t seed, TimePoint now)
    : rng_(seed), current_(rng_()), previous_(rng_()), rotated_(now) {}

void TokenKeeper::rotate(TimePoint now) {
  if (now - rotated_ < kRotation) return;
  // After two periods or more, the old secret is as stale as the one before it.
  previous_ = now - rotated_ < 2 * kRotation ? current_ : rng_();
  current_ = rng_();
  rotated_ = now;
}

std::string TokenKeeper::token_for(std::uint64_t secret, const Ipv4& ip) const {
  std::string input(8 + ip.size(), '\0');
  for (std::size_t i = 0; i < 8; ++i) input[i] = static_cast<char>(secret >> (8 * i));
  for (std::size_t i = 0; i < ip.size(); ++i) input[8 + i] = static_cast<char>(ip[i]);
  return std::string(sha1(input).view().substr(0, kTokenSize));
}

std::string TokenKeeper::make(const Ipv4& ip, TimePoint now) {
  rotate(now);
  return token_for(current_, ip);
}

bool TokenKeeper::valid(std::string_view token, const Ipv4& ip, TimePoint now) {
  rotate(now);
  return token.size() == kTokenSize && (token == token_for(current_, ip) || token == token_for(previous_, ip));
}

}  // namespace btd::dht
