#include "core/util/byte_rate.hpp"

#include <doctest/doctest.h>

using namespace btd;

namespace {
constexpr std::uint64_t kMax = std::uint64_t{1} << 40;
}

TEST_CASE("byte rates: plain numbers and 1024-based units") {
  CHECK(parse_byte_rate("0", kMax) == 0u);
  CHECK(parse_byte_rate("1048576", kMax) == 1048576u);
  CHECK(parse_byte_rate("512K", kMax) == 512u * 1024);
  CHECK(parse_byte_rate("512k", kMax) == 512u * 1024);
  CHECK(parse_byte_rate("10M", kMax) == 10u * 1024 * 1024);
  CHECK(parse_byte_rate("10MiB", kMax) == 10u * 1024 * 1024);
  CHECK(parse_byte_rate("10MB", kMax) == 10u * 1024 * 1024);
  CHECK(parse_byte_rate("1.5M", kMax) == 1572864u);
  CHECK(parse_byte_rate("2G", kMax) == std::uint64_t{2} << 30);
  CHECK(parse_byte_rate("100B", kMax) == 100u);
}

TEST_CASE("byte rates: anything else is refused") {
  for (const char* bad : {"", "-1", "+5", " 5", "5 ", "1.", ".5", "5X", "5KiBs", "5iB", "K", "1e6", "0x10"})
    CHECK_MESSAGE(!parse_byte_rate(bad, kMax), bad);
  CHECK_FALSE(parse_byte_rate("2T", kMax));
  CHECK_FALSE(parse_byte_rate("1025G", kMax));
  CHECK(parse_byte_rate("1024G", kMax) == kMax);
  CHECK_FALSE(parse_byte_rate("99999999999999999999999", kMax));
}

TEST_CASE("byte rates format for people") {
  CHECK(format_byte_rate(0) == "unlimited");
  CHECK(format_byte_rate(100) == "100 B/s");
  CHECK(format_byte_rate(512 * 1024) == "512 KiB/s");
  CHECK(format_byte_rate(1572864) == "1.5 MiB/s");
}
