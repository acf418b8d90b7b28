#include "core/tracker/compact_peers.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace btd;
using namespace btd::tracker;

TEST_CASE("compact IPv4 peers decode address and big-endian port") {
  const std::string bytes("\x0a\x00\x00\x01\x1a\xe1" "\xc0\xa8\x01\x02\x00\x50", 12);
  std::vector<PeerEndpoint> peers;
  REQUIRE(append_compact_peers(bytes, AddressFamily::ipv4, 100, "peers", peers).ok());
  REQUIRE(peers.size() == 2);
  CHECK(peers[0] == PeerEndpoint{"10.0.0.1", 6881});
  CHECK(peers[1] == PeerEndpoint{"192.168.1.2", 80});
}

TEST_CASE("compact IPv6 peers are 18 bytes each") {
  std::string bytes(18, '\0');
  bytes[0] = '\x20';
  bytes[1] = '\x01';
  bytes[15] = '\x05';
  bytes[16] = '\x1a';
  bytes[17] = '\xe1';
  std::vector<PeerEndpoint> peers;
  REQUIRE(append_compact_peers(bytes, AddressFamily::ipv6, 100, "peers6", peers).ok());
  REQUIRE(peers.size() == 1);
  CHECK(peers[0] == PeerEndpoint{"2001::5", 6881});
}

TEST_CASE("a compact list with a partial entry is a protocol error naming the field") {
  std::vector<PeerEndpoint> peers;
  auto r = append_compact_peers(std::string(7, 'x'), AddressFamily::ipv4, 100, "peers", peers);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(Errc::protocol_error));
  CHECK(r.error().message == "peers: compact peer list of 7 bytes is not a multiple of 6");
  CHECK_FALSE(append_compact_peers(std::string(12, 'x'), AddressFamily::ipv6, 100, "p", peers).ok());
}

TEST_CASE("port 0 is dropped and the peer count is bounded") {
  const std::string bytes("\x01\x01\x01\x01\x00\x00" "\x02\x02\x02\x02\x00\x01" "\x03\x03\x03\x03\x00\x02", 18);
  std::vector<PeerEndpoint> peers;
  REQUIRE(append_compact_peers(bytes, AddressFamily::ipv4, 100, "peers", peers).ok());
  REQUIRE(peers.size() == 2);
  CHECK(peers[0] == PeerEndpoint{"2.2.2.2", 1});
  std::vector<PeerEndpoint> bounded;
  REQUIRE(append_compact_peers(bytes, AddressFamily::ipv4, 1, "peers", bounded).ok());
  REQUIRE(bounded.size() == 1);
  CHECK(bounded[0].ip == "2.2.2.2");
}
