#include "core/tracker/udp_transaction.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/tracker/udp_protocol.hpp"

using namespace btd;
using namespace btd::tracker;

namespace {

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

std::string connect_reply(std::uint32_t tid, std::uint64_t connection_id) {
  return be32(0) + be32(tid) + be32(static_cast<std::uint32_t>(connection_id >> 32)) +
         be32(static_cast<std::uint32_t>(connection_id));
}

std::string announce_reply(std::uint32_t tid) {
  return be32(1) + be32(tid) + be32(900) + be32(2) + be32(4) +
         std::string("\x0a\x00\x00\x07\x1a\xe1", 6);
}

// Hands out 100, 101, 102, ... so tests can predict every transaction id.
struct CountingIds {
  std::uint32_t next = 100;
  std::uint32_t operator()() { return next++; }
};

AnnounceRequest request() {
  AnnounceRequest r;
  r.peer_id = std::string(20, 'p');
  r.port = 6881;
  r.event = Event::started;
  return r;
}

constexpr std::int64_t kSecond = 1000;

// Requests put the action after the 8-byte connection id.
std::uint32_t action_of(const std::string& packet) { return udp::peek_reply_header(packet.substr(8))->action; }

}  // namespace

TEST_CASE("connect then announce, with the reply decoded") {
  UdpAnnounce t(request(), {}, CountingIds{});
  auto e = t.start(0);
  REQUIRE(e.send);
  CHECK(*e.send == udp::encode_connect(100));
  CHECK(e.wake_at_ms == 15 * kSecond);
  CHECK(t.state() == UdpAnnounce::State::connecting);

  e = t.on_packet(connect_reply(100, 0x1122334455667788ull), 2 * kSecond);
  REQUIRE(e.send);
  CHECK(*e.send == udp::encode_announce(0x1122334455667788ull, 101, request()));
  CHECK(e.wake_at_ms == 17 * kSecond);
  CHECK(t.transaction_id() == 101);

  e = t.on_packet(announce_reply(101), 3 * kSecond);
  CHECK_FALSE(e.send);
  CHECK_FALSE(e.wake_at_ms);
  REQUIRE(t.state() == UdpAnnounce::State::done);
  CHECK(t.response().interval_s == 900);
  CHECK(t.response().incomplete == 2);
  CHECK(t.response().complete == 4);
  REQUIRE(t.response().peers.size() == 1);
  CHECK(t.response().peers[0] == PeerEndpoint{"10.0.0.7", 6881});
  REQUIRE(t.connection());
  CHECK(t.connection()->id == 0x1122334455667788ull);
  CHECK(t.connection()->expires_at_ms == 62 * kSecond);
}

TEST_CASE("retransmissions wait 15 * 2^n seconds, n up to 8, then fail") {
  UdpAnnounce t(request(), {}, CountingIds{});
  auto e = t.start(0);
  std::vector<std::int64_t> waits;
  std::int64_t now = 0;
  int sends = 1;
  while (e.wake_at_ms) {
    waits.push_back((*e.wake_at_ms - now) / kSecond);
    // Early timer calls change nothing.
    auto early = t.on_timer(*e.wake_at_ms - 1);
    CHECK_FALSE(early.send);
    CHECK(early.wake_at_ms == e.wake_at_ms);
    now = *e.wake_at_ms;
    e = t.on_timer(now);
    if (e.send) {
      ++sends;
      // The same request, same transaction id, goes out again.
      CHECK(*e.send == udp::encode_connect(100));
    }
  }
  CHECK(waits == std::vector<std::int64_t>{15, 30, 60, 120, 240, 480, 960, 1920, 3840});
  CHECK(sends == 9);
  REQUIRE(t.state() == UdpAnnounce::State::failed);
  CHECK(t.error().message == "UDP tracker did not answer the connect request (sent 9 times, timed out)");
  CHECK(now == 15 * 511 * kSecond);
}

TEST_CASE("a valid reply resets the retransmission counter") {
  UdpAnnounce t(request(), {}, CountingIds{});
  (void)t.start(0);
  (void)t.on_timer(15 * kSecond);          // n = 1
  auto e = t.on_timer(45 * kSecond);      // n = 2, next wait 60 s
  CHECK(e.wake_at_ms == 105 * kSecond);
  e = t.on_packet(connect_reply(100, 7), 50 * kSecond);
  CHECK(e.wake_at_ms == 65 * kSecond);  // the announce starts again at 15 s
}

