#include "core/tracker/tracker_list.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace btd::tracker;

namespace {

// Fisher-Yates with j = i every time: the order stays as written.
std::size_t keep_order(std::size_t bound) { return bound - 1; }

constexpr std::int64_t kSecond = 1000;

AnnounceResponse reply(std::int64_t interval_s = 1800, std::int64_t min_interval_s = 60,
                       std::size_t peer_count = 0) {
  AnnounceResponse r;
  r.interval_s = interval_s;
  r.min_interval_s = min_interval_s;
  for (std::size_t i = 0; i < peer_count; ++i) r.peers.push_back({"10.0.0.1", 6881});
  return r;
}

std::vector<std::string> urls_in_order(const TrackerList& list) {
  std::vector<std::string> out;
  for (const auto& s : list.status()) out.push_back(s.url);
  return out;
}

}  // namespace

TEST_CASE("each tier is shuffled once with the randomness handed in") {
  std::vector<std::size_t> bounds;
  TrackerList list({{"a", "b", "c"}, {"d"}}, [&](std::size_t bound) {
    bounds.push_back(bound);
    return std::size_t{0};
  });
  // i = 2: swap(c, a) -> c b a; i = 1: swap(b, c) -> b c a. A one-tracker tier draws nothing.
  CHECK(bounds == std::vector<std::size_t>{3, 2});
  CHECK(urls_in_order(list) == std::vector<std::string>{"b", "c", "a", "d"});
  CHECK(list.status()[3].tier == 1);
}

TEST_CASE("blank and repeated URLs and empty tiers are dropped") {
  TrackerList list({{"a", "", "a"}, {}, {"a", "b"}}, keep_order);
  const auto status = list.status();
  REQUIRE(status.size() == 2);
  CHECK(status[0].url == "a");
  CHECK(status[0].tier == 0);
  CHECK(status[1].url == "b");
  CHECK(status[1].tier == 1);
  TrackerList none({}, keep_order);
  CHECK(none.empty());
  CHECK_FALSE(none.poll(0, true));
}

TEST_CASE("failover goes down the tier, then to the next tier; success promotes") {
  TrackerList list({{"a", "b", "c"}, {"d"}}, keep_order);
  auto job = list.poll(0, false);
  REQUIRE(job);
  CHECK(job->url == "a");
  CHECK(job->event == Event::started);
  CHECK_FALSE(list.poll(0, false));  // one at a time
  CHECK_FALSE(list.next_poll_ms(false));
  list.on_announce_error(job->id, "connection refused", 1 * kSecond);
  CHECK(list.next_poll_ms(false) == 0);

  job = list.poll(1 * kSecond, false);
  REQUIRE(job);
  CHECK(job->url == "b");
  list.on_announce_reply(job->id, reply(), 2 * kSecond);
  CHECK(urls_in_order(list) == std::vector<std::string>{"b", "a", "c", "d"});

  // The next round starts with the promoted tracker, and it already got "started".
  job = list.poll(1802 * kSecond, false);
  REQUIRE(job);
  CHECK(job->url == "b");
  CHECK(job->event == Event::none);
  // b fails now: a never got "started", so it gets it.
  list.on_announce_error(job->id, "timeout", 1803 * kSecond);
  job = list.poll(1803 * kSecond, false);
  REQUIRE(job);
  CHECK(job->url == "a");
  CHECK(job->event == Event::started);
  list.on_announce_error(job->id, "timeout", 1804 * kSecond);
  job = list.poll(1804 * kSecond, false);
  REQUIRE(job);
  CHECK(job->url == "c");
  list.on_announce_error(job->id, "timeout", 1805 * kSecond);
  job = list.poll(1805 * kSecond, false);
  REQUIRE(job);
  CHECK(job->url == "d");
  list.on_announce_reply(job->id, reply(), 1806 * kSecond);
  // Promotion is within a tier only: tier 0 keeps its order.
  CHECK(urls_in_order(list) == std::vector<std::string>{"b", "a", "c", "d"});
}

TEST_CASE("a failure reason counts as a failure of that tracker") {
  TrackerList list({{"a", "b"}}, keep_order);
  auto job = list.poll(0, false);
  AnnounceResponse refused;
  refused.failure_reason = "unregistered torrent";
  list.on_announce_reply(job->id, refused, kSecond);
  const auto status = list.status();
  CHECK(status[0].status == "error");
  CHECK(status[0].last_error == "tracker refused: unregistered torrent");
  job = list.poll(kSecond, false);
  REQUIRE(job);
  CHECK(job->url == "b");
  CHECK(job->event == Event::started);
}

