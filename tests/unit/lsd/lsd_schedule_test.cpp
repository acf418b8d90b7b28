#include "core/lsd/lsd_schedule.hpp"

#include <doctest/doctest.h>

using namespace btd;
using namespace btd::lsd;
using namespace std::chrono_literals;

namespace {

InfoHash h(std::uint8_t n) {
  InfoHash out;
  out.bytes[0] = n;
  return out;
}

const AnnounceSchedule::TimePoint t0{std::chrono::hours(2)};

}  // namespace

TEST_CASE("LSD schedule: a new torrent is due at once, then every 5 minutes") {
  AnnounceSchedule s;
  CHECK(s.due({h(1)}, t0, 4) == std::vector<InfoHash>{h(1)});
  CHECK(s.due({h(1)}, t0 + 1s, 4).empty());
  CHECK(s.due({h(1)}, t0 + 299s, 4).empty());
  CHECK(s.due({h(1)}, t0 + 300s, 4) == std::vector<InfoHash>{h(1)});
  // Added later: due at once, without waiting for the other's turn.
  CHECK(s.due({h(1), h(2)}, t0 + 301s, 4) == std::vector<InfoHash>{h(2)});
}

TEST_CASE("LSD schedule: at most `max` per call, new torrents first, then the longest waiting") {
  AnnounceSchedule s;
  std::vector<InfoHash> all;
  for (std::uint8_t i = 0; i < 10; ++i) all.push_back(h(i));
  CHECK(s.due(all, t0, 4).size() == 4);
  CHECK(s.due(all, t0 + 1s, 4).size() == 4);
  auto third = s.due(all, t0 + 2s, 4);
  CHECK(third == std::vector<InfoHash>{h(8), h(9)});
  CHECK(s.due(all, t0 + 3s, 4).empty());
  // Five minutes on, the first batch (oldest) goes first.
  CHECK(s.due(all, t0 + 302s, 4) == std::vector<InfoHash>{h(0), h(1), h(2), h(3)});
}

TEST_CASE("LSD schedule: another client's announce is answered, 10 s after ours at the soonest") {
  AnnounceSchedule s;
  CHECK(s.due({h(1), h(2)}, t0, 4).size() == 2);
  s.answer(h(1), t0 + 5s);  // too soon after ours: put off, not lost
  s.answer(h(9), t0 + 5s);  // not ours: nothing happens
  CHECK(s.due({h(1), h(2)}, t0 + 6s, 4).empty());
  CHECK(s.due({h(1), h(2)}, t0 + 9s, 4).empty());
  CHECK(s.due({h(1), h(2)}, t0 + 10s, 4) == std::vector<InfoHash>{h(1)});
  CHECK(s.due({h(1), h(2)}, t0 + 11s, 4).empty());
  s.answer(h(1), t0 + 11s);
  CHECK(s.due({h(1), h(2)}, t0 + 20s, 4) == std::vector<InfoHash>{h(1)});
  // A flood of announces makes no more than one answer per 10 s.
  int answers = 0;
  for (int i = 21; i <= 60; ++i) {
    s.answer(h(1), t0 + std::chrono::seconds(i));
    answers += static_cast<int>(s.due({h(1), h(2)}, t0 + std::chrono::seconds(i), 4).size());
  }
  CHECK(answers == 4);  // at 30, 40, 50 and 60 s
}

TEST_CASE("LSD schedule: a torrent that stops being active is due at once when it comes back") {
  AnnounceSchedule s;
  CHECK(s.due({h(1)}, t0, 4).size() == 1);
  CHECK(s.due({}, t0 + 10s, 4).empty());  // paused
  CHECK(s.due({h(1)}, t0 + 20s, 4) == std::vector<InfoHash>{h(1)});
  s.reset();
  CHECK(s.due({h(1)}, t0 + 21s, 4) == std::vector<InfoHash>{h(1)});
}
