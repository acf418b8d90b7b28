#include "rpc/utf8.hpp"

#include <doctest/doctest.h>

using namespace btd::rpc;
using namespace std::string_view_literals;

TEST_CASE("valid UTF-8 passes, including 2, 3 and 4 byte forms at the edges") {
  CHECK_FALSE(find_invalid_utf8("").has_value());
  CHECK_FALSE(find_invalid_utf8("plain ascii").has_value());
  CHECK_FALSE(find_invalid_utf8("\xC2\x80 \xDF\xBF").has_value());             // U+0080, U+07FF
  CHECK_FALSE(find_invalid_utf8("\xE0\xA0\x80 \xED\x9F\xBF \xEF\xBF\xBF").has_value());  // U+0800, U+D7FF, U+FFFF
  CHECK_FALSE(find_invalid_utf8("\xF0\x90\x80\x80 \xF4\x8F\xBF\xBF").has_value());  // U+10000, U+10FFFF
}

TEST_CASE("invalid UTF-8 is reported at the first bad byte") {
  CHECK(find_invalid_utf8("ab\xFF") == 2u);
  CHECK(find_invalid_utf8("\x80") == 0u);                 // lone continuation byte
  CHECK(find_invalid_utf8("x\xC0\xAF") == 1u);            // overlong '/'
  CHECK(find_invalid_utf8("\xC1\xBF") == 0u);             // overlong
  CHECK(find_invalid_utf8("\xE0\x9F\xBF") == 0u);         // overlong 3-byte
  CHECK(find_invalid_utf8("\xED\xA0\x80") == 0u);         // surrogate U+D800
  CHECK(find_invalid_utf8("\xF0\x8F\xBF\xBF") == 0u);     // overlong 4-byte
  CHECK(find_invalid_utf8("\xF4\x90\x80\x80") == 0u);     // above U+10FFFF
  CHECK(find_invalid_utf8("\xF5\x80\x80\x80") == 0u);
  CHECK(find_invalid_utf8("ok\xE2\x82") == 2u);           // truncated at end
  CHECK(find_invalid_utf8("\xE2\x28\xA1") == 0u);         // bad continuation
  CHECK(find_invalid_utf8("\xF0\x90\x80\x41") == 0u);     // bad last continuation
}
