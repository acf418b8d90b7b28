#include "core/torrent/peer_candidates.hpp"

#include <doctest/doctest.h>

using namespace btd;
using tracker::PeerEndpoint;

namespace {
const PeerCandidates::TimePoint t0{std::chrono::hours(1)};
}

TEST_CASE("a seed dials only peers the user named") {
  PeerCandidates c;
  c.add({{"10.0.0.1", 1}, {"10.0.0.2", 2}});
  c.add({{"10.0.0.3", 3}}, true);
  auto taken = c.take(10, t0, true);
  REQUIRE(taken.size() == 1);
  CHECK(taken[0] == PeerEndpoint{"10.0.0.3", 3});
  CHECK(c.take(10, t0).size() == 2);  // a leecher dials the rest
}

TEST_CASE("failed attempts back off and are dropped after repeated failures") {
  PeerCandidates c;
  const PeerEndpoint ep{"10.0.0.1", 1};
  c.add({ep});
  for (int i = 0; i < PeerCandidates::kMaxFailures - 1; ++i) {
    REQUIRE(c.take(1, t0 + std::chrono::hours(i)).size() == 1);
    c.on_failed(ep, t0 + std::chrono::hours(i));
    CHECK(c.take(1, t0 + std::chrono::hours(i)).empty());  // not again right away
  }
  REQUIRE(c.take(1, t0 + std::chrono::hours(10)).size() == 1);
  c.on_failed(ep, t0 + std::chrono::hours(10));
  CHECK(c.size() == 0);
}

TEST_CASE("banned addresses never come back, whatever their port") {
  PeerCandidates c;
  c.ban("10.0.0.9");
  CHECK(c.add({{"10.0.0.9", 1}, {"10.0.0.9", 2}}) == 0);
  CHECK(c.take(10, t0).empty());
}

TEST_CASE("connecting or connected peers are not handed out twice") {
  PeerCandidates c;
  c.add({{"10.0.0.1", 1}});
  CHECK(c.take(10, t0).size() == 1);
  CHECK(c.take(10, t0).empty());
  c.on_connected({"10.0.0.1", 1});
  CHECK(c.take(10, t0).empty());
  c.on_disconnected({"10.0.0.1", 1}, t0);
  CHECK(c.take(10, t0).empty());
  CHECK(c.take(10, t0 + std::chrono::minutes(1)).size() == 1);
}
