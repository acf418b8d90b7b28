#include "core/bencode/value.hpp"

#include <doctest/doctest.h>

#include "core/bencode/decoder.hpp"

using namespace btd::bencode;

TEST_CASE("encoder sorts dict keys as raw bytes") {
  Dict d;
  d["zeta"] = 1;
  d["alpha"] = "x";
  d["\xff"] = List{1, "two", Dict{}};
  d["Beta"] = -3;
  const std::string out = encode(d);
  CHECK(out == "d4:Betai-3e5:alpha1:x4:zetai1e1:\xffli1e3:twodeee");
  CHECK(decode(out).ok());  // canonical output passes the strict decoder
}

TEST_CASE("raw values are copied verbatim") {
  Dict d;
  d["info"] = Raw{"d1:ai1ee"};
  CHECK(encode(d) == "d4:infod1:ai1eee");
}

TEST_CASE("integers and binary strings") {
  CHECK(encode(INT64_MIN) == "i-9223372036854775808e");
  CHECK(encode(0) == "i0e");
  CHECK(encode(std::string("\0a", 2)) == std::string("2:\0a", 4));
}
