#include "core/tracker/announce_response.hpp"

#include <doctest/doctest.h>

using namespace btd::tracker;

TEST_CASE("intervals are clamped to the limits") {
  const ResponseLimits limits;  // default 1800, floor 60, cap 86400
  AnnounceResponse r;
  clamp_intervals(r, std::nullopt, std::nullopt, limits);
  CHECK(r.interval_s == 1800);
  CHECK(r.min_interval_s == 60);
  clamp_intervals(r, 0, std::nullopt, limits);
  CHECK(r.interval_s == 1800);
  clamp_intervals(r, -5, std::nullopt, limits);
  CHECK(r.interval_s == 1800);
  clamp_intervals(r, 5, 1, limits);
  CHECK(r.interval_s == 60);
  CHECK(r.min_interval_s == 60);
  clamp_intervals(r, 10'000'000, 900, limits);
  CHECK(r.interval_s == 86400);
  CHECK(r.min_interval_s == 900);
  // A min interval above the interval is cut to the interval.
  clamp_intervals(r, 600, 3600, limits);
  CHECK(r.interval_s == 600);
  CHECK(r.min_interval_s == 600);
}
