#include "core/dht/query_limiter.hpp"

#include <doctest/doctest.h>

#include "dht_test_util.hpp"

using namespace btd::dht;
using namespace btd::dht::test;

TEST_CASE("query limiter: a burst per IP, then the rate") {
  QueryLimits limits;
  limits.per_ip_rate = 10;
  limits.per_ip_burst = 5;
  QueryLimiter limiter(limits);
  int allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += limiter.allow({1, 1, 1, 1}, at(0ms)) ? 1 : 0;
  CHECK(allowed == 5);
  // Another address has its own bucket.
  CHECK(limiter.allow({1, 1, 1, 2}, at(0ms)));
  // 10 per second: one more after 100 ms, not before.
  CHECK_FALSE(limiter.allow({1, 1, 1, 1}, at(50ms)));
  CHECK(limiter.allow({1, 1, 1, 1}, at(150ms)));
  CHECK_FALSE(limiter.allow({1, 1, 1, 1}, at(160ms)));
  // Refilled after a pause, up to the burst only.
  allowed = 0;
  for (int i = 0; i < 20; ++i) allowed += limiter.allow({1, 1, 1, 1}, at(60s)) ? 1 : 0;
  CHECK(allowed == 5);
}

TEST_CASE("query limiter: a flood from many addresses meets the total limit") {
  QueryLimits limits;
  limits.per_ip_burst = 5;
  limits.total_rate = 100;
  limits.total_burst = 30;
  QueryLimiter limiter(limits);
  int allowed = 0;
  for (std::uint8_t i = 0; i < 100; ++i) allowed += limiter.allow({9, 9, 9, i}, at(0ms)) ? 1 : 0;
  CHECK(allowed == 30);
}

TEST_CASE("query limiter: the table of sources is bounded") {
  QueryLimits limits;
  limits.max_sources = 16;
  QueryLimiter limiter(limits);
  for (int i = 0; i < 1000; ++i)
    (void)limiter.allow({10, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i), 1},
                        at(std::chrono::milliseconds(i)));
  CHECK(limiter.sources() == 16);
}
