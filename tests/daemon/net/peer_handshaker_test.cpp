// The handshake exchange as bytes: literal 68-byte fixtures in, bytes and verdicts out.
#include "daemon/net/peer_handshaker.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace btd;
using namespace btd::net;

namespace {

const std::string kProtocol = std::string("\x13") + "BitTorrent protocol";
// fast extension (byte 7, 0x04) and extension protocol (byte 5, 0x10); DHT bit clear
const std::string kOurReserved("\0\0\0\0\0\x10\0\x04", 8);
const std::string kHashA(20, 'A');
const std::string kHashB(20, 'B');
const std::string kOurId = "-BD0100-ourpeerid123";
const std::string kTheirId = "-LT2080-theirpeerid1";

InfoHash hash(const std::string& raw) {
  InfoHash h;
  REQUIRE(InfoHash::from_bytes(raw, h));
  return h;
}

wire::PeerId peer_id(const std::string& raw) {
  wire::PeerId id;
  REQUIRE(wire::PeerId::from_bytes(raw, id));
  return id;
}

std::string handshake_bytes(const std::string& info_hash, const std::string& id,
                            const std::string& reserved = std::string(8, '\0')) {
  return kProtocol + reserved + info_hash + id;
}

PeerHandshaker outgoing_for(const std::string& info_hash) {
  return PeerHandshaker::outgoing(wire::Handshake{default_reserved(), hash(info_hash), peer_id(kOurId)});
}

TorrentLookup serves(const std::string& info_hash, std::size_t max_connections = 0) {
  InfoHash served = hash(info_hash);
  return [served, max_connections](const InfoHash& h) -> std::optional<TorrentMatch> {
    if (h != served) return std::nullopt;
    return TorrentMatch{max_connections};
  };
}

}  // namespace

TEST_CASE("outgoing: our 68 bytes go first, with fast extension and extension protocol bits") {
  auto hs = outgoing_for(kHashA);
  CHECK(hs.start() == handshake_bytes(kHashA, kOurId, kOurReserved));
  CHECK(hs.start().empty());  // only once
}

TEST_CASE("outgoing: their handshake in two reads completes and keeps the bytes after it") {
  auto hs = outgoing_for(kHashA);
  (void)hs.start();
  const std::string theirs = handshake_bytes(kHashA, kTheirId, std::string("\0\0\0\0\0\0\0\x05", 8));
  const std::string first_message("\0\0\0\x01\x02", 5);  // unchoke... the start of a stream

  auto step = hs.feed(theirs.substr(0, 30));
  CHECK_FALSE(step.complete);
  CHECK_FALSE(step.failure);
  CHECK(step.send.empty());

  step = hs.feed(theirs.substr(30) + first_message);
  REQUIRE_FALSE(step.failure);
  CHECK(step.complete);
  CHECK(step.send.empty());
  CHECK(hs.theirs().peer_id == peer_id(kTheirId));
  CHECK(hs.theirs().reserved.fast_extension());
  CHECK(hs.theirs().reserved.dht());
  CHECK_FALSE(hs.theirs().reserved.extension_protocol());
  CHECK(hs.info_hash() == hash(kHashA));
  CHECK(hs.take_leftover() == first_message);
}

TEST_CASE("outgoing: an answer for another torrent is refused as soon as its info-hash is in") {
  auto hs = outgoing_for(kHashA);
  (void)hs.start();
  auto step = hs.feed(handshake_bytes(kHashB, kTheirId).substr(0, 48));
  REQUIRE(step.failure);
  CHECK(*step.failure ==
        "peer answered for info-hash 4242424242424242424242424242424242424242, "
        "we asked for 4141414141414141414141414141414141414141");
  // Nothing more is accepted once it failed.
  CHECK(hs.feed("x").failure);
}

TEST_CASE("incoming: unknown info-hash refused after 48 bytes, without waiting for the peer id") {
  auto hs = PeerHandshaker::incoming(default_reserved(), peer_id(kOurId), serves(kHashA));
  CHECK(hs.start().empty());
  auto step = hs.feed(handshake_bytes(kHashB, kTheirId).substr(0, 48));
  REQUIRE(step.failure);
  CHECK(*step.failure == "unknown info-hash 4242424242424242424242424242424242424242");
  CHECK(step.send.empty());
}

TEST_CASE("incoming: known info-hash is answered before the peer id arrives") {
  auto hs = PeerHandshaker::incoming(default_reserved(), peer_id(kOurId), serves(kHashA, 7));
  const std::string theirs = handshake_bytes(kHashA, kTheirId);

  auto step = hs.feed(theirs.substr(0, 47));
  CHECK(step.send.empty());
  CHECK_FALSE(step.complete);

  step = hs.feed(theirs.substr(47, 1));
  CHECK(step.send == handshake_bytes(kHashA, kOurId, kOurReserved));
  CHECK_FALSE(step.complete);
  REQUIRE(hs.match());
  CHECK(hs.match()->max_connections == 7);

  step = hs.feed(theirs.substr(48));
  CHECK(step.send.empty());  // answered once only
  CHECK(step.complete);
  CHECK(hs.theirs().peer_id == peer_id(kTheirId));
  CHECK(hs.take_leftover().empty());
}

TEST_CASE("our own peer id on either side means we connected to ourselves") {
  SUBCASE("incoming") {
    auto hs = PeerHandshaker::incoming(default_reserved(), peer_id(kOurId), serves(kHashA));
    auto step = hs.feed(handshake_bytes(kHashA, kOurId));
    REQUIRE(step.failure);
    CHECK(*step.failure == "connected to ourselves");
    // Our handshake still goes out so that the outgoing side detects the loop as well.
    CHECK(step.send.size() == 68);
  }
  SUBCASE("outgoing") {
    auto hs = outgoing_for(kHashA);
    auto step = hs.feed(handshake_bytes(kHashA, kOurId));
    REQUIRE(step.failure);
    CHECK(*step.failure == "connected to ourselves");
  }
}

TEST_CASE("an HTTP request instead of a handshake fails on its first byte") {
  auto hs = PeerHandshaker::incoming(default_reserved(), peer_id(kOurId), serves(kHashA));
  auto step = hs.feed("GET / HTTP/1.1\r\n");
  REQUIRE(step.failure);
  CHECK(step.failure->rfind("bad handshake: ", 0) == 0);
}

TEST_CASE("incoming without a lookup serves nothing") {
  auto hs = PeerHandshaker::incoming(default_reserved(), peer_id(kOurId), nullptr);
  auto step = hs.feed(handshake_bytes(kHashA, kTheirId));
  REQUIRE(step.failure);
  CHECK(step.failure->rfind("unknown info-hash ", 0) == 0);
}
