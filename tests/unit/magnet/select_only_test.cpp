#include "core/magnet/select_only.hpp"

#include <doctest/doctest.h>

using namespace btd;

TEST_CASE("so= parses single indexes and inclusive ranges (BEP 53)") {
  auto r = parse_select_only("0,2,4-6");
  REQUIRE(r.ok());
  CHECK(*r == std::vector<FileIndexRange>{{0, 0}, {2, 2}, {4, 6}});
  CHECK(is_selected(*r, 0));
  CHECK_FALSE(is_selected(*r, 1));
  CHECK(is_selected(*r, 2));
  CHECK_FALSE(is_selected(*r, 3));
  CHECK(is_selected(*r, 4));
  CHECK(is_selected(*r, 6));
  CHECK_FALSE(is_selected(*r, 7));
  auto one = parse_select_only("7-7");
  REQUIRE(one.ok());
  CHECK(*one == std::vector<FileIndexRange>{{7, 7}});
}

TEST_CASE("so= refuses what is not a list of indexes, naming the bad part") {
  for (const char* bad : {"", ",", "1,", ",1", "a", "1-", "-1", "1--2", "+1", " 1", "1 ", "3-1", "99999999999",
                          "16777217"}) {
    CAPTURE(bad);
    auto r = parse_select_only(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().is(Errc::invalid_magnet));
  }
  CHECK(parse_select_only("3-1").error().message.find("\"3-1\" runs backwards") != std::string::npos);
  CHECK(parse_select_only("1,x").error().message.find("\"x\" is not a file index") != std::string::npos);
  CHECK(parse_select_only("16777216").ok());
}

TEST_CASE("so= with too many ranges is refused") {
  std::string so;
  for (std::size_t i = 0; i < kMaxSelectRanges; ++i) so += std::to_string(i) + ",";
  so.pop_back();
  CHECK(parse_select_only(so).ok());
  so += ",5000";
  auto r = parse_select_only(so);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("more than 1024 ranges") != std::string::npos);
}
