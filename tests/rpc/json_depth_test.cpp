#include "rpc/json_depth.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace btd::rpc;

namespace {

std::string nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST_CASE("depth counts nested arrays and objects") {
  CHECK(json_depth_within("1", 0));
  CHECK_FALSE(json_depth_within("[]", 0));
  CHECK(json_depth_within("[]", 1));
  CHECK(json_depth_within("[[],[],{}]", 2));
  CHECK_FALSE(json_depth_within("[{\"a\":[1]}]", 2));
  CHECK(json_depth_within(nested(64), 64));
  CHECK_FALSE(json_depth_within(nested(65), 64));
}

TEST_CASE("brackets inside strings, also after escaped quotes, do not count") {
  CHECK(json_depth_within(R"({"a":"[[[[[[{{{{"})", 1));
  CHECK(json_depth_within(R"({"a":"\"[[[[\\"})", 1));
  CHECK_FALSE(json_depth_within(R"({"a":"\\"}[[[[)", 1));  // the string ends at the second quote
}
