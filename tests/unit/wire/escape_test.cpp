#include "core/wire/escape.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace btd::wire;
using namespace std::string_literals;

TEST_CASE("printable ASCII passes, everything else is hex-escaped") {
  CHECK(escape_bytes("abc XYZ ~!") == "abc XYZ ~!");
  CHECK(escape_bytes("\0\x1f\x7f\x80\xff"s) == "\\x00\\x1f\\x7f\\x80\\xff");
  CHECK(escape_bytes("a\\b") == "a\\\\b");
  CHECK(escape_bytes("") == "");
}