TEST_CASE("when every tracker fails, rounds back off from 60 s, doubling") {
  TrackerList list({{"a"}, {"b"}}, keep_order);
  std::int64_t now = 0;
  std::vector<std::int64_t> waits;
  for (int round = 0; round < 7; ++round) {
    for (int i = 0; i < 2; ++i) {
      auto job = list.poll(now, false);
      REQUIRE(job);
      list.on_announce_error(job->id, "down", now);
    }
    const std::int64_t next = *list.next_poll_ms(true);
    CHECK_FALSE(list.poll(next - 1, true));  // not even when short of peers
    waits.push_back((next - now) / kSecond);
    now = next;
  }
  CHECK(waits == std::vector<std::int64_t>{60, 120, 240, 480, 960, 1800, 1800});
  CHECK(list.status()[0].next_announce_ms == now);
}

TEST_CASE("re-announce at the interval, earlier for peers but not before the min interval") {
  TrackerList list({{"a"}}, keep_order);
  auto job = list.poll(0, false);
  list.on_announce_reply(job->id, reply(1800, 300, 7), 0);
  CHECK(list.next_poll_ms(false) == 1800 * kSecond);
  CHECK(list.next_poll_ms(true) == 300 * kSecond);
  CHECK_FALSE(list.poll(1799 * kSecond, false));
  CHECK_FALSE(list.poll(299 * kSecond, true));
  job = list.poll(300 * kSecond, true);
  REQUIRE(job);
  CHECK(job->event == Event::none);
  list.on_announce_reply(job->id, reply(1800, 300), 300 * kSecond);
  CHECK_FALSE(list.poll(2099 * kSecond, false));
  CHECK(list.poll(2100 * kSecond, false));
}

TEST_CASE("a min interval above the interval wins") {
  TrackerList list({{"a"}}, keep_order);
  auto job = list.poll(0, false);
  list.on_announce_reply(job->id, reply(100, 900), 0);
  CHECK_FALSE(list.poll(899 * kSecond, false));
  CHECK(list.poll(900 * kSecond, false));
}

TEST_CASE("events: started, then none, completed once, stopped at shutdown") {
  TrackerList list({{"a"}}, keep_order);
  auto job = list.poll(0, false);
  CHECK(job->event == Event::started);
  list.on_announce_reply(job->id, reply(1800, 60), 0);
  job = list.poll(1800 * kSecond, false);
  CHECK(job->event == Event::none);
  list.on_announce_reply(job->id, reply(1800, 60), 1800 * kSecond);

  list.on_download_completed();
  // Completion is reported early, but after the min interval.
  CHECK(list.next_poll_ms(false) == 1860 * kSecond);
  CHECK_FALSE(list.poll(1859 * kSecond, false));
  job = list.poll(1860 * kSecond, false);
  REQUIRE(job);
  CHECK(job->event == Event::completed);
  // A failed "completed" is owed still.
  list.on_announce_error(job->id, "timeout", 1860 * kSecond);
  job = list.poll(1920 * kSecond, false);
  REQUIRE(job);
  CHECK(job->event == Event::completed);
  list.on_announce_reply(job->id, reply(1800, 60), 1920 * kSecond);
  job = list.poll(3720 * kSecond, false);
  CHECK(job->event == Event::none);
  list.on_announce_reply(job->id, reply(1800, 60), 3720 * kSecond);
  // Completing again (more files wanted, then in) is not a second "completed".
  list.on_download_completed();
  job = list.poll(5520 * kSecond, false);
  REQUIRE(job);
  CHECK(job->event == Event::none);
  list.on_announce_reply(job->id, reply(1800, 60), 5520 * kSecond);

  list.stop();
  CHECK_FALSE(list.stopped());
  job = list.poll(3721 * kSecond, false);
  REQUIRE(job);
  CHECK(job->event == Event::stopped);
  CHECK_FALSE(list.poll(3721 * kSecond, false));
  list.on_announce_reply(job->id, reply(), 3722 * kSecond);
  CHECK(list.stopped());
}

TEST_CASE("completion before any tracker heard \"started\" sends no \"completed\"") {
  TrackerList list({{"a"}}, keep_order);
  list.on_download_completed();
  auto job = list.poll(0, false);
  CHECK(job->event == Event::started);  // the caller sends left=0 with it
  list.on_announce_reply(job->id, reply(1800, 60), 0);
  job = list.poll(1800 * kSecond, true);
  REQUIRE(job);
  CHECK(job->event == Event::none);
  CHECK(list.next_poll_ms(false) == std::nullopt);
}

