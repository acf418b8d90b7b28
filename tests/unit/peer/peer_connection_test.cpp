#include "core/peer/peer_connection.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/picker/request_queue_depth.hpp"
#include "core/wire/message.hpp"

using namespace btd;
using namespace std::string_literals;
using namespace std::string_view_literals;

namespace {

using TimePoint = PeerConnection::TimePoint;

TimePoint at(int seconds) { return TimePoint{} + std::chrono::seconds(seconds); }

// 10 pieces of 32 KiB, the last one 1000 bytes: a 2-byte bitfield with 6 spare bits.
PieceGeometry geometry() { return *PieceGeometry::create(10, 32 * 1024, 9 * 32 * 1024 + 1000); }

wire::Reserved reserved(bool fast, bool extensions) {
  wire::Reserved r;
  r.set_fast_extension(fast);
  r.set_extension_protocol(extensions);
  return r;
}

struct Options {
  bool fast = false;
  bool extensions = false;
  PeerConnectionLimits limits = {};
};

PeerConnection connection(Options o = {}) {
  return PeerConnection(PeerKey(7), geometry(), reserved(o.fast, o.extensions),
                        reserved(o.fast, o.extensions), o.limits);
}

PeerConnection fast_connection() { return connection({.fast = true}); }

std::string msg(const wire::Message& m) {
  std::string out;
  wire::encode(out, m);
  return out;
}

struct Fed {
  bool ok = false;
  std::string error;
  std::vector<PeerEvent> events;
};

// Feeds `bytes` in one call, or one byte per call.
Fed feed(PeerConnection& c, const std::string& bytes, bool byte_by_byte = false, TimePoint now = at(1)) {
  Fed f;
  if (!byte_by_byte) {
    auto r = c.on_bytes(bytes, now, f.events);
    f.ok = r.ok();
    if (!r.ok()) {
      CHECK(r.error().is(Errc::protocol_error));
      f.error = r.error().message;
    }
    return f;
  }
  f.ok = true;
  for (char ch : bytes) {
    auto r = c.on_bytes(std::string_view(&ch, 1), now, f.events);
    if (!r.ok()) {
      CHECK(r.error().is(Errc::protocol_error));
      f.ok = false;
      f.error = r.error().message;
      break;
    }
  }
  return f;
}

// Feeds and expects a protocol error; returns its message.
std::string error_of(PeerConnection& c, const std::string& bytes) {
  Fed f = feed(c, bytes);
  REQUIRE_FALSE(f.ok);
  return f.error;
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

// A copy: `f` is usually a temporary. Views inside (block data) point into the connection.
template <class E>
E only(const Fed& f) {
  REQUIRE(f.ok);
  REQUIRE(f.events.size() == 1);
  REQUIRE(std::holds_alternative<E>(f.events[0]));
  return std::get<E>(f.events[0]);
}

// A request for `length` bytes at the start of a piece.
BlockRequest block(std::uint32_t piece, std::uint32_t begin = 0, std::uint32_t length = kBlockSize) {
  return BlockRequest{PieceIndex(piece), begin, length};
}

wire::Request req(const BlockRequest& b) { return wire::Request{b.piece, b.begin, b.length}; }

// A connection where the peer is unchoked by us, so its requests are queued.
PeerConnection unchoked(Options o = {}) {
  auto c = connection(o);
  c.send_unchoke(at(0));
  c.outbound().clear();
  return c;
}

}  // namespace

TEST_CASE("BEP 6 and BEP 10 apply only when both handshakes set them") {
  CHECK(connection({.fast = true}).fast_extension());
  CHECK(connection({.extensions = true}).extension_protocol());
  PeerConnection one_sided(PeerKey(1), geometry(), reserved(true, true), reserved(false, false));
  CHECK_FALSE(one_sided.fast_extension());
  CHECK_FALSE(one_sided.extension_protocol());
  PeerConnection other_side(PeerKey(1), geometry(), reserved(false, false), reserved(true, true));
  CHECK_FALSE(other_side.fast_extension());
  CHECK_FALSE(other_side.extension_protocol());
  CHECK(other_side.key() == PeerKey(1));
}

TEST_CASE("initial state: both sides choked and not interested, peer has nothing") {
  auto c = connection();
  CHECK(c.am_choking());
  CHECK_FALSE(c.am_interested());
  CHECK(c.peer_choking());
  CHECK_FALSE(c.peer_interested());
  CHECK(c.peer_pieces().size() == 10);
  CHECK(c.peer_pieces().none());
  CHECK_FALSE(c.peer_is_seed());
}

TEST_CASE("a bitfield as first message fills peer_pieces, in one read or byte by byte") {
  for (bool byte_by_byte : {false, true}) {
    auto c = connection();
    Fed f = feed(c, msg(wire::BitfieldMsg{"\xa0\x40"}), byte_by_byte);
    only<peer_event::BitfieldReceived>(f);
    CHECK(c.peer_pieces().count() == 3);
    CHECK(c.peer_pieces().get(PieceIndex(0)));
    CHECK(c.peer_pieces().get(PieceIndex(2)));
    CHECK(c.peer_pieces().get(PieceIndex(9)));
    CHECK_FALSE(c.peer_pieces().get(PieceIndex(1)));
  }
}

TEST_CASE("a full bitfield makes the peer a seed") {
  auto c = connection();
  only<peer_event::BitfieldReceived>(feed(c, msg(wire::BitfieldMsg{"\xff\xc0"})));
  CHECK(c.peer_is_seed());
}

TEST_CASE("a bitfield with spare bits set is a protocol error") {
  auto c = connection();
  // Piece 10 does not exist: bit 10 is the third bit of the second byte.
  const std::string e = error_of(c, msg(wire::BitfieldMsg{"\xff\xe0"}));
  CHECK(contains(e, "bitfield"));
  CHECK(contains(e, "spare bits"));
}

TEST_CASE("a bitfield of the wrong length is a protocol error") {
  auto c = connection();
  const std::string e = error_of(c, msg(wire::BitfieldMsg{"\xff\xc0\x00"sv}));
  CHECK(contains(e, "3 bytes"));
  CHECK(contains(e, "expected 2"));
  auto d = connection();
  CHECK(contains(error_of(d, msg(wire::BitfieldMsg{"\xff"})), "1 bytes"));
}

TEST_CASE("a bitfield after other messages is accepted once and merged with earlier haves") {
  // aria2 sends its bitfield after other messages: refusing it would cut us off from aria2.
  auto c = connection();
  REQUIRE(feed(c, msg(wire::Unchoke{}) + msg(wire::Have{PieceIndex(1)})).ok);
  Fed f = feed(c, msg(wire::BitfieldMsg{"\x80\x00"sv}));
  REQUIRE(f.ok);
  REQUIRE(f.events.size() == 1);
  CHECK(std::holds_alternative<peer_event::BitfieldReceived>(f.events[0]));
  CHECK(c.peer_pieces().get(PieceIndex(0)));
  CHECK(c.peer_pieces().get(PieceIndex(1)));  // the earlier have is kept
  CHECK(c.peer_pieces().count() == 2);
}

TEST_CASE("a later bitfield or have_all is an update, reported as haves for the pieces it adds") {
  // aria2 sends a bitfield instead of a run of haves (DefaultBtInteractive::checkHave).
  auto d = connection();
  REQUIRE(feed(d, msg(wire::BitfieldMsg{"\x80\x00"sv})).ok);
  Fed f = feed(d, msg(wire::BitfieldMsg{"\xa0\x00"sv}));
  REQUIRE(f.ok);
  REQUIRE(f.events.size() == 1);
  CHECK(std::get<peer_event::Have>(f.events[0]).piece == PieceIndex(2));
  // Nothing is ever taken away, and a bad update is still an error.
  REQUIRE(feed(d, msg(wire::BitfieldMsg{"\x00\x00"sv})).ok);
  CHECK(d.peer_pieces().count() == 2);
  CHECK(contains(error_of(d, msg(wire::BitfieldMsg{"\x00"sv})), "bitfield"));

  auto e = connection({.fast = true});
  REQUIRE(feed(e, msg(wire::HaveNone{})).ok);
  Fed g = feed(e, msg(wire::HaveAll{}));
  REQUIRE(g.ok);
  CHECK(g.events.size() == e.peer_pieces().size());
  CHECK(e.peer_is_seed());
}

TEST_CASE("keep-alives, extended messages, port and unknown ids before the bitfield are tolerated") {
  // Transmission sends its extension handshake (and port) before its bitfield.
  auto c = connection({.extensions = true});
  std::string stream = msg(wire::KeepAlive{}) + msg(wire::Extended{0, "d1:md6:ut_pexi1eee"}) +
                       msg(wire::Port{6881}) + msg(wire::Unknown{0x42, "xy"}) +
                       msg(wire::BitfieldMsg{"\x80\x00"sv});
  Fed f = feed(c, stream);
  REQUIRE(f.ok);
  REQUIRE(f.events.size() == 3);
  CHECK(std::holds_alternative<peer_event::ExtensionHandshake>(f.events[0]));
  CHECK(std::holds_alternative<peer_event::DhtPort>(f.events[1]));
  CHECK(std::holds_alternative<peer_event::BitfieldReceived>(f.events[2]));
  CHECK(c.peer_pieces().count() == 1);
}

TEST_CASE("have_all and have_none without BEP 6 are protocol errors") {
  auto c = connection();
  const std::string e = error_of(c, msg(wire::HaveAll{}));
  CHECK(contains(e, "have all"));
  CHECK(contains(e, "BEP 6"));
  auto d = connection();
  CHECK(contains(error_of(d, msg(wire::HaveNone{})), "have none"));
}

TEST_CASE("have_all and have_none with BEP 6 set every or no piece") {
  auto c = fast_connection();
  only<peer_event::BitfieldReceived>(feed(c, msg(wire::HaveAll{})));
  CHECK(c.peer_is_seed());
  CHECK(c.peer_pieces().count() == 10);

  auto d = fast_connection();
  only<peer_event::BitfieldReceived>(feed(d, msg(wire::HaveNone{})));
  CHECK(d.peer_pieces().none());
}

TEST_CASE("have_all after another message is accepted, and have_none keeps earlier haves") {
  auto c = fast_connection();
  REQUIRE(feed(c, msg(wire::Interested{})).ok);
  only<peer_event::BitfieldReceived>(feed(c, msg(wire::HaveAll{})));
  CHECK(c.peer_is_seed());
  auto d = fast_connection();
  REQUIRE(feed(d, msg(wire::Have{PieceIndex(3)})).ok);
  only<peer_event::BitfieldReceived>(feed(d, msg(wire::HaveNone{})));
  CHECK(d.peer_pieces().count() == 1);
}

TEST_CASE("have: a new piece is reported, a duplicate is not, an index out of range is an error") {
  auto c = connection();
  CHECK(only<peer_event::Have>(feed(c, msg(wire::Have{PieceIndex(9)}))).piece == PieceIndex(9));
  CHECK(c.peer_pieces().get(PieceIndex(9)));
  Fed dup = feed(c, msg(wire::Have{PieceIndex(9)}));
  CHECK(dup.ok);
  CHECK(dup.events.empty());
  const std::string e = error_of(c, msg(wire::Have{PieceIndex(10)}));
  CHECK(contains(e, "have"));
  CHECK(contains(e, "piece 10"));
  CHECK(contains(e, "10 pieces"));
}

TEST_CASE("have after have_all is not reported") {
  auto c = fast_connection();
  REQUIRE(feed(c, msg(wire::HaveAll{})).ok);
  Fed f = feed(c, msg(wire::Have{PieceIndex(3)}));
  CHECK(f.ok);
  CHECK(f.events.empty());
}

TEST_CASE("a message of the wrong length is a protocol error naming it") {
  auto c = connection();
  const std::string e = error_of(c, "\0\0\0\x06\x04\0\0\0\x01\x00"s);
  CHECK(contains(e, "have"));
}

TEST_CASE("state messages are reported when they change the state") {
  auto c = connection();
  only<peer_event::Unchoked>(feed(c, msg(wire::Unchoke{})));
  CHECK_FALSE(c.peer_choking());
  CHECK(feed(c, msg(wire::Unchoke{})).events.empty());
  only<peer_event::Interested>(feed(c, msg(wire::Interested{})));
  CHECK(c.peer_interested());
  CHECK(feed(c, msg(wire::Interested{})).events.empty());
  only<peer_event::NotInterested>(feed(c, msg(wire::NotInterested{})));
  CHECK_FALSE(c.peer_interested());
  CHECK(only<peer_event::Choked>(feed(c, msg(wire::Choke{}))).dropped.empty());
  CHECK(c.peer_choking());
  CHECK(feed(c, msg(wire::Choke{})).events.empty());
}

TEST_CASE("a valid request while unchoked is queued and reported, byte by byte too") {
  for (bool byte_by_byte : {false, true}) {
    auto c = unchoked();
    const auto b = block(3, kBlockSize);
    CHECK(only<peer_event::Request>(feed(c, msg(req(b)), byte_by_byte)).block == b);
    CHECK(c.peer_request_count() == 1);
  }
}

TEST_CASE("the last, short piece can be requested to its last byte and no further") {
  auto c = unchoked();
  CHECK(only<peer_event::Request>(feed(c, msg(req(block(9, 0, 1000))))).block == block(9, 0, 1000));
  CHECK(only<peer_event::Request>(feed(c, msg(req(block(9, 999, 1))))).block == block(9, 999, 1));
  const std::string e = error_of(c, msg(req(block(9, 0, 1001))));
  CHECK(contains(e, "past the end of the piece"));
  CHECK(contains(e, "1000 bytes"));
}

TEST_CASE("invalid requests are protocol errors naming the bad value") {
  SUBCASE("piece out of range") {
    auto c = unchoked();
    const std::string e = error_of(c, msg(req(block(10))));
    CHECK(contains(e, "request"));
    CHECK(contains(e, "piece 10"));
  }
  SUBCASE("zero length") {
    auto c = unchoked();
    CHECK(contains(error_of(c, msg(req(block(1, 0, 0)))), "0 bytes"));
  }
  SUBCASE("longer than max_request_length") {
    auto c = unchoked({.limits = {.max_request_length = kBlockSize}});
    const std::string e = error_of(c, msg(req(block(1, 0, kBlockSize + 1))));
    CHECK(contains(e, "16385 bytes"));
    CHECK(contains(e, "limit of 16384"));
  }
  SUBCASE("past the end of a full piece") {
    auto c = unchoked();
    CHECK(contains(error_of(c, msg(req(block(1, 2 * kBlockSize - 1, 2)))), "past the end"));
  }
  SUBCASE("begin + length overflowing 32 bits") {
    auto c = unchoked();
    CHECK(contains(error_of(c, msg(req(block(1, 0xffffffffu, kBlockSize)))), "past the end"));
  }
  SUBCASE("invalid even while choked") {
    auto c = connection();
    CHECK(contains(error_of(c, msg(req(block(11)))), "piece 11"));
  }
}

TEST_CASE("a duplicate request of a queued block is ignored") {
  auto c = unchoked();
  REQUIRE(feed(c, msg(req(block(2)))).ok);
  Fed f = feed(c, msg(req(block(2))));
  CHECK(f.ok);
  CHECK(f.events.empty());
  CHECK(c.peer_request_count() == 1);
}

TEST_CASE("more than max_peer_requests queued is a protocol error") {
  auto c = unchoked({.limits = {.max_peer_requests = 3}});
  for (std::uint32_t i = 0; i < 3; ++i) REQUIRE(feed(c, msg(req(block(i)))).ok);
  CHECK(c.peer_request_count() == 3);
  const std::string e = error_of(c, msg(req(block(4))));
  CHECK(contains(e, "more than 3 requests"));
  CHECK(contains(e, "piece 4"));
}

TEST_CASE("requests while we choke: dropped silently without BEP 6") {
  auto c = connection();
  Fed f = feed(c, msg(req(block(1))));
  CHECK(f.ok);
  CHECK(f.events.empty());
  CHECK(c.peer_request_count() == 0);
  CHECK(c.outbound().empty());
}

TEST_CASE("requests while we choke: rejected automatically with BEP 6") {
  auto c = fast_connection();
  Fed f = feed(c, msg(req(block(1))), false, at(5));
  CHECK(f.ok);
  CHECK(f.events.empty());
  CHECK(c.peer_request_count() == 0);
  CHECK(c.outbound() == msg(wire::RejectRequest{PieceIndex(1), 0, kBlockSize}));
  CHECK(c.last_sent() == at(5));
}

TEST_CASE("requests while we choke for a piece we granted as allowed fast are reported") {
  auto c = fast_connection();
  c.send_allowed_fast(PieceIndex(4), at(1));
  CHECK(c.outbound() == msg(wire::AllowedFast{PieceIndex(4)}));
  c.outbound().clear();
  CHECK(only<peer_event::Request>(feed(c, msg(req(block(4))))).block == block(4));
  CHECK(c.peer_request_count() == 1);
  CHECK(c.outbound().empty());
}

TEST_CASE("cancel of a queued request removes and reports it; any other cancel is ignored") {
  auto c = unchoked();
  REQUIRE(feed(c, msg(req(block(2)))).ok);
  CHECK(only<peer_event::Cancel>(feed(c, msg(wire::Cancel{PieceIndex(2), 0, kBlockSize}))).block == block(2));
  CHECK(c.peer_request_count() == 0);
  Fed again = feed(c, msg(wire::Cancel{PieceIndex(2), 0, kBlockSize}));
  CHECK(again.ok);
  CHECK(again.events.empty());
  // Even a cancel naming a piece that does not exist is harmless.
  CHECK(feed(c, msg(wire::Cancel{PieceIndex(99), 0, 1})).ok);
}

TEST_CASE("a block we requested is reported with a view of its data and counted") {
  for (bool byte_by_byte : {false, true}) {
    auto c = connection();
    const auto b = block(2, kBlockSize, 5);
    c.send_request(b, at(0));
    c.send_request(block(3), at(0));
    Fed f = feed(c, msg(wire::Piece{PieceIndex(2), kBlockSize, "hello"}), byte_by_byte);
    const auto got = only<peer_event::Block>(f);
    CHECK(got.block == b);
    CHECK(got.data == "hello");
    CHECK(c.payload_downloaded() == 5);
    REQUIRE(c.our_requests().size() == 1);
    CHECK(c.our_requests()[0] == block(3));
  }
}

TEST_CASE("block views from one read all stay valid until the next on_bytes") {
  auto c = connection();
  c.send_request(block(0, 0, 3), at(0));
  c.send_request(block(1, 0, 3), at(0));
  std::vector<PeerEvent> events;
  const std::string stream =
      msg(wire::Piece{PieceIndex(0), 0, "abc"}) + msg(wire::Piece{PieceIndex(1), 0, "xyz"});
  REQUIRE(c.on_bytes(stream, at(1), events).ok());
  REQUIRE(events.size() == 2);
  CHECK(std::get<peer_event::Block>(events[0]).data == "abc");
  CHECK(std::get<peer_event::Block>(events[1]).data == "xyz");
  CHECK(c.payload_downloaded() == 6);
}

TEST_CASE("a block we did not request is a protocol error") {
  SUBCASE("nothing requested") {
    auto c = connection();
    const std::string e = error_of(c, msg(wire::Piece{PieceIndex(2), 0, "hello"}));
    CHECK(contains(e, "did not request"));
    CHECK(contains(e, "piece 2"));
  }
  SUBCASE("same offset, different length") {
    auto c = connection();
    c.send_request(block(2, 0, 4), at(0));
    CHECK(contains(error_of(c, msg(wire::Piece{PieceIndex(2), 0, "hello"})), "5 bytes"));
  }
  SUBCASE("the same block twice") {
    auto c = connection();
    c.send_request(block(2, 0, 5), at(0));
    REQUIRE(feed(c, msg(wire::Piece{PieceIndex(2), 0, "hello"})).ok);
    CHECK(contains(error_of(c, msg(wire::Piece{PieceIndex(2), 0, "hello"})), "did not request"));
  }
  SUBCASE("a rejected block") {
    auto c = fast_connection();
    c.send_request(block(2, 0, 5), at(0));
    REQUIRE(feed(c, msg(wire::HaveNone{}) + msg(wire::RejectRequest{PieceIndex(2), 0, 5})).ok);
    CHECK(contains(error_of(c, msg(wire::Piece{PieceIndex(2), 0, "hello"})), "did not request"));
  }
}

TEST_CASE("a block arriving after we cancelled it is ignored, once") {
  auto c = connection();
  c.send_request(block(2, 0, 5), at(0));
  c.send_cancel(block(2, 0, 5), at(0));
  CHECK(c.our_requests().empty());
  Fed f = feed(c, msg(wire::Piece{PieceIndex(2), 0, "hello"}));
  CHECK(f.ok);
  CHECK(f.events.empty());
  CHECK(c.payload_downloaded() == 0);
  CHECK(contains(error_of(c, msg(wire::Piece{PieceIndex(2), 0, "hello"})), "did not request"));
}

TEST_CASE("the recently-cancelled memory is bounded: a very old cancel is forgotten") {
  auto c = connection();
  const std::uint32_t n = 2 * kMaxRequestQueueDepth + 10;
  for (std::uint32_t i = 0; i < n; ++i) {
    c.send_request(block(0, i, 1), at(0));
    c.send_cancel(block(0, i, 1), at(0));
  }
  CHECK(feed(c, msg(wire::Piece{PieceIndex(0), n - 1, "x"})).ok);
  CHECK(contains(error_of(c, msg(wire::Piece{PieceIndex(0), 0, "x"})), "did not request"));
}

TEST_CASE("endgame: a full request window cancelled, re-requested and cancelled again, all crossing on the wire") {
  // A deep pipeline to a fast seed: every block we cancel may already be on its way to us.
  auto c = connection();
  for (int round = 0; round < 2; ++round) {
    for (std::uint32_t i = 0; i < kMaxRequestQueueDepth; ++i) c.send_request(block(0, i, 1), at(0));
    for (std::uint32_t i = 0; i < kMaxRequestQueueDepth; ++i) c.send_cancel(block(0, i, 1), at(0));
  }
  for (int round = 0; round < 2; ++round) {
    for (std::uint32_t i = 0; i < kMaxRequestQueueDepth; ++i) {
      Fed f = feed(c, msg(wire::Piece{PieceIndex(0), i, "x"}));
      REQUIRE(f.ok);
      CHECK(f.events.empty());
    }
  }
  CHECK(c.payload_downloaded() == 0);
}

TEST_CASE("reject without BEP 6 is a protocol error") {
  auto c = connection();
  c.send_request(block(1), at(0));
  const std::string e = error_of(c, msg(wire::RejectRequest{PieceIndex(1), 0, kBlockSize}));
  CHECK(contains(e, "reject request"));
  CHECK(contains(e, "BEP 6"));
}

TEST_CASE("reject with BEP 6 removes our request and reports it; an unknown reject is ignored") {
  auto c = fast_connection();
  c.send_request(block(1), at(0));
  c.send_request(block(2), at(0));
  CHECK(only<peer_event::Rejected>(feed(c, msg(wire::RejectRequest{PieceIndex(1), 0, kBlockSize}))).block ==
        block(1));
  REQUIRE(c.our_requests().size() == 1);
  CHECK(c.our_requests()[0] == block(2));
  // Some clients reject what we already cancelled.
  c.send_cancel(block(2), at(0));
  Fed f = feed(c, msg(wire::RejectRequest{PieceIndex(2), 0, kBlockSize}));
  CHECK(f.ok);
  CHECK(f.events.empty());
}

TEST_CASE("choke without BEP 6 drops our requests and lists them; late blocks for them are ignored") {
  auto c = connection();
  REQUIRE(feed(c, msg(wire::Unchoke{})).ok);
  c.send_request(block(1, 0, 3), at(0));
  c.send_request(block(2, 0, 3), at(0));
  const auto choked = only<peer_event::Choked>(feed(c, msg(wire::Choke{})));
  REQUIRE(choked.dropped.size() == 2);
  CHECK(choked.dropped[0] == block(1, 0, 3));
  CHECK(choked.dropped[1] == block(2, 0, 3));
  CHECK(c.our_requests().empty());
  CHECK(c.peer_choking());
  Fed late = feed(c, msg(wire::Piece{PieceIndex(1), 0, "abc"}));
  CHECK(late.ok);
  CHECK(late.events.empty());
}

TEST_CASE("a repeated choke without BEP 6 is reported when it drops requests") {
  auto c = connection();
  c.send_request(block(1), at(0));  // while choked: a request the torrent should not have sent
  CHECK(only<peer_event::Choked>(feed(c, msg(wire::Choke{}))).dropped.size() == 1);
}

TEST_CASE("choke with BEP 6 keeps our requests: the peer rejects them explicitly") {
  auto c = fast_connection();
  REQUIRE(feed(c, msg(wire::HaveAll{}) + msg(wire::Unchoke{})).ok);
  c.send_request(block(1), at(0));
  CHECK(only<peer_event::Choked>(feed(c, msg(wire::Choke{}))).dropped.empty());
  REQUIRE(c.our_requests().size() == 1);
  only<peer_event::Rejected>(feed(c, msg(wire::RejectRequest{PieceIndex(1), 0, kBlockSize})));
  CHECK(c.our_requests().empty());
}

TEST_CASE("allowed_fast needs BEP 6, a valid piece, and is remembered once") {
  auto plain = connection();
  CHECK(contains(error_of(plain, msg(wire::AllowedFast{PieceIndex(1)})), "allowed fast"));

  auto c = fast_connection();
  CHECK(only<peer_event::AllowedFast>(feed(c, msg(wire::AllowedFast{PieceIndex(1)}))).piece == PieceIndex(1));
  CHECK(feed(c, msg(wire::AllowedFast{PieceIndex(1)})).events.empty());
  REQUIRE(c.allowed_fast_from_peer().size() == 1);
  CHECK(c.allowed_fast_from_peer()[0] == PieceIndex(1));
  CHECK(contains(error_of(c, msg(wire::AllowedFast{PieceIndex(10)})), "piece 10"));
}

TEST_CASE("suggest needs BEP 6 and a valid piece") {
  auto plain = connection();
  CHECK(contains(error_of(plain, msg(wire::Suggest{PieceIndex(1)})), "suggest"));
  auto c = fast_connection();
  CHECK(only<peer_event::Suggest>(feed(c, msg(wire::Suggest{PieceIndex(2)}))).piece == PieceIndex(2));
  CHECK(contains(error_of(c, msg(wire::Suggest{PieceIndex(10)})), "piece 10"));
}

TEST_CASE("port is reported as the peer's DHT port") {
  auto c = connection();
  CHECK(only<peer_event::DhtPort>(feed(c, msg(wire::Port{6881}))).port == 6881);
}

TEST_CASE("extended messages without BEP 10 are protocol errors") {
  auto c = connection();
  const std::string e = error_of(c, msg(wire::Extended{3, "x"}));
  CHECK(contains(e, "extended"));
  CHECK(contains(e, "BEP 10"));
}

TEST_CASE("the extension handshake is parsed and stored; a second one updates it (BEP 10)") {
  auto c = connection({.extensions = true});
  CHECK_FALSE(c.peer_extensions());
  const auto first =
      only<peer_event::ExtensionHandshake>(feed(c, msg(wire::Extended{0, "d1:md6:ut_pexi1ee4:reqqi250ee"}), true));
  CHECK(first.handshake.id_of("ut_pex") == 1);
  REQUIRE(c.peer_extensions());
  CHECK(c.peer_extensions()->reqq == 250u);
  only<peer_event::ExtensionHandshake>(feed(c, msg(wire::Extended{0, "d1:md6:ut_pexi0eee"})));
  CHECK(c.peer_extensions()->id_of("ut_pex") == 0);  // withdrawn
  CHECK(c.peer_extensions()->reqq == 250u);           // not said again: still true
}

TEST_CASE("an invalid extension handshake is a protocol error") {
  auto c = connection({.extensions = true});
  CHECK(contains(error_of(c, msg(wire::Extended{0, "li1ee"})), "extension handshake"));
}

TEST_CASE("other extended messages are reported with their payload") {
  auto c = connection({.extensions = true});
  const auto e = only<peer_event::Extended>(feed(c, msg(wire::Extended{3, "payload"})));
  CHECK(e.id == 3);
  CHECK(e.payload == "payload");
}

TEST_CASE("unknown message ids are ignored") {
  auto c = connection();
  Fed f = feed(c, msg(wire::Unknown{0x42, "whatever"}) + msg(wire::Have{PieceIndex(1)}));
  CHECK(f.ok);
  REQUIRE(f.events.size() == 1);
  CHECK(std::holds_alternative<peer_event::Have>(f.events[0]));
}

TEST_CASE("a 4 GiB length prefix is an error at once, without waiting for the body") {
  auto c = connection();
  const std::string e = error_of(c, "\xff\xff\xff\xff"s);
  CHECK(contains(e, "4294967295"));
  // The error sticks: the connection is broken for good.
  CHECK(contains(error_of(c, msg(wire::KeepAlive{})), "4294967295"));
}

TEST_CASE("max_message_size bounds frames") {
  auto c = connection({.limits = {.max_message_size = 100}});
  CHECK(feed(c, msg(wire::Extended{1, std::string(98, 'x')})).error.empty() == false);  // no BEP 10
  auto d = connection({.extensions = true, .limits = {.max_message_size = 100}});
  CHECK(feed(d, msg(wire::Extended{1, std::string(98, 'x')})).ok);
  CHECK(contains(error_of(d, msg(wire::Extended{1, std::string(99, 'x')})), "101 bytes"));
}

TEST_CASE("a protocol error sticks, and events before it are still delivered") {
  auto c = connection();
  Fed f = feed(c, msg(wire::Have{PieceIndex(1)}) + msg(wire::Have{PieceIndex(10)}));
  CHECK_FALSE(f.ok);
  REQUIRE(f.events.size() == 1);
  CHECK(std::holds_alternative<peer_event::Have>(f.events[0]));
  CHECK(contains(error_of(c, msg(wire::Have{PieceIndex(2)})), "piece 10"));
}

TEST_CASE("keep-alives only update last_received") {
  auto c = connection();
  Fed f = feed(c, msg(wire::KeepAlive{}), false, at(42));
  CHECK(f.ok);
  CHECK(f.events.empty());
  CHECK(c.last_received() == at(42));
  CHECK(c.outbound().empty());
}

TEST_CASE("a message trickled a byte at a time is not activity until it completes") {
  // A slowloris: a byte every second of a message it never finishes must not keep it alive.
  auto c = connection({.extensions = true});
  const std::string m = msg(wire::Extended{1, std::string(100, 'x')});
  REQUIRE(feed(c, msg(wire::KeepAlive{}), false, at(10)).ok);
  for (std::size_t i = 0; i + 1 < m.size(); ++i) {
    REQUIRE(feed(c, m.substr(i, 1), false, at(11 + static_cast<int>(i))).ok);
  }
  CHECK(c.last_received() == at(10));
  Fed f = feed(c, m.substr(m.size() - 1), false, at(500));
  CHECK(f.events.size() == 1);
  CHECK(c.last_received() == at(500));
}

TEST_CASE("a large message arriving slowly is activity every kActivityBytes") {
  auto c = connection({.extensions = true});
  const std::string m = msg(wire::Extended{1, std::string(3 * PeerConnection::kActivityBytes, 'x')});
  REQUIRE(feed(c, m.substr(0, PeerConnection::kActivityBytes - 1), false, at(20)).ok);
  CHECK(c.last_received() == TimePoint{});
  REQUIRE(feed(c, m.substr(PeerConnection::kActivityBytes - 1, 1), false, at(30)).ok);
  CHECK(c.last_received() == at(30));
  REQUIRE(feed(c, m.substr(PeerConnection::kActivityBytes, 10), false, at(40)).ok);
  CHECK(c.last_received() == at(30));
}

// ---- sending ------------------------------------------------------------------------------

TEST_CASE("send_bitfield picks have_all, have_none or a bitfield") {
  Bitfield all(10, true);
  Bitfield none(10, false);
  Bitfield some(10);
  some.set(PieceIndex(0));
  some.set(PieceIndex(9));

  auto f1 = fast_connection();
  f1.send_bitfield(all, at(3));
  CHECK(f1.outbound() == msg(wire::HaveAll{}));
  CHECK(f1.last_sent() == at(3));
  auto f2 = fast_connection();
  f2.send_bitfield(none, at(3));
  CHECK(f2.outbound() == msg(wire::HaveNone{}));
  auto f3 = fast_connection();
  f3.send_bitfield(some, at(3));
  CHECK(f3.outbound() == "\0\0\0\x03\x05\x80\x40"s);

  auto p1 = connection();
  p1.send_bitfield(all, at(3));
  CHECK(p1.outbound() == "\0\0\0\x03\x05\xff\xc0"s);
  auto p2 = connection();
  p2.send_bitfield(none, at(3));
  CHECK(p2.outbound().empty());
  CHECK(p2.last_sent() == TimePoint{});
}

TEST_CASE("send_choke with BEP 6 rejects queued requests except allowed-fast ones") {
  auto c = fast_connection();
  c.send_allowed_fast(PieceIndex(5), at(0));
  c.send_unchoke(at(0));
  REQUIRE(feed(c, msg(req(block(1))) + msg(req(block(5))) + msg(req(block(2)))).ok);
  c.outbound().clear();
  c.send_choke(at(9));
  CHECK(c.am_choking());
  CHECK(c.outbound() == msg(wire::Choke{}) + msg(wire::RejectRequest{PieceIndex(1), 0, kBlockSize}) +
                            msg(wire::RejectRequest{PieceIndex(2), 0, kBlockSize}));
  CHECK(c.peer_request_count() == 1);
  CHECK(c.send_block(block(5), std::string(kBlockSize, 'z'), at(9)));
  CHECK(c.last_sent() == at(9));
}

TEST_CASE("send_choke without BEP 6 drops queued requests silently") {
  auto c = unchoked();
  REQUIRE(feed(c, msg(req(block(1)))).ok);
  c.send_choke(at(2));
  CHECK(c.outbound() == msg(wire::Choke{}));
  CHECK(c.peer_request_count() == 0);
  CHECK_FALSE(c.send_block(block(1), std::string(kBlockSize, 'z'), at(2)));
}

TEST_CASE("choke, unchoke and interest are sent only on change") {
  auto c = connection();
  c.send_choke(at(1));  // connections start choked
  CHECK(c.outbound().empty());
  c.send_unchoke(at(1));
  c.send_unchoke(at(1));
  CHECK_FALSE(c.am_choking());
  c.send_interested(true, at(1));
  c.send_interested(true, at(1));
  CHECK(c.am_interested());
  c.send_interested(false, at(1));
  c.send_choke(at(1));
  CHECK(c.outbound() == msg(wire::Unchoke{}) + msg(wire::Interested{}) + msg(wire::NotInterested{}) +
                            msg(wire::Choke{}));
}

TEST_CASE("send_request and send_cancel track our_requests and encode as wire::encode does") {
  auto c = connection();
  c.send_request(block(1), at(1));
  c.send_request(block(1), at(1));  // already outstanding
  c.send_request(block(2, kBlockSize), at(1));
  REQUIRE(c.our_requests().size() == 2);
  c.send_cancel(block(1), at(2));
  c.send_cancel(block(7), at(2));  // never requested: nothing to cancel
  REQUIRE(c.our_requests().size() == 1);
  CHECK(c.our_requests()[0] == block(2, kBlockSize));
  CHECK(c.outbound() == msg(req(block(1))) + msg(req(block(2, kBlockSize))) +
                            msg(wire::Cancel{PieceIndex(1), 0, kBlockSize}));
  CHECK(c.last_sent() == at(2));
}

TEST_CASE("send_block answers only a queued request with the exact length") {
  auto c = unchoked();
  const auto b = block(9, 0, 5);
  REQUIRE(feed(c, msg(req(b))).ok);
  CHECK_FALSE(c.send_block(b, "toolong", at(1)));
  CHECK_FALSE(c.send_block(block(8, 0, 5), "hello", at(1)));
  CHECK(c.outbound().empty());
  CHECK(c.send_block(b, "hello", at(4)));
  CHECK(c.outbound() == msg(wire::Piece{PieceIndex(9), 0, "hello"}));
  CHECK(c.payload_uploaded() == 5);
  CHECK(c.peer_request_count() == 0);
  CHECK_FALSE(c.send_block(b, "hello", at(5)));  // answered already
  CHECK(c.payload_uploaded() == 5);
  CHECK(c.last_sent() == at(4));
}

TEST_CASE("send_block after the peer cancelled returns false") {
  auto c = unchoked();
  REQUIRE(feed(c, msg(req(block(1, 0, 3)))).ok);
  REQUIRE(feed(c, msg(wire::Cancel{PieceIndex(1), 0, 3})).ok);
  CHECK_FALSE(c.send_block(block(1, 0, 3), "abc", at(1)));
  CHECK(c.outbound().empty());
}

TEST_CASE("send_reject drops the request; the message goes out only with BEP 6") {
  auto f = fast_connection();
  f.send_unchoke(at(0));
  REQUIRE(feed(f, msg(wire::HaveNone{}) + msg(req(block(1)))).ok);
  f.outbound().clear();
  f.send_reject(block(1), at(1));
  CHECK(f.outbound() == msg(wire::RejectRequest{PieceIndex(1), 0, kBlockSize}));
  CHECK(f.peer_request_count() == 0);

  auto p = unchoked();
  REQUIRE(feed(p, msg(req(block(1)))).ok);
  p.send_reject(block(1), at(1));
  CHECK(p.outbound().empty());
  CHECK(p.peer_request_count() == 0);
}

TEST_CASE("allowed fast, have, keep-alive, port and extended messages encode as wire::encode does") {
  auto c = connection({.fast = true, .extensions = true});
  c.send_allowed_fast(PieceIndex(3), at(1));
  c.send_allowed_fast(PieceIndex(3), at(1));   // once per piece
  c.send_allowed_fast(PieceIndex(10), at(1));  // no such piece
  c.send_have(PieceIndex(4), at(1));
  c.send_keepalive(at(1));
  c.send_port(6881, at(1));
  c.send_extended(2, "abc", at(1));
  wire::ExtensionHandshake ours;
  ours.m["ut_pex"] = 1;
  c.send_extension_handshake(ours, at(6));
  std::string ext;
  wire::encode(ext, ours);
  CHECK(c.outbound() == msg(wire::AllowedFast{PieceIndex(3)}) + msg(wire::Have{PieceIndex(4)}) +
                            msg(wire::KeepAlive{}) + msg(wire::Port{6881}) + msg(wire::Extended{2, "abc"}) +
                            ext);
  CHECK(c.allowed_fast_to_peer().size() == 1);
  CHECK(c.last_sent() == at(6));
}

TEST_CASE("BEP 6 and BEP 10 messages are not sent when not negotiated") {
  auto c = connection();
  c.send_allowed_fast(PieceIndex(3), at(1));
  c.send_extended(2, "abc", at(1));
  c.send_extension_handshake(wire::ExtensionHandshake{}, at(1));
  CHECK(c.outbound().empty());
  CHECK(c.allowed_fast_to_peer().empty());
}
