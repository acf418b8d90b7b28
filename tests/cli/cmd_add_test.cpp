#include "cli/cmd_add.hpp"

#include <doctest/doctest.h>

using namespace btd::cli;

TEST_CASE("magnets are told from file names") {
  CHECK(is_magnet("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567"));
  CHECK(is_magnet("MAGNET:?xt=urn:btih:x"));
  CHECK_FALSE(is_magnet("magnet.torrent"));
  CHECK_FALSE(is_magnet("./magnet:?xt"));
  CHECK_FALSE(is_magnet("magnet"));
  CHECK_FALSE(is_magnet(""));
}

TEST_CASE("peer addresses need a host and a port of 1..65535") {
  CHECK(is_peer_address("192.0.2.1:6881"));
  CHECK(is_peer_address("seed.example.org:51413"));
  CHECK(is_peer_address("[2001:db8::1]:6881"));
  CHECK(is_peer_address("h:65535"));
  CHECK_FALSE(is_peer_address("192.0.2.1"));
  CHECK_FALSE(is_peer_address("192.0.2.1:"));
  CHECK_FALSE(is_peer_address(":6881"));
  CHECK_FALSE(is_peer_address("host:0"));
  CHECK_FALSE(is_peer_address("host:65536"));
  CHECK_FALSE(is_peer_address("host:68a1"));
  CHECK_FALSE(is_peer_address("host:+6881"));
  CHECK_FALSE(is_peer_address("2001:db8::1:6881"));  // IPv6 without brackets
  CHECK_FALSE(is_peer_address("[]:6881"));
  CHECK_FALSE(is_peer_address("[2001:db8::1:6881"));
}

TEST_CASE("--dir is sent as an absolute, normalized path") {
  CHECK(absolute_dir("downloads", "/home/ann") == "/home/ann/downloads");
  CHECK(absolute_dir("./a/../b/", "/home/ann") == "/home/ann/b");
  CHECK(absolute_dir("..", "/home/ann") == "/home");
  CHECK(absolute_dir("/srv/dl/", "/home/ann") == "/srv/dl");
  CHECK(absolute_dir("/", "/home/ann") == "/");
  CHECK(absolute_dir(".", "/home/ann") == "/home/ann");
}
