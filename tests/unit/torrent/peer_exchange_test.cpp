#include "core/torrent/peer_exchange.hpp"

#include <doctest/doctest.h>

using namespace btd;
using namespace std::chrono_literals;

namespace {

wire::PexPeer peer(int i, std::uint8_t flags = 0) {
  return {{"10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256), 6881}, flags};
}

const PeerExchange::TimePoint t0{std::chrono::hours(1)};

}  // namespace

TEST_CASE("PEX to a peer: the first message names the current set at once, later ones the diff") {
  PeerExchange x;
  CHECK(x.may_send(t0));
  auto first = x.next_message({peer(1, wire::kPexFlagReachable), peer(2)}, t0);
  REQUIRE(first.has_value());
  REQUIRE(first->added.size() == 2);
  CHECK(first->added[0] == peer(1, wire::kPexFlagReachable));
  CHECK(first->dropped.empty());
  // Nothing may go again for 60 s, whatever changed.
  CHECK_FALSE(x.may_send(t0 + 59s));
  CHECK_FALSE(x.next_message({peer(3)}, t0 + 59s).has_value());
  auto second = x.next_message({peer(2), peer(3)}, t0 + 60s);
  REQUIRE(second.has_value());
  CHECK(second->added == std::vector<wire::PexPeer>{peer(3)});
  CHECK(second->dropped == std::vector<tracker::PeerEndpoint>{peer(1).endpoint});
  CHECK(x.told().size() == 2);
}

TEST_CASE("PEX to a peer: no message while nothing changed, and the interval does not restart") {
  PeerExchange x;
  CHECK_FALSE(x.next_message({}, t0).has_value());  // nothing to say yet
  REQUIRE(x.next_message({peer(1)}, t0 + 5s).has_value());  // said as soon as there is something
  CHECK_FALSE(x.next_message({peer(1)}, t0 + 70s).has_value());
  // A change after a quiet spell goes out at once: the last message was over a minute ago.
  auto m = x.next_message({peer(1), peer(2)}, t0 + 80s);
  REQUIRE(m.has_value());
  CHECK(m->added == std::vector<wire::PexPeer>{peer(2)});
}

TEST_CASE("PEX to a peer: at most 50 added per message, the rest in the next ones") {
  PeerExchange x;
  std::vector<wire::PexPeer> many;
  for (int i = 0; i < 120; ++i) many.push_back(peer(i));
  auto a = x.next_message(many, t0);
  REQUIRE(a.has_value());
  CHECK(a->added.size() == PeerExchange::kMaxAdded);
  auto b = x.next_message(many, t0 + 60s);
  REQUIRE(b.has_value());
  CHECK(b->added.size() == 50);
  CHECK(b->added.front() == peer(50));
  auto c = x.next_message(many, t0 + 120s);
  REQUIRE(c.has_value());
  CHECK(c->added.size() == 20);
  // All 120 gone: 50 dropped a message.
  auto d = x.next_message({}, t0 + 180s);
  REQUIRE(d.has_value());
  CHECK(d->dropped.size() == PeerExchange::kMaxDropped);
  CHECK(x.told().size() == 70);
}

TEST_CASE("PEX from a peer: 3 messages a minute are accepted, a 4th within it is not") {
  PeerExchange x;
  CHECK(x.on_received(t0));
  CHECK(x.on_received(t0 + 1s));
  CHECK(x.on_received(t0 + 2s));
  CHECK_FALSE(x.on_received(t0 + 59s));
  // A well-behaved peer, one a minute, is never refused.
  PeerExchange y;
  for (int i = 0; i < 20; ++i) CHECK(y.on_received(t0 + std::chrono::seconds(60 * i)));
  // Sliding window: after the oldest is a minute old, one more fits.
  PeerExchange z;
  CHECK(z.on_received(t0));
  CHECK(z.on_received(t0 + 30s));
  CHECK(z.on_received(t0 + 40s));
  CHECK(z.on_received(t0 + 60s));
  CHECK_FALSE(z.on_received(t0 + 61s));
}
