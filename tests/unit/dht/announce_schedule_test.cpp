#include "core/dht/announce_schedule.hpp"

#include <doctest/doctest.h>

#include "dht_test_util.hpp"

using namespace btd;
using namespace btd::dht;
using namespace btd::dht::test;

namespace {
InfoHash hash_of(std::uint8_t b) {
  InfoHash h;
  h.bytes.fill(b);
  return h;
}
}  // namespace

TEST_CASE("announce schedule: at once, then every 15 min, 5 with few peers, 10 s after reaching nobody") {
  AnnounceSchedule s;
  const ScheduledTorrent many{hash_of(1), 30};
  const ScheduledTorrent few{hash_of(2), 2};
  CHECK(s.due({many, few}, at(0ms)).size() == 2);
  CHECK(s.due({many, few}, at(1s)).empty());  // running
  s.done(hash_of(1), 8, at(2s));
  s.done(hash_of(2), 8, at(2s));
  CHECK(s.due({many, few}, at(5min)).empty());
  CHECK(s.due({many, few}, at(5min + 2s)) == std::vector<InfoHash>{hash_of(2)});
  CHECK(s.due({many, few}, at(15min + 1s)).empty());
  CHECK(s.due({many, few}, at(15min + 2s)) == std::vector<InfoHash>{hash_of(1)});
  s.done(hash_of(1), 0, at(16min));  // reached nobody
  CHECK(s.due({many}, at(16min + 9s)).empty());
  CHECK(s.due({many}, at(16min + 10s)) == std::vector<InfoHash>{hash_of(1)});
  // hash 2 was left out: forgotten; when it comes back it is due at once.
  CHECK(s.size() == 1);
  CHECK(s.due({many, few}, at(17min)) == std::vector<InfoHash>{hash_of(2)});
  // With no peers at all, every minute.
  const ScheduledTorrent none{hash_of(2), 0};
  s.done(hash_of(2), 8, at(18min));
  CHECK(s.due({none}, at(18min + 59s)).empty());
  CHECK(s.due({none}, at(19min)) == std::vector<InfoHash>{hash_of(2)});
}
