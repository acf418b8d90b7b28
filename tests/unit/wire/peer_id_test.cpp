#include "core/wire/peer_id.hpp"

#include <doctest/doctest.h>

#include <cctype>
#include <string>

using namespace btd;
using namespace btd::wire;
using namespace std::string_literals;

TEST_CASE("our peer id is the btd prefix and 12 alphanumerics from the given bytes") {
  std::array<std::uint8_t, 12> random{};
  for (std::size_t i = 0; i < random.size(); ++i) random[i] = static_cast<std::uint8_t>(i * 31 + 200);
  const PeerId id = make_peer_id(random);
  const std::string_view v = id.view();
  CHECK(v.size() == 20);
  CHECK(v.substr(0, 8) == "-BD0100-");
  for (char c : v.substr(8)) CHECK(std::isalnum(static_cast<unsigned char>(c)));
  // Byte 0 -> '0', byte 61 -> 'z', byte 62 wraps to '0'.
  random = {0, 61, 62, 10, 36, 0, 0, 0, 0, 0, 0, 0};
  CHECK(make_peer_id(random).view() == "-BD0100-0z0Aa0000000");
  CHECK(client_name_from_peer_id(make_peer_id(random).view()) == "btd 0.1.0");
}

TEST_CASE("from_bytes takes exactly 20 bytes") {
  PeerId id;
  CHECK(PeerId::from_bytes("-TR4050-abcdefghijkl", id));
  CHECK(id.view() == "-TR4050-abcdefghijkl");
  CHECK_FALSE(PeerId::from_bytes("short", id));
  CHECK(id == PeerId{});
}

TEST_CASE("names common Azureus-style clients") {
  CHECK(client_name_from_peer_id("-LT2080-abcdefghijkl") == "libtorrent 2.0.8");
  CHECK(client_name_from_peer_id("-LT12J0-abcdefghijkl") == "libtorrent 1.2.19");
  CHECK(client_name_from_peer_id("-lt0D80-abcdefghijkl") == "libTorrent (rakshasa) 0.13.8");
  CHECK(client_name_from_peer_id("-TR2940-abcdefghijkl") == "Transmission 2.94");
  CHECK(client_name_from_peer_id("-TR3000-abcdefghijkl") == "Transmission 3.00");
  CHECK(client_name_from_peer_id("-TR4050-abcdefghijkl") == "Transmission 4.0.5");
  CHECK(client_name_from_peer_id("-TR400Z-abcdefghijkl") == "Transmission 4.0.0 beta");
  CHECK(client_name_from_peer_id("-qB4520-abcdefghijkl") == "qBittorrent 4.5.2");
  CHECK(client_name_from_peer_id("-DE13F0-abcdefghijkl") == "Deluge 1.3.15");
  CHECK(client_name_from_peer_id("-DE211s-abcdefghijkl") == "Deluge 2.1.1");
  CHECK(client_name_from_peer_id("-UT3550-abcdefghijkl") == "\xc2\xb5Torrent 3.5.5");
  CHECK(client_name_from_peer_id("-BD0100-abcdefghijkl") == "btd 0.1.0");
  CHECK(client_name_from_peer_id("-LT1234-abcdefghijkl") == "libtorrent 1.2.3.4");
}

TEST_CASE("names aria2") {
  CHECK(client_name_from_peer_id("A2-1-36-0-abcdefghij") == "aria2 1.36.0");
  CHECK(client_name_from_peer_id("A2-1-37-0-\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"s) == "aria2 1.37.0");
}

TEST_CASE("unknown or malformed ids fall back to a printable escape") {
  CHECK(client_name_from_peer_id("-XX1234-abcdefghijkl") == "-XX1234-");
  CHECK(client_name_from_peer_id("-LT!!!!-abcdefghijkl") == "-LT!!!!-");
  CHECK(client_name_from_peer_id("M7-2-2--\x01\xff" "cdefghijkl"s) == "M7-2-2--\\x01\\xffcdefghijkl");
  CHECK(client_name_from_peer_id("A2-1-36") == "A2-1-36");
  CHECK(client_name_from_peer_id("") == "");
}