TEST_CASE("the connection id expires 60 s after it was received") {
  UdpAnnounce t(request(), {}, CountingIds{});
  (void)t.start(0);
  auto e = t.on_packet(connect_reply(100, 42), 1 * kSecond);  // valid until 61 s
  REQUIRE(e.send);
  CHECK(action_of(*e.send) == 1);
  e = t.on_timer(16 * kSecond);  // announce again (n = 1), still within 60 s
  REQUIRE(e.send);
  CHECK(*e.send == udp::encode_announce(42, 101, request()));
  CHECK(e.wake_at_ms == 46 * kSecond);
  e = t.on_timer(46 * kSecond);  // n = 2, still valid
  REQUIRE(e.send);
  CHECK(action_of(*e.send) == 1);
  CHECK(e.wake_at_ms == 106 * kSecond);
  e = t.on_timer(106 * kSecond);  // past 61 s: reconnect with a fresh transaction id
  REQUIRE(e.send);
  CHECK(*e.send == udp::encode_connect(102));
  CHECK(t.state() == UdpAnnounce::State::connecting);
  CHECK_FALSE(t.connection());
  e = t.on_packet(connect_reply(102, 43), 107 * kSecond);
  REQUIRE(e.send);
  CHECK(*e.send == udp::encode_announce(43, 103, request()));
}

TEST_CASE("a cached connection id is reused only while it is fresh") {
  UdpAnnounce fresh(request(), {}, CountingIds{}, UdpConnection{9, 60 * kSecond});
  auto e = fresh.start(59 * kSecond);
  REQUIRE(e.send);
  CHECK(*e.send == udp::encode_announce(9, 100, request()));

  UdpAnnounce stale(request(), {}, CountingIds{}, UdpConnection{9, 60 * kSecond});
  e = stale.start(60 * kSecond);
  REQUIRE(e.send);
  CHECK(*e.send == udp::encode_connect(100));
}

TEST_CASE("stale and foreign replies are ignored") {
  UdpAnnounce t(request(), {}, CountingIds{});
  (void)t.start(0);
  (void)t.on_packet(connect_reply(100, 5), kSecond);  // now announcing with tid 101
  // A late duplicate of the connect reply, another transaction's reply, and runt packets.
  for (const std::string& junk : {connect_reply(100, 6), announce_reply(555), std::string("abc")}) {
    auto e = t.on_packet(junk, 2 * kSecond);
    CHECK_FALSE(e.send);
    CHECK(e.wake_at_ms == 16 * kSecond);
    CHECK(t.state() == UdpAnnounce::State::announcing);
  }
  (void)t.on_packet(announce_reply(101), 3 * kSecond);
  CHECK(t.state() == UdpAnnounce::State::done);
  // Once finished, nothing more happens.
  auto after = t.on_timer(100 * kSecond);
  CHECK_FALSE(after.send);
  CHECK_FALSE(after.wake_at_ms);
}

TEST_CASE("an error reply or a malformed reply for our transaction fails the announce") {
  UdpAnnounce t(request(), {}, CountingIds{});
  (void)t.start(0);
  (void)t.on_packet(connect_reply(100, 5), kSecond);
  auto e = t.on_packet(be32(3) + be32(101) + "torrent not registered", 2 * kSecond);
  CHECK_FALSE(e.wake_at_ms);
  REQUIRE(t.state() == UdpAnnounce::State::failed);
  CHECK(t.error().is(Errc::protocol_error));
  CHECK(t.error().message == "UDP tracker error: torrent not registered");

  UdpAnnounce m(request(), {}, CountingIds{});
  (void)m.start(0);
  (void)m.on_packet(connect_reply(100, 5).substr(0, 12), kSecond);
  REQUIRE(m.state() == UdpAnnounce::State::failed);
  CHECK(m.error().message ==
        "UDP tracker connect reply: packet of 12 bytes is shorter than the minimum 16");
}

TEST_CASE("IPv6 trackers answer with 18-byte peers") {
  UdpAnnounce::Config config;
  config.family = AddressFamily::ipv6;
  UdpAnnounce t(request(), config, CountingIds{}, UdpConnection{1, 60 * kSecond});
  (void)t.start(0);
  std::string peer(18, '\0');
  peer[15] = '\x01';
  peer[17] = '\x50';
  (void)t.on_packet(be32(1) + be32(100) + be32(60) + be32(0) + be32(1) + peer, kSecond);
  REQUIRE(t.state() == UdpAnnounce::State::done);
  REQUIRE(t.response().peers.size() == 1);
  CHECK(t.response().peers[0] == PeerEndpoint{"::1", 80});
}

TEST_CASE("a new request never reuses the previous transaction id") {
  std::vector<std::uint32_t> draws{7, 7, 8};
  std::size_t next = 0;
  UdpAnnounce t(request(), {}, [&] { return draws[next++]; });
  (void)t.start(0);
  CHECK(t.transaction_id() == 7);
  auto e = t.on_packet(connect_reply(7, 1), kSecond);
  CHECK(t.transaction_id() == 8);
  REQUIRE(e.send);
  CHECK(*e.send == udp::encode_announce(1, 8, request()));
  // A late duplicate of the connect reply does not disturb the announce.
  (void)t.on_packet(connect_reply(7, 1), 2 * kSecond);
  CHECK(t.state() == UdpAnnounce::State::announcing);
}
