#include "core/picker/snub_timer.hpp"

#include <doctest/doctest.h>

using namespace btd;
using namespace std::chrono_literals;

namespace {
const SnubTimer::TimePoint t0{};
}

TEST_CASE("a peer is snubbed after a minute of outstanding requests and no block") {
  SnubTimer s;
  s.on_outstanding(5, t0);
  s.on_outstanding(8, t0 + 30s);  // more requests do not restart the wait
  CHECK_FALSE(s.snubbed(t0 + 59s));
  CHECK(s.snubbed(t0 + 60s));
  s.on_block(7, t0 + 61s);
  CHECK_FALSE(s.snubbed(t0 + 61s));
  CHECK_FALSE(s.snubbed(t0 + 120s));
  CHECK(s.snubbed(t0 + 121s));
}

TEST_CASE("nothing outstanding is never a snub") {
  SnubTimer s;
  CHECK_FALSE(s.snubbed(t0 + 1000s));
  s.on_outstanding(1, t0);
  s.on_outstanding(0, t0 + 10s);
  CHECK_FALSE(s.snubbed(t0 + 1000s));
  s.on_outstanding(1, t0 + 1000s);
  s.on_block(0, t0 + 1001s);
  CHECK_FALSE(s.snubbed(t0 + 5000s));
  s.on_outstanding(2, t0 + 0s);
  CHECK(s.snubbed(t0 + 10s, 10s));
}
