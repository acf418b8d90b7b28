#include "cli/file_list.hpp"

#include <doctest/doctest.h>

using btd::cli::parse_file_list;
using nlohmann::json;

TEST_CASE("file lists: indexes, ranges and all") {
  std::string why;
  CHECK(parse_file_list("1,3,5-7", false, why) == json::parse("[1,3,5,6,7]"));
  CHECK(parse_file_list("0", false, why) == json::parse("[0]"));
  CHECK(parse_file_list("4-4", false, why) == json::parse("[4]"));
  CHECK(parse_file_list("all", true, why) == json("all"));
}

TEST_CASE("file lists: what is refused says why") {
  for (const char* bad : {"", ",", "1,", "a", "-1", "1-", "+2", " 1", "1 ,2", "7-3", "0-1000000", "all"}) {
    CAPTURE(bad);
    std::string why;
    CHECK_FALSE(parse_file_list(bad, false, why).has_value());
    CHECK_FALSE(why.empty());
  }
  std::string why;
  CHECK_FALSE(parse_file_list("7-3", false, why).has_value());
  CHECK(why.find("backwards") != std::string::npos);
}
