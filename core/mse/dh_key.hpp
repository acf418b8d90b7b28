#pragma once
// MSE's Diffie-Hellman: the fixed 768-bit prime P, generator 2, 160-bit private keys. Public keys
// and the shared secret are 96 bytes, big-endian, zero-padded on the left.
#include <array>
#include <cstdint>
#include <string_view>

#include "core/util/result.hpp"

namespace btd::mse {

inline constexpr std::size_t kDhKeySize = 96;
inline constexpr std::size_t kPrivateKeySize = 20;

using DhBytes = std::array<std::uint8_t, kDhKeySize>;

class DhKey {
 public:
  // `private_key`: 20 random bytes (the caller's randomness, so tests can fix it).
  explicit DhKey(const std::array<std::uint8_t, kPrivateKeySize>& private_key);

  const DhBytes& public_key() const noexcept { return public_; }
  // S = their_public ^ private mod P. Refuses the values that would make S predictable to an
  // observer (0, 1, P-1 and anything not below P).
  Result<DhBytes> shared_secret(std::string_view their_public) const;

 private:
  std::array<std::uint8_t, kPrivateKeySize> private_{};
  DhBytes public_{};
};

inline std::string_view as_view(const DhBytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace btd::mse
