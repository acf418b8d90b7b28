#include "core/util/hex.hpp"

#include <doctest/doctest.h>

using namespace btd;

TEST_CASE("hex round trip and rejects bad input") {
  CHECK(to_hex(std::string("\x00\xff\x10", 3)) == "00ff10");
  CHECK(from_hex("00FF10") == std::string("\x00\xff\x10", 3));
  CHECK_FALSE(from_hex("abc").has_value());
  CHECK_FALSE(from_hex("zz").has_value());
  CHECK(from_hex("")->empty());
}

TEST_CASE("base32 decodes RFC 4648 vectors, any case") {
  CHECK(from_base32("MZXW6YTBOI") == "foobar");
  CHECK(from_base32("mzxw6ytboi") == "foobar");
  CHECK(from_base32("MZXW6YQ=") == "foob");
  CHECK(to_base32("foobar") == "MZXW6YTBOI");
  CHECK_FALSE(from_base32("MZXW6YT1").has_value());  // '1' is not in the alphabet
}

TEST_CASE("base32 of a 20-byte info-hash is 32 characters and round-trips") {
  const std::string raw = *from_hex("c12fe1c06bba254a9dc9f519b335aa7c1367a88a");
  const std::string b32 = to_base32(raw);
  CHECK(b32.size() == 32);
  CHECK(from_base32(b32) == raw);
}
