#include "core/tracker/udp_protocol.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace btd;
using namespace btd::tracker;
using namespace btd::tracker::udp;

namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

InfoHash counting_hash(std::uint8_t first) {
  InfoHash h;
  for (std::size_t i = 0; i < h.bytes.size(); ++i) h.bytes[i] = static_cast<std::uint8_t>(first + i);
  return h;
}

// action 1, transaction 0xAABBCCDD, interval 1800, leechers 3, seeders 7
const std::string kAnnounceHeader = bytes({0, 0, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd, 0, 0, 0x07, 0x08,
                                           0, 0, 0, 3, 0, 0, 0, 7});

}  // namespace

TEST_CASE("connect request bytes") {
  CHECK(encode_connect(0x12345678) ==
        bytes({0x00, 0x00, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78}));
}

TEST_CASE("connect response: id, and every check") {
  const std::string good = bytes({0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78,
                                  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08});
  auto id = parse_connect_response(good, 0x12345678);
  REQUIRE(id.ok());
  CHECK(*id == 0x0102030405060708ull);
  // Longer packets are allowed (extensions).
  CHECK(parse_connect_response(good + "xx", 0x12345678).ok());

  auto wrong_tid = parse_connect_response(good, 0x12345679);
  REQUIRE_FALSE(wrong_tid.ok());
  CHECK(wrong_tid.error().is(Errc::protocol_error));
  CHECK(wrong_tid.error().message ==
        "UDP tracker connect reply: transaction id 305419896 does not match the request's 305419897");

  auto short_packet = parse_connect_response(good.substr(0, 15), 0x12345678);
  REQUIRE_FALSE(short_packet.ok());
  CHECK(short_packet.error().message ==
        "UDP tracker connect reply: packet of 15 bytes is shorter than the minimum 16");

  auto tiny = parse_connect_response(good.substr(0, 5), 0x12345678);
  REQUIRE_FALSE(tiny.ok());
  CHECK(tiny.error().message ==
        "UDP tracker connect reply: packet of 5 bytes is too short for a header (8 bytes)");

  std::string announce_action = good;
  announce_action[3] = 1;
  auto wrong_action = parse_connect_response(announce_action, 0x12345678);
  REQUIRE_FALSE(wrong_action.ok());
  CHECK(wrong_action.error().message ==
        "UDP tracker connect reply: action 1 (announce), expected 0");
}

TEST_CASE("announce request is 98 big-endian bytes") {
  AnnounceRequest r;
  r.info_hash = counting_hash(0);
  r.peer_id = "-BD0100-abcdefghijkl";
  r.downloaded = 0x10;
  r.left = 0x0102030405060708;
  r.uploaded = 0x30;
  r.event = Event::started;
  r.key = 0xdeadbeef;
  r.port = 6881;
  const std::string packet = encode_announce(0x0102030405060708ull, 0xaabbccdd, r);
  REQUIRE(packet.size() == kAnnounceRequestSize);
  std::string expected = bytes({1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd});
  expected += r.info_hash.view();
  expected += "-BD0100-abcdefghijkl";
  expected += bytes({0, 0, 0, 0, 0, 0, 0, 0x10});  // downloaded
  expected += bytes({1, 2, 3, 4, 5, 6, 7, 8});     // left
  expected += bytes({0, 0, 0, 0, 0, 0, 0, 0x30});  // uploaded
  expected += bytes({0, 0, 0, 2});                 // event: started
  expected += bytes({0, 0, 0, 0});                 // IP
  expected += bytes({0xde, 0xad, 0xbe, 0xef});     // key
  expected += bytes({0xff, 0xff, 0xff, 0xff});     // num_want -1
  expected += bytes({0x1a, 0xe1});                 // port
  CHECK(packet == expected);

  r.event = Event::completed;
  CHECK(encode_announce(1, 1, r)[83] == 1);
  r.event = Event::stopped;
  CHECK(encode_announce(1, 1, r)[83] == 3);
  r.event = Event::none;
  CHECK(encode_announce(1, 1, r)[83] == 0);
}

TEST_CASE("announce response with IPv4 peers") {
  const std::string packet = kAnnounceHeader + bytes({10, 0, 0, 1, 0x1a, 0xe1, 10, 0, 0, 2, 0, 80});
  auto r = parse_announce_response(packet, 0xaabbccdd, AddressFamily::ipv4);
  REQUIRE(r.ok());
  CHECK(r->interval_s == 1800);
  CHECK(r->min_interval_s == 60);
  CHECK(r->incomplete == 3);
  CHECK(r->complete == 7);
  REQUIRE(r->peers.size() == 2);
  CHECK(r->peers[0] == PeerEndpoint{"10.0.0.1", 6881});
  CHECK(r->peers[1] == PeerEndpoint{"10.0.0.2", 80});

  auto none = parse_announce_response(kAnnounceHeader, 0xaabbccdd, AddressFamily::ipv4);
  REQUIRE(none.ok());
  CHECK(none->peers.empty());
}

