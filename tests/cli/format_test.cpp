#include "cli/format.hpp"

#include <doctest/doctest.h>

using namespace btd::cli;

TEST_CASE("sizes") {
  CHECK(format_size(512) == "512 B");
  CHECK(format_size(1536) == "1.50 KiB");
  CHECK(format_size(1073741824) == "1.00 GiB");
}

TEST_CASE("parse_size accepts suffixes and refuses garbage and overflow") {
  CHECK(parse_size("262144") == 262144);
  CHECK(parse_size("256K") == 262144);
  CHECK(parse_size("256KiB") == 262144);
  CHECK(parse_size("4m") == 4194304);
  CHECK_FALSE(parse_size("lots").has_value());
  CHECK_FALSE(parse_size("12Q").has_value());
  CHECK_FALSE(parse_size("").has_value());
  CHECK_FALSE(parse_size("99999999999999999999").has_value());
  CHECK_FALSE(parse_size("9999999999999G").has_value());
}

TEST_CASE("durations and times") {
  CHECK(format_duration(std::nullopt) == "-");
  CHECK(format_duration(59) == "59s");
  CHECK(format_duration(61) == "1m 01s");
  CHECK(format_duration(3720) == "1h 02m");
  CHECK(format_duration(90000) == "1d 01h");
  CHECK(format_unix_time(0) == "1970-01-01 00:00:00 UTC");
}
