#include "core/mse/rc4.hpp"

#include <doctest/doctest.h>

#include <array>
#include <string>

#include "core/util/hex.hpp"

using namespace btd;
using namespace btd::mse;

namespace {

// A textbook RC4 (key schedule, then the output loop) as an independent oracle.
std::string reference_rc4(std::string_view key, std::string data, std::size_t discard) {
  std::array<std::uint8_t, 256> s{};
  for (std::size_t i = 0; i < 256; ++i) s[i] = static_cast<std::uint8_t>(i);
  std::size_t j = 0;
  for (std::size_t i = 0; i < 256; ++i) {
    j = (j + s[i] + static_cast<std::uint8_t>(key[i % key.size()])) % 256;
    std::swap(s[i], s[j]);
  }
  std::size_t x = 0;
  std::size_t y = 0;
  auto next = [&] {
    x = (x + 1) % 256;
    y = (y + s[x]) % 256;
    std::swap(s[x], s[y]);
    return s[(s[x] + s[y]) % 256];
  };
  for (std::size_t i = 0; i < discard; ++i) next();
  for (char& c : data) c = static_cast<char>(static_cast<std::uint8_t>(c) ^ next());
  return data;
}

}  // namespace

TEST_CASE("the reference RC4 matches the published Key/Plaintext vector") {
  CHECK(to_hex(reference_rc4("Key", "Plaintext", 0)) == "bbf316e8d940af0ad3");
}

TEST_CASE("RC4 is available (OpenSSL legacy provider) and drops the first 1024 bytes of keystream") {
  REQUIRE(rc4_available().ok());
  const std::string key = "0123456789abcdefghij";  // 20 bytes, as MSE keys are
  std::string data(5000, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  const std::string expected = reference_rc4(key, data, 1024);
  CHECK(expected != reference_rc4(key, data, 0));

  auto rc4 = Rc4::create(key);
  REQUIRE(rc4.ok());
  // In pieces of odd sizes: the stream continues across calls.
  std::string got = data;
  std::size_t at = 0;
  for (std::size_t piece = 1; at < got.size(); piece = piece * 3 + 1) {
    const std::size_t n = std::min(piece, got.size() - at);
    rc4->apply(got.data() + at, n);
    at += n;
  }
  CHECK(got == expected);

  // Applying it again with a fresh key stream decrypts.
  auto again = Rc4::create(key);
  REQUIRE(again.ok());
  again->apply(got);
  CHECK(got == data);
}
