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

TEST_CASE("so= applied to a torrent's files: selected files normal, others skipped, out-of-range parts reported") {
  using FP = FilePriority;
  SUBCASE("indexes and a range inside the torrent") {
    auto so = parse_select_only("0,2-3");
    REQUIRE(so.ok());
    const SelectedFiles s = select_only_files(*so, 5);
    CHECK(s.priorities == std::vector<FP>{FP::normal, FP::skip, FP::normal, FP::normal, FP::skip});
    CHECK(s.selected == 3);
    CHECK(s.out_of_range.empty());
  }
  SUBCASE("a range running past the last file keeps its part inside and reports the rest") {
    auto so = parse_select_only("1,3-9,12");
    REQUIRE(so.ok());
    const SelectedFiles s = select_only_files(*so, 5);
    CHECK(s.priorities == std::vector<FP>{FP::skip, FP::normal, FP::skip, FP::normal, FP::normal});
    CHECK(s.selected == 3);
    CHECK(s.out_of_range == std::vector<FileIndexRange>{{5, 9}, {12, 12}});
  }
  SUBCASE("overlapping ranges count each file once") {
    auto so = parse_select_only("0-2,1-2,2");
    REQUIRE(so.ok());
    CHECK(select_only_files(*so, 3).selected == 3);
  }
  SUBCASE("nothing inside: every file skipped, selected 0 (the caller decides)") {
    auto so = parse_select_only("7,16777216");
    REQUIRE(so.ok());
    const SelectedFiles s = select_only_files(*so, 2);
    CHECK(s.selected == 0);
    CHECK(s.priorities == std::vector<FP>{FP::skip, FP::skip});
    CHECK(s.out_of_range.size() == 2);
  }
  SUBCASE("a huge range over a small torrent ends at the torrent's end") {
    auto so = parse_select_only("0-16777216");
    REQUIRE(so.ok());
    const SelectedFiles s = select_only_files(*so, 4);
    CHECK(s.selected == 4);
    CHECK(s.out_of_range == std::vector<FileIndexRange>{{4, 16777216}});
  }
}
