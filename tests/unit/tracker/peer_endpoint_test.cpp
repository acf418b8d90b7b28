#include "core/tracker/peer_endpoint.hpp"

#include <doctest/doctest.h>

using namespace btd::tracker;

TEST_CASE("endpoints print with brackets only for IPv6") {
  CHECK(to_string(PeerEndpoint{"1.2.3.4", 6881}) == "1.2.3.4:6881");
  CHECK(to_string(PeerEndpoint{"::1", 6881}) == "[::1]:6881");
  CHECK(to_string(PeerEndpoint{"2001:db8::1", 65535}) == "[2001:db8::1]:65535");
}

TEST_CASE("IPv6 formatting follows RFC 5952") {
  std::array<std::uint8_t, 16> a{};
  CHECK(format_ipv6(a) == "::");
  a[15] = 1;
  CHECK(format_ipv6(a) == "::1");
  // 2001:db8:0:0:1:0:0:1 -> the first of two equal zero runs is compressed.
  a = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1};
  CHECK(format_ipv6(a) == "2001:db8::1:0:0:1");
  // A single zero group is never "::".
  a = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
  CHECK(format_ipv6(a) == "2001:db8:0:1:1:1:1:1");
  // The longer run wins even when it comes second.
  a = {0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3};
  CHECK(format_ipv6(a) == "1:0:0:2::3");
  CHECK(format_ipv4({192, 168, 0, 255}) == "192.168.0.255");
}

TEST_CASE("IP literals are normalized and everything else refused") {
  CHECK(normalize_ip_literal("10.0.0.1") == "10.0.0.1");
  CHECK(normalize_ip_literal("[2001:DB8:0:0:0:0:0:1]") == "2001:db8::1");
  CHECK(normalize_ip_literal("2001:0db8::0001") == "2001:db8::1");
  CHECK(normalize_ip_literal("::") == "::");
  CHECK(normalize_ip_literal("1::") == "1::");
  CHECK(normalize_ip_literal("::ffff:1.2.3.4") == "::ffff:102:304");
  CHECK(normalize_ip_literal("1:2:3:4:5:6:7:8") == "1:2:3:4:5:6:7:8");
  CHECK_FALSE(normalize_ip_literal("256.0.0.1"));
  CHECK_FALSE(normalize_ip_literal("01.2.3.4"));
  CHECK_FALSE(normalize_ip_literal("1.2.3"));
  CHECK_FALSE(normalize_ip_literal("1.2.3.4.5"));
  CHECK_FALSE(normalize_ip_literal("tracker.example.org"));
  CHECK_FALSE(normalize_ip_literal("1:2:3:4:5:6:7:8:9"));
  CHECK_FALSE(normalize_ip_literal("1::2::3"));
  CHECK_FALSE(normalize_ip_literal("1:2:3:4:5:6:7::8"));
  CHECK_FALSE(normalize_ip_literal(":1"));
  CHECK_FALSE(normalize_ip_literal("1:"));
  CHECK_FALSE(normalize_ip_literal("12345::"));
  CHECK_FALSE(normalize_ip_literal("fe80::1%eth0"));
  CHECK_FALSE(normalize_ip_literal(""));
}

TEST_CASE("parse_endpoint takes host:port with IP literals only") {
  using btd::tracker::parse_endpoint;
  CHECK(parse_endpoint("127.0.0.1:6881") == btd::tracker::PeerEndpoint{"127.0.0.1", 6881});
  CHECK(parse_endpoint("[::1]:51413") == btd::tracker::PeerEndpoint{"::1", 51413});
  CHECK(parse_endpoint("[2001:DB8::0:1]:80")->ip == "2001:db8::1");
  CHECK_FALSE(parse_endpoint("::1:80").has_value());          // IPv6 needs brackets
  CHECK_FALSE(parse_endpoint("1.2.3.4:0").has_value());
  CHECK_FALSE(parse_endpoint("1.2.3.4:65536").has_value());
  CHECK_FALSE(parse_endpoint("1.2.3.4:99999999999").has_value());
  CHECK_FALSE(parse_endpoint("1.2.3.4").has_value());
  CHECK_FALSE(parse_endpoint("1.2.3.4:").has_value());
  CHECK_FALSE(parse_endpoint("example.org:80").has_value());
  CHECK_FALSE(parse_endpoint("1.2.3.4:8x").has_value());
}

TEST_CASE("ip_to_bytes gives the raw address BEP 10 yourip carries") {
  using btd::tracker::ip_to_bytes;
  CHECK(ip_to_bytes("127.0.0.1") == std::string("\x7f\x00\x00\x01", 4));
  CHECK(ip_to_bytes("::1") == std::string(15, '\0') + "\x01");
  CHECK_FALSE(ip_to_bytes("localhost").has_value());
}