TEST_CASE("announce response on an IPv6 socket carries 18-byte peers") {
  std::string peer(18, '\0');
  peer[0] = '\xfe';
  peer[1] = '\x80';
  peer[15] = '\x02';
  peer[17] = '\x50';
  auto r = parse_announce_response(kAnnounceHeader + peer, 0xaabbccdd, AddressFamily::ipv6);
  REQUIRE(r.ok());
  REQUIRE(r->peers.size() == 1);
  CHECK(r->peers[0] == PeerEndpoint{"fe80::2", 80});
  // The same 18 bytes read as IPv4 are three entries, two with port 0; 12 bytes as IPv6 are
  // not whole.
  auto as_v4 = parse_announce_response(kAnnounceHeader + peer, 0xaabbccdd, AddressFamily::ipv4);
  REQUIRE(as_v4.ok());
  REQUIRE(as_v4->peers.size() == 1);
  CHECK(as_v4->peers[0] == PeerEndpoint{"0.0.0.2", 80});
  auto partial = parse_announce_response(kAnnounceHeader + peer.substr(0, 12), 0xaabbccdd,
                                         AddressFamily::ipv6);
  REQUIRE_FALSE(partial.ok());
  CHECK(partial.error().message ==
        "UDP tracker announce reply: compact peer list of 12 bytes is not a multiple of 18");
}

TEST_CASE("announce response checks size, action and transaction id") {
  auto short_packet = parse_announce_response(kAnnounceHeader.substr(0, 19), 0xaabbccdd,
                                              AddressFamily::ipv4);
  REQUIRE_FALSE(short_packet.ok());
  CHECK(short_packet.error().message ==
        "UDP tracker announce reply: packet of 19 bytes is shorter than the minimum 20");
  auto tid = parse_announce_response(kAnnounceHeader, 1, AddressFamily::ipv4);
  REQUIRE_FALSE(tid.ok());
  CHECK(tid.error().message.find("transaction id 2864434397 does not match the request's 1") !=
        std::string::npos);
  std::string as_scrape = kAnnounceHeader;
  as_scrape[3] = 2;
  auto action = parse_announce_response(as_scrape, 0xaabbccdd, AddressFamily::ipv4);
  REQUIRE_FALSE(action.ok());
  CHECK(action.error().message == "UDP tracker announce reply: action 2 (scrape), expected 1");
}

TEST_CASE("error packets carry the tracker's message") {
  const std::string packet = bytes({0, 0, 0, 3, 0, 0, 0, 9}) + "unknown torrent";
  auto message = parse_error(packet, 9);
  REQUIRE(message.ok());
  CHECK(*message == "unknown torrent");
  // Any parser that receives the error for its transaction reports it.
  auto as_announce = parse_announce_response(packet, 9, AddressFamily::ipv4);
  REQUIRE_FALSE(as_announce.ok());
  CHECK(as_announce.error().message == "UDP tracker error: unknown torrent");
  CHECK_FALSE(parse_error(packet, 8).ok());
  CHECK_FALSE(parse_error(bytes({0, 0, 0, 1, 0, 0, 0, 9}), 9).ok());
  // NUL-terminated and non-printable text is cleaned up.
  auto odd = parse_error(bytes({0, 0, 0, 3, 0, 0, 0, 9, 'a', 0x07, 'b', 0, 'c'}), 9);
  REQUIRE(odd.ok());
  CHECK(*odd == "a?b");
}

TEST_CASE("scrape request and response") {
  const std::vector<InfoHash> hashes{counting_hash(0), counting_hash(0x41)};
  const std::string packet = encode_scrape(0x0102030405060708ull, 0x11223344, hashes);
  std::string expected = bytes({1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 2, 0x11, 0x22, 0x33, 0x44});
  expected += hashes[0].view();
  expected += hashes[1].view();
  CHECK(packet == expected);

  const std::string reply = bytes({0, 0, 0, 2, 0x11, 0x22, 0x33, 0x44,
                                   0, 0, 0, 5, 0, 0, 1, 0, 0, 0, 0, 2,
                                   0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9});
  auto r = parse_scrape_response(reply, 0x11223344, hashes);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].info_hash == hashes[0]);
  CHECK((*r)[0].complete == 5);
  CHECK((*r)[0].downloaded == 256);
  CHECK((*r)[0].incomplete == 2);
  CHECK((*r)[1].info_hash == hashes[1]);
  CHECK((*r)[1].downloaded == 1);
  CHECK((*r)[1].incomplete == 9);

  auto missing = parse_scrape_response(reply.substr(0, 20), 0x11223344, hashes);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message ==
        "UDP tracker scrape reply: packet of 20 bytes is shorter than the minimum 32");

  const std::vector<InfoHash> many(100, counting_hash(0));
  CHECK(encode_scrape(1, 1, many).size() == 16 + 74 * 20);
}
