#pragma once
// SHA-1 through OpenSSL's EVP interface: whole buffers or incremental.
#include <array>
#include <compare>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace btd {

struct Sha1Digest {
  static constexpr std::size_t kSize = 20;
  std::array<std::uint8_t, kSize> bytes{};

  std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  std::string hex() const;
  // Exactly 20 raw bytes; anything else yields an all-zero digest and false.
  static bool from_bytes(std::string_view raw, Sha1Digest& out) noexcept;
  auto operator<=>(const Sha1Digest&) const = default;
};

using InfoHash = Sha1Digest;

class Sha1Hasher {
 public:
  Sha1Hasher();
  ~Sha1Hasher();
  Sha1Hasher(Sha1Hasher&&) noexcept;
  Sha1Hasher& operator=(Sha1Hasher&&) noexcept;
  Sha1Hasher(const Sha1Hasher&) = delete;
  Sha1Hasher& operator=(const Sha1Hasher&) = delete;

  void update(std::string_view data);
  void update(const void* data, std::size_t size);
  // Returns the digest and resets the hasher for reuse.
  Sha1Digest finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

Sha1Digest sha1(std::string_view data);

}  // namespace btd

template <>
struct std::hash<btd::Sha1Digest> {
  std::size_t operator()(const btd::Sha1Digest& d) const noexcept {
    std::size_t h = 0;
    for (std::size_t i = 0; i < sizeof(h); ++i) h = (h << 8) | d.bytes[i];
    return h;
  }
};
