#include "core/util/base64.hpp"

#include <doctest/doctest.h>

using btd::base64_decoded_size;
using btd::from_base64;
using btd::to_base64;

TEST_CASE("base64 encodes the RFC 4648 section 10 vectors") {
  CHECK(to_base64("") == "");
  CHECK(to_base64("f") == "Zg==");
  CHECK(to_base64("fo") == "Zm8=");
  CHECK(to_base64("foo") == "Zm9v");
  CHECK(to_base64("foob") == "Zm9vYg==");
  CHECK(to_base64("fooba") == "Zm9vYmE=");
  CHECK(to_base64("foobar") == "Zm9vYmFy");
}

TEST_CASE("base64 decodes the RFC 4648 section 10 vectors") {
  CHECK(from_base64("") == std::string(""));
  CHECK(from_base64("Zg==") == std::string("f"));
  CHECK(from_base64("Zm8=") == std::string("fo"));
  CHECK(from_base64("Zm9v") == std::string("foo"));
  CHECK(from_base64("Zm9vYg==") == std::string("foob"));
  CHECK(from_base64("Zm9vYmE=") == std::string("fooba"));
  CHECK(from_base64("Zm9vYmFy") == std::string("foobar"));
}

TEST_CASE("base64 round-trips every byte value, including NUL and the '+' '/' characters") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  const std::string text = to_base64(all);
  CHECK(text.find('+') != std::string::npos);
  CHECK(text.find('/') != std::string::npos);
  CHECK(from_base64(text) == all);
  CHECK(to_base64(std::string("\xfb\xff", 2)) == "+/8=");
  CHECK(base64_decoded_size(text) == 256);
}

TEST_CASE("base64 refuses malformed input") {
  CHECK_FALSE(from_base64("Zg").has_value());        // missing padding
  CHECK_FALSE(from_base64("Zg=").has_value());       // length not a multiple of 4
  CHECK_FALSE(from_base64("Zm9v\n").has_value());    // whitespace
  CHECK_FALSE(from_base64("Zm 9").has_value());
  CHECK_FALSE(from_base64("Zm-_").has_value());      // URL-safe alphabet is not this one
  CHECK_FALSE(from_base64("Z===").has_value());      // too much padding
  CHECK_FALSE(from_base64("====").has_value());
  CHECK_FALSE(from_base64("Zg==Zm9v").has_value());  // padding in the middle
  CHECK_FALSE(from_base64("Zm=v").has_value());      // data after padding
  CHECK_FALSE(from_base64("Zh==").has_value());      // non-zero unused bits ("Zg==" is canonical)
  CHECK_FALSE(from_base64("Zm9=").has_value());      // ditto for one pad ("Zm8=")
  CHECK_FALSE(from_base64(std::string("Zm\0v", 4)).has_value());
  CHECK_FALSE(from_base64("Zm9\xc3").has_value());
}
