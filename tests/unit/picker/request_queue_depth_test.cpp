#include "core/picker/request_queue_depth.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

using namespace btd;
using namespace std::chrono_literals;

TEST_CASE("queue depth covers the target latency at the peer's rate") {
  // 100 blocks per second for 3 s: 300 requests in flight.
  CHECK(request_queue_depth(100.0 * 16384, 3000ms, 500) == 300);
  // 1.5 blocks' worth rounds up.
  CHECK(request_queue_depth(16384.0, 1500ms, 500) == 2);
  CHECK(request_queue_depth(3 * 16384.0, 1000ms, 500) == 3);
  CHECK(request_queue_depth(10 * 16384.0, 2000ms, 500) == 20);
}

TEST_CASE("queue depth is clamped to [2, min(reqq, 500)]") {
  CHECK(request_queue_depth(0, 3000ms, 250) == 2);
  CHECK(request_queue_depth(1e12, 3000ms, 250) == 250);
  CHECK(request_queue_depth(1e12, 3000ms, 100000) == 500);
  CHECK(request_queue_depth(1e300, 3000ms, 100000) == 500);
  CHECK(request_queue_depth(std::numeric_limits<double>::infinity(), 3000ms, 7) == 7);
  // A peer that takes a single request gets one, never more than it allows.
  CHECK(request_queue_depth(1e9, 3000ms, 1) == 1);
  CHECK(request_queue_depth(1e9, 3000ms, 0) == 1);
}

TEST_CASE("nonsense rates count as zero") {
  CHECK(request_queue_depth(std::nan(""), 3000ms, 250) == 2);
  CHECK(request_queue_depth(-5e6, 3000ms, 250) == 2);
  CHECK(request_queue_depth(5e6, -3000ms, 250) == 2);
}
