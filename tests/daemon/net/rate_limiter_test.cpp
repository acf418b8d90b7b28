#include "daemon/net/rate_limiter.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace btd;
using namespace btd::net;
using namespace std::chrono_literals;

namespace {

const RateLimiter::TimePoint t0{std::chrono::seconds(50)};

InfoHash hash_of(char c) {
  InfoHash h;
  h.bytes.fill(static_cast<std::uint8_t>(c));
  return h;
}

std::map<SocketId, std::uint64_t> by_socket(const std::vector<RateLimiter::Grant>& grants) {
  std::map<SocketId, std::uint64_t> out;
  for (const auto& g : grants) out[g.socket] += g.bytes;
  return out;
}

}  // namespace

TEST_CASE("rate limiter: nothing is limited until a rate is set") {
  RateLimiter l;
  const InfoHash a = hash_of('a');
  CHECK_FALSE(l.limited(a, Direction::down));
  l.set_rate(a, Direction::up, 1000, t0);
  CHECK(l.limited(a, Direction::up));
  CHECK_FALSE(l.limited(a, Direction::down));
  CHECK_FALSE(l.limited(hash_of('b'), Direction::up));
  l.set_rate(Direction::down, 5000, t0);
  CHECK(l.limited(hash_of('b'), Direction::down));
  l.set_rate(a, Direction::up, 0, t0);
  CHECK_FALSE(l.limited(a, Direction::up));
}

TEST_CASE("rate limiter: waiting readers share a bucket equally, whoever asked first") {
  RateLimiter l;
  const InfoHash a = hash_of('a');
  l.set_rate(Direction::down, 10'000, t0);  // burst 2000
  for (SocketId s = 1; s <= 4; ++s) l.wait(s, a, Direction::down, RateLimiter::kAny);
  auto first = by_socket(l.tick(t0));
  REQUIRE(first.size() == 4);
  for (auto& [s, bytes] : first) CHECK(bytes == 500);
  CHECK_FALSE(l.waiting());  // readers leave the line with their quota

  // Over a simulated second, socket 1 always asks again, the others never do: it still gets
  // no more than the rate.
  std::uint64_t total = 0;
  auto t = t0;
  for (int i = 0; i < 20; ++i) {
    t += 50ms;
    l.wait(1, a, Direction::down, RateLimiter::kAny);
    total += by_socket(l.tick(t))[1];
  }
  CHECK(total >= 9'000);
  CHECK(total <= 10'000);
}

TEST_CASE("rate limiter: a byte needs tokens from the global and its torrent's bucket") {
  RateLimiter l;
  const InfoHash a = hash_of('a'), b = hash_of('b');
  l.set_rate(Direction::down, 10'000, t0);      // burst 2000
  l.set_rate(a, Direction::down, 1'000, t0);     // burst 200
  l.wait(1, a, Direction::down, RateLimiter::kAny);
  l.wait(2, b, Direction::down, RateLimiter::kAny);
  auto g = by_socket(l.tick(t0));
  CHECK(g[1] == 200);   // its torrent's limit binds
  CHECK(g[2] == 1000);  // an equal share of the global bucket
}

TEST_CASE("rate limiter: uploads wait for exactly what they need, in turn") {
  RateLimiter l;
  const InfoHash a = hash_of('a');
  l.set_rate(Direction::up, 10'000, t0);
  l.wait(7, a, Direction::up, 3000);  // more than one burst
  auto g1 = l.tick(t0);
  REQUIRE(g1.size() == 1);
  CHECK(g1[0].bytes == 2000);
  CHECK(l.is_waiting(7, Direction::up));
  auto g2 = l.tick(t0 + 100ms);
  REQUIRE(g2.size() == 1);
  CHECK(g2[0].bytes == 1000);  // only what was still missing
  CHECK_FALSE(l.is_waiting(7, Direction::up));
}

TEST_CASE("rate limiter: charged protocol bytes delay later grants; cancel leaves the line") {
  RateLimiter l;
  const InfoHash a = hash_of('a');
  l.set_rate(Direction::up, 10'000, t0);
  l.charge(a, Direction::up, 4000);  // 2000 into debt
  l.wait(1, a, Direction::up, 100);
  CHECK(l.tick(t0).empty());
  CHECK(l.tick(t0 + 200ms).empty());  // the debt is paid first
  CHECK(by_socket(l.tick(t0 + 250ms))[1] == 100);
  l.wait(2, a, Direction::up, 100);
  l.cancel(2);
  CHECK_FALSE(l.waiting());
}
