#include "core/util/token_bucket.hpp"

#include <doctest/doctest.h>

using namespace btd;
using namespace std::chrono_literals;

namespace {
const TokenBucket::TimePoint t0{std::chrono::seconds(100)};
}

TEST_CASE("an unlimited bucket hands out everything and never owes") {
  TokenBucket b;
  CHECK(b.unlimited());
  CHECK(b.available() == TokenBucket::kUnlimited);
  CHECK(b.take(1'000'000) == 1'000'000);
  b.charge(5'000'000);
  CHECK(b.available() == TokenBucket::kUnlimited);
  CHECK(b.time_until(1'000'000) == 0us);
}

TEST_CASE("a bucket starts full and refills at its rate up to the burst") {
  TokenBucket b(1000, t0);
  CHECK(b.burst() == 200);
  CHECK(b.available() == 200);
  CHECK(b.take(150) == 150);
  CHECK(b.take(150) == 50);  // only what is there
  CHECK(b.available() == 0);
  b.refill(t0 + 100ms);
  CHECK(b.available() == 100);
  b.refill(t0 + 10s);
  CHECK(b.available() == 200);  // capped at the burst
}

TEST_CASE("refills keep fractions: many small steps add up to the rate") {
  TokenBucket b(1000, t0);
  (void)b.take(200);
  std::uint64_t got = 0;
  auto t = t0;
  for (int i = 0; i < 3000; ++i) {  // 3 s in steps of 1 ms (1 token per step exactly)
    t += 1ms;
    b.refill(t);
    got += b.take(1'000'000);
  }
  CHECK(got == 3000);

  TokenBucket odd(3, t0);  // 0.003 tokens per ms: only the carry makes these add up
  (void)odd.take(10);
  std::uint64_t odd_got = 0;
  t = t0;
  for (int i = 0; i < 2000; ++i) {
    t += 1ms;
    odd.refill(t);
    odd_got += odd.take(10);
  }
  CHECK(odd_got == 6);
}

TEST_CASE("charges go into debt that later refills pay off first") {
  TokenBucket b(1000, t0);
  (void)b.take(200);
  b.charge(500);
  CHECK(b.available() == 0);
  CHECK(b.time_until(100) == 600ms);
  b.refill(t0 + 400ms);
  CHECK(b.available() == 0);  // 100 still owed
  b.refill(t0 + 600ms);
  CHECK(b.available() == 100);
  CHECK(b.time_until(100) == 0us);
}

TEST_CASE("debt is bounded by one second of the rate") {
  TokenBucket b(1000, t0);
  b.charge(1'000'000);
  b.refill(t0 + 1200ms);
  CHECK(b.available() == 200);
}

TEST_CASE("time going backwards adds nothing") {
  TokenBucket b(1000, t0 + 1s);
  (void)b.take(200);
  b.refill(t0);
  CHECK(b.available() == 0);
}

TEST_CASE("changing the rate keeps tokens within the new burst; unlimited and back starts full") {
  TokenBucket b(10'000, t0);
  CHECK(b.available() == 2000);
  b.set_rate(1000, t0);
  CHECK(b.available() == 200);
  b.set_rate(0, t0);
  CHECK(b.unlimited());
  b.set_rate(5000, t0 + 1s);
  CHECK(b.available() == 1000);
  b.set_rate(TokenBucket::kMaxRate * 4, t0 + 1s);
  CHECK(b.rate() == TokenBucket::kMaxRate);
  b.refill(t0 + 100s);  // the largest rate over a long gap does not overflow
  CHECK(b.available() == TokenBucket::kMaxRate / 5);
}
