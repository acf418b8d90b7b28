#include "core/dht/bootstrap_node.hpp"

#include <doctest/doctest.h>

using namespace btd::dht;

TEST_CASE("bootstrap nodes: host:port with a name or an IPv4 literal") {
  CHECK(parse_host_port("router.bittorrent.com:6881") == HostPort{"router.bittorrent.com", 6881});
  CHECK(parse_host_port("127.0.0.1:1") == HostPort{"127.0.0.1", 1});
  CHECK(parse_host_port("a-b.example:65535") == HostPort{"a-b.example", 65535});
  for (const char* bad : {"", ":6881", "host", "host:", "host:0", "host:65536", "host:12a", "host:123456",
                          "ho st:1", "-host:1", ".host:1", "[::1]:6881", "host:-1"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_host_port(bad));
  }
  CHECK_FALSE(parse_host_port(std::string(254, 'a') + ":1"));
  for (const std::string& d : default_bootstrap_nodes()) CHECK(parse_host_port(d));
}