TEST_CASE("completion while \"started\" is in flight is still reported") {
  TrackerList list({{"a"}}, keep_order);
  auto job = list.poll(0, false);
  list.on_download_completed();
  list.on_announce_reply(job->id, reply(1800, 60), 0);
  job = list.poll(60 * kSecond, false);
  REQUIRE(job);
  CHECK(job->event == Event::completed);
}

TEST_CASE("stopped goes to every tracker that got started, and only to those") {
  TrackerList list({{"a"}, {"b"}, {"c"}}, keep_order);
  auto job = list.poll(0, false);  // a: started, ok
  list.on_announce_reply(job->id, reply(), 0);
  job = list.poll(1800 * kSecond, false);  // a fails
  list.on_announce_error(job->id, "down", 1800 * kSecond);
  job = list.poll(1800 * kSecond, false);  // b: started, ok
  CHECK(job->url == "b");
  list.on_announce_reply(job->id, reply(), 1800 * kSecond);

  list.stop();
  auto first = list.poll(1900 * kSecond, false);
  auto second = list.poll(1900 * kSecond, false);  // both at once
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->url == "a");
  CHECK(second->url == "b");
  CHECK(first->event == Event::stopped);
  CHECK(second->event == Event::stopped);
  CHECK_FALSE(list.poll(1900 * kSecond, false));  // c never heard of us
  list.on_announce_error(first->id, "down", 1901 * kSecond);  // no retry
  CHECK_FALSE(list.stopped());
  list.on_announce_reply(second->id, reply(), 1901 * kSecond);
  CHECK(list.stopped());
  CHECK_FALSE(list.poll(5000 * kSecond, true));
}

TEST_CASE("stop before any announce has nothing to send") {
  TrackerList list({{"a"}}, keep_order);
  list.stop();
  CHECK(list.stopped());
  CHECK_FALSE(list.poll(0, true));
}

TEST_CASE("stop while \"started\" is in flight sends \"stopped\" once it is answered") {
  TrackerList list({{"a"}}, keep_order);
  auto job = list.poll(0, false);
  list.stop();
  CHECK_FALSE(list.poll(0, false));
  CHECK_FALSE(list.stopped());
  list.on_announce_reply(job->id, reply(), kSecond);
  auto stop = list.poll(kSecond, false);
  REQUIRE(stop);
  CHECK(stop->event == Event::stopped);
  list.on_announce_reply(stop->id, reply(), 2 * kSecond);
  CHECK(list.stopped());
}

TEST_CASE("status rows: states, counts, tracker id and next announce") {
  TrackerList list({{"a", "b"}}, keep_order);
  auto status = list.status();
  CHECK(status[0].status == "not contacted");
  CHECK_FALSE(status[0].last_announce_ms);
  auto job = list.poll(0, false);
  CHECK(list.status()[0].status == "updating");
  list.on_announce_error(job->id, "HTTP 502", 5);
  job = list.poll(5, false);
  AnnounceResponse r = reply(900, 60, 3);
  r.complete = 4;
  r.incomplete = 9;
  r.tracker_id = "xyz";
  r.warning_message = "slow down";
  list.on_announce_reply(job->id, r, 10);
  status = list.status();
  REQUIRE(status.size() == 2);
  CHECK(status[0].url == "b");
  CHECK(status[0].status == "working");
  CHECK(status[0].peers == 3u);
  CHECK(status[0].seeders == 4);
  CHECK(status[0].leechers == 9);
  CHECK(status[0].warning == "slow down");
  CHECK(status[0].last_announce_ms == 10);
  CHECK(status[0].next_announce_ms == 10 + 900 * kSecond);
  CHECK(status[1].url == "a");
  CHECK(status[1].status == "error");
  CHECK(status[1].last_error == "HTTP 502");
  CHECK_FALSE(status[1].next_announce_ms);
  // The tracker id comes back on the next announce to that tracker.
  job = list.poll(10 + 900 * kSecond, false);
  REQUIRE(job);
  CHECK(job->tracker_id == "xyz");
}

TEST_CASE("outcomes for unknown jobs are ignored") {
  TrackerList list({{"a"}}, keep_order);
  auto job = list.poll(0, false);
  list.on_announce_reply(job->id + 1, reply(), 0);
  list.on_announce_error(job->id + 7, "x", 0);
  CHECK(list.status()[0].status == "updating");
}
