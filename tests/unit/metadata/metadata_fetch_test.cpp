// Fetching a magnet link's info dict (BEP 9 over BEP 10), with the test playing the remote peers
// byte for byte and moving the clock by hand.
#include "core/metadata/metadata_fetch.hpp"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/create/torrent_builder.hpp"
#include "core/metainfo/metainfo.hpp"
#include "core/wire/extension_handshake.hpp"
#include "core/wire/message.hpp"
#include "core/wire/ut_metadata.hpp"

using namespace btd;

namespace {

constexpr std::uint8_t kRemoteId = 9;  // the id remote peers ask us to send ut_metadata with

// An info dict of three ut_metadata pieces (about 40 KB: 400 files with long names).
const std::string& info_dict() {
  static const std::string info = [] {
    CreateOptions o;
    o.name = "many";
    for (int i = 0; i < 400; ++i)
      o.files.push_back({{"file-with-a-rather-long-name-to-fill-the-info-dictionary-" + std::to_string(i)}, 100});
    o.piece_length = 16 * 1024;
    auto b = TorrentBuilder::create(o);
    REQUIRE(b.ok());
    b->update(std::string(400 * 100, 'p'));
    auto bytes = b->finish();
    REQUIRE(bytes.ok());
    auto meta = parse_metainfo(*bytes);
    REQUIRE(meta.ok());
    return meta->info_bytes;
  }();
  return info;
}

std::string piece_of(const std::string& m, std::uint32_t piece) {
  return m.substr(std::size_t{piece} * wire::kMetadataPieceSize, wire::metadata_piece_size(m.size(), piece));
}

// What one remote peer received from the fetch, decoded.
struct Remote {
  wire::FrameDecoder frames;
  std::vector<wire::ExtensionHandshake> handshakes;
  std::vector<std::uint32_t> requested;  // ut_metadata request pieces, in order
  std::vector<std::uint32_t> rejected;   // ut_metadata rejects we got
  int have_none = 0;
  int other = 0;  // any other message
};

struct Fixture {
  std::string info = info_dict();
  MetadataFetch fetch;
  MetadataFetch::TimePoint now{std::chrono::hours(3)};
  std::map<std::uint32_t, Remote> remotes;
  std::map<std::uint32_t, std::string> closed;  // key -> reason
  std::vector<tracker::PeerEndpoint> dialled;

  explicit Fixture(MetadataFetchConfig config = {}) : fetch(sha1(info), std::move(config)) {}

  void pump() {
    for (TorrentEffect& e : fetch.take_effects()) {
      if (auto* send = std::get_if<torrent_effect::Send>(&e)) {
        Remote& r = remotes[send->peer.get()];
        r.frames.feed(send->bytes);
        for (;;) {
          auto frame = r.frames.pop();
          REQUIRE(frame.ok());
          if (!frame->has_value()) break;
          auto msg = wire::parse_message(**frame);
          REQUIRE(msg.ok());
          if (std::holds_alternative<wire::HaveNone>(*msg)) {
            ++r.have_none;
          } else if (auto* ext = std::get_if<wire::Extended>(&*msg)) {
            if (ext->id == 0) {
              auto h = wire::parse_extension_handshake(ext->payload);
              REQUIRE(h.ok());
              r.handshakes.push_back(*h);
              continue;
            }
            CHECK(ext->id == kRemoteId);  // always under the id the remote chose
            auto m = wire::parse_ut_metadata(ext->payload);
            REQUIRE(m.ok());
            if (m->type == wire::UtMetadataType::request) r.requested.push_back(m->piece);
            else if (m->type == wire::UtMetadataType::reject) r.rejected.push_back(m->piece);
          } else {
            ++r.other;
          }
        }
      } else if (auto* close = std::get_if<torrent_effect::Close>(&e)) {
        closed[close->peer.get()] = close->reason;
      } else if (auto* connect = std::get_if<torrent_effect::Connect>(&e)) {
        dialled.push_back(connect->endpoint);
      } else {
        FAIL("the metadata fetch asked for a disk or torrent effect");
      }
    }
  }

  Result<void> connect(std::uint32_t key, bool incoming = false, bool extensions = true) {
    wire::Handshake theirs;
    theirs.reserved.set_extension_protocol(extensions);
    theirs.reserved.set_fast_extension(true);
    theirs.info_hash = sha1(info);
    auto r = fetch.on_peer_connected(PeerKey{key}, {"10.0.0." + std::to_string(key), 6881}, incoming, theirs, {}, now);
    pump();
    return r;
  }

  void handshake(std::uint32_t key, std::optional<std::uint64_t> size, std::uint8_t id = kRemoteId,
                 std::optional<std::uint16_t> port = std::nullopt) {
    wire::ExtensionHandshake h;
    if (id != 0) h.m.emplace("ut_metadata", id);
    h.metadata_size = size;
    h.p = port;
    std::string bytes;
    wire::encode(bytes, h);
    feed(key, bytes);
  }

  void ut_metadata(std::uint32_t key, const std::string& payload) {
    std::string bytes;
    wire::encode(bytes, wire::Message{wire::Extended{wire::kOurUtMetadataId, payload}});
    feed(key, bytes);
  }

  void data(std::uint32_t key, std::uint32_t piece, const std::string& m) {
    ut_metadata(key, wire::encode_ut_metadata_data(piece, m.size(), piece_of(m, piece)));
  }

  void feed(std::uint32_t key, const std::string& bytes) {
    fetch.on_peer_data(PeerKey{key}, bytes, now);
    pump();
  }

  void tick(std::chrono::seconds by) {
    now += by;
    fetch.tick(now);
    pump();
  }

  // Answers every request each remote has waiting with the true metadata, until none is left.
  void answer_all() {
    for (bool any = true; any;) {
      any = false;
      for (auto& [key, r] : remotes) {
        if (closed.count(key) != 0) continue;
        std::vector<std::uint32_t> asked;
        asked.swap(r.requested);
        for (std::uint32_t piece : asked) {
          any = true;
          data(key, piece, info);
        }
      }
    }
  }
};

}  // namespace

TEST_CASE("metadata fetch dials candidates, at most max_connecting at once") {
  MetadataFetchConfig c;
  c.max_connecting = 2;
  Fixture f(c);
  f.fetch.add_peer_candidates({{"10.0.0.1", 1}, {"10.0.0.2", 2}, {"10.0.0.3", 3}}, f.now);
  f.pump();
  REQUIRE(f.dialled.size() == 2);
  CHECK(f.dialled[0] == tracker::PeerEndpoint{"10.0.0.1", 1});
  f.fetch.on_connect_failed(f.dialled[0], f.now);
  f.pump();
  REQUIRE(f.dialled.size() == 3);
  CHECK(f.dialled[2] == tracker::PeerEndpoint{"10.0.0.3", 3});
}

TEST_CASE("metadata fetch greets a peer with have_none and a handshake offering ut_metadata, no size") {
  Fixture f;
  REQUIRE(f.connect(1).ok());
  Remote& r = f.remotes[1];
  CHECK(r.have_none == 1);
  REQUIRE(r.handshakes.size() == 1);
  CHECK(r.handshakes[0].id_of("ut_metadata") == wire::kOurUtMetadataId);
  CHECK_FALSE(r.handshakes[0].metadata_size.has_value());  // we have none to give
  CHECK(r.handshakes[0].yourip == std::string("\x0a\x00\x00\x01", 4));
  CHECK(f.fetch.peer_count() == 1);
  // Without BEP 10 there is no ut_metadata: refused.
  auto plain = f.connect(2, false, false);
  REQUIRE_FALSE(plain.ok());
  CHECK(plain.error().message.find("extension protocol") != std::string::npos);
  CHECK(f.fetch.peer_count() == 1);
}

TEST_CASE("metadata fetch gets the info dict from two peers, each piece asked of one peer first") {
  Fixture f;
  REQUIRE(f.connect(1).ok());
  REQUIRE(f.connect(2).ok());
  CHECK(f.fetch.metadata_size() == 0);
  f.handshake(1, f.info.size());
  CHECK(f.fetch.metadata_size() == f.info.size());
  CHECK(f.fetch.metadata_pieces() == 3);
  CHECK(f.remotes[1].requested == std::vector<std::uint32_t>{0, 1});  // two outstanding per peer
  f.handshake(2, f.info.size());
  CHECK(f.remotes[2].requested == std::vector<std::uint32_t>{2, 0});  // the unasked piece first
  f.remotes[2].requested.clear();  // peer 2 never answers; peer 1 does, and is asked the rest
  for (std::uint32_t piece : {0u, 1u}) f.data(1, piece, f.info);
  CHECK_FALSE(f.fetch.done());
  CHECK(f.fetch.metadata_pieces_have() == 2);
  CHECK(f.remotes[1].requested == std::vector<std::uint32_t>{0, 1, 2});
  f.data(1, 2, f.info);
  REQUIRE(f.fetch.done());
  const std::string got = f.fetch.take_metadata();
  CHECK(got == f.info);
  CHECK(sha1(got) == f.fetch.info_hash());
  CHECK(f.closed.empty());
  // Later data (peer 2's answers) changes nothing.
  f.data(2, 2, f.info);
  CHECK(f.fetch.done());
}

TEST_CASE("a peer announcing metadata_size 2^31 is dropped before anything is allocated") {
  Fixture f;
  REQUIRE(f.connect(1).ok());
  wire::ExtensionHandshake h;
  h.m.emplace("ut_metadata", kRemoteId);
  h.metadata_size = std::uint64_t{1} << 31;
  std::string bytes;
  wire::encode(bytes, h);
  f.feed(1, bytes);
  REQUIRE(f.closed.count(1) == 1);
  CHECK(f.closed[1].find("metadata_size") != std::string::npos);
  CHECK(f.fetch.metadata_size() == 0);
  CHECK(f.fetch.peer_count() == 0);
  CHECK(f.remotes[1].requested.empty());
}

TEST_CASE("metadata pieces out of range, of the wrong length or size drop the peer; a good peer completes") {
  Fixture f;
  for (std::uint32_t k : {1u, 2u, 3u, 4u}) REQUIRE(f.connect(k).ok());
  for (std::uint32_t k : {1u, 2u, 3u, 4u}) f.handshake(k, f.info.size());
  const auto size = f.info.size();
  // 1: a piece past the third, with a total_size that makes it "valid" on its own.
  f.ut_metadata(1, wire::encode_ut_metadata_data(7, 8 * 16384, std::string(16384, 'x')));
  // 2: the right piece, but the total_size of other metadata.
  f.ut_metadata(2, wire::encode_ut_metadata_data(0, size + 1, piece_of(f.info + "x", 0)));
  // 3: data shorter than its piece, hand-built (the encoder would not make it).
  f.ut_metadata(3, "d8:msg_typei1e5:piecei0e10:total_sizei" + std::to_string(size) + "ee" + std::string(100, 'y'));
  REQUIRE(f.closed.size() == 3);
  CHECK(f.closed[1].find("piece 7") != std::string::npos);
  CHECK(f.closed[2].find("total_size " + std::to_string(size + 1) + ", but announced metadata_size " +
                         std::to_string(size)) != std::string::npos);
  CHECK(f.closed.count(3) == 1);
  CHECK(f.fetch.peer_count() == 1);
  f.remotes[1].requested.clear();
  f.remotes[2].requested.clear();
  f.remotes[3].requested.clear();
  f.answer_all();
  REQUIRE(f.fetch.done());
  CHECK(f.fetch.take_metadata() == f.info);
  CHECK(f.closed.count(4) == 0);
}

TEST_CASE("metadata that fails the info-hash drops its sender and the fetch starts over") {
  MetadataFetchConfig c;
  c.max_requests_per_peer = 3;
  Fixture f(c);
  REQUIRE(f.connect(1).ok());
  f.handshake(1, f.info.size());
  REQUIRE(f.remotes[1].requested.size() == 3);
  std::string wrong = f.info;
  wrong[20000] ^= 1;  // in piece 1
  for (std::uint32_t piece : {0u, 1u, 2u}) f.data(1, piece, wrong);
  REQUIRE(f.closed.count(1) == 1);
  CHECK(f.closed[1].find("does not match the info-hash") != std::string::npos);
  CHECK(f.fetch.hash_failures() == 1);
  CHECK_FALSE(f.fetch.done());
  CHECK(f.fetch.metadata_pieces_have() == 0);
  // The sole sender is banned: it cannot come back.
  CHECK_FALSE(f.connect(1).ok());
  REQUIRE(f.connect(2).ok());
  f.handshake(2, f.info.size());
  CHECK(f.remotes[2].requested.size() == 3);
  f.answer_all();
  REQUIRE(f.fetch.done());
  CHECK(f.fetch.take_metadata() == f.info);
}

TEST_CASE("a size announced first by a liar is fetched until it fails the info-hash, then the other") {
  Fixture f;
  const std::string fake(f.info.size() + 5000, 'L');
  REQUIRE(f.connect(1).ok());
  f.handshake(1, fake.size());  // first, so its size is fetched first
  REQUIRE(f.connect(2).ok());
  f.handshake(2, f.info.size());  // one against one: the size being fetched stays
  CHECK(f.fetch.metadata_size() == fake.size());
  CHECK(f.remotes[2].requested.empty());  // a peer of another size is not asked
  // The liar answers with metadata of its size, which cannot hash right.
  while (!f.remotes[1].requested.empty() && f.closed.empty()) {
    std::vector<std::uint32_t> asked;
    asked.swap(f.remotes[1].requested);
    for (std::uint32_t piece : asked) f.data(1, piece, fake);
  }
  REQUIRE(f.closed.count(1) == 1);
  CHECK(f.fetch.metadata_size() == f.info.size());
  f.answer_all();
  REQUIRE(f.fetch.done());
  CHECK(f.fetch.take_metadata() == f.info);
}

TEST_CASE("a size more peers agree on replaces the one a single peer announced first") {
  Fixture f;
  const std::string fake(f.info.size() + 5000, 'L');
  REQUIRE(f.connect(1).ok());
  f.handshake(1, fake.size());
  REQUIRE(f.remotes[1].requested.size() == 2);
  REQUIRE(f.connect(2).ok());
  REQUIRE(f.connect(3).ok());
  f.handshake(2, f.info.size());
  CHECK(f.fetch.metadata_size() == fake.size());
  f.handshake(3, f.info.size());  // two against one
  CHECK(f.fetch.metadata_size() == f.info.size());
  CHECK_FALSE(f.remotes[2].requested.empty());
  CHECK_FALSE(f.remotes[3].requested.empty());
  // The liar's answers are for a size nobody fetches now: ignored, and it is asked nothing more.
  f.data(1, f.remotes[1].requested[0], fake);
  CHECK(f.closed.empty());
  CHECK(f.fetch.metadata_pieces_have() == 0);
  f.remotes[1].requested.clear();
  f.answer_all();
  CHECK(f.remotes[1].requested.empty());
  REQUIRE(f.fetch.done());
  CHECK(f.fetch.take_metadata() == f.info);
}

TEST_CASE("an unanswered metadata request goes to another peer; three time-outs drop the peer") {
  MetadataFetchConfig c;
  c.max_requests_per_peer = 1;
  c.request_timeout = std::chrono::seconds(10);
  Fixture f(c);
  REQUIRE(f.connect(1).ok());
  f.handshake(1, f.info.size());
  REQUIRE(f.remotes[1].requested == std::vector<std::uint32_t>{0});
  f.tick(std::chrono::seconds(5));
  REQUIRE(f.connect(2).ok());
  f.handshake(2, f.info.size());
  CHECK(f.remotes[2].requested == std::vector<std::uint32_t>{1});
  f.remotes[2].requested.clear();
  f.data(2, 1, f.info);
  // Piece 0 is still asked of peer 1 only; piece 2 goes to peer 2.
  CHECK(f.remotes[2].requested == std::vector<std::uint32_t>{2});
  f.remotes[2].requested.clear();
  f.data(2, 2, f.info);
  CHECK(f.remotes[2].requested == std::vector<std::uint32_t>{0});  // end game: asked of both
  f.remotes[2].requested.clear();
  f.tick(std::chrono::seconds(6));  // peer 1's request is 11 s old: given back
  CHECK(f.closed.empty());
  // Peer 1 is not asked again at once: still only its first request.
  CHECK(f.remotes[1].requested == std::vector<std::uint32_t>{0});
  f.data(2, 0, f.info);
  REQUIRE(f.fetch.done());

  // Three time-outs in a row: dropped.
  Fixture g(c);
  REQUIRE(g.connect(1).ok());
  g.handshake(1, g.info.size());
  for (int i = 0; i < 10 && g.closed.empty(); ++i) g.tick(std::chrono::seconds(11));
  REQUIRE(g.closed.count(1) == 1);
  CHECK(g.closed[1].find("time out") != std::string::npos);
}

TEST_CASE("a rejected metadata request is asked of another peer") {
  MetadataFetchConfig c;
  c.max_requests_per_peer = 1;
  Fixture f(c);
  REQUIRE(f.connect(1).ok());
  REQUIRE(f.connect(2).ok());
  f.handshake(1, f.info.size());
  f.handshake(2, f.info.size());
  CHECK(f.remotes[1].requested == std::vector<std::uint32_t>{0});
  CHECK(f.remotes[2].requested == std::vector<std::uint32_t>{1});
  f.remotes[2].requested.clear();
  f.ut_metadata(1, wire::encode_ut_metadata_reject(0));
  CHECK(f.closed.empty());
  f.data(2, 1, f.info);
  CHECK(f.remotes[2].requested == std::vector<std::uint32_t>{0});  // peer 1's piece
}

TEST_CASE("a peer asking us for metadata gets rejects, a bounded number") {
  MetadataFetchConfig c;
  c.max_rejects_per_peer = 3;
  Fixture f(c);
  REQUIRE(f.connect(1).ok());
  f.handshake(1, std::nullopt);
  for (std::uint32_t i = 0; i < 10; ++i) f.ut_metadata(1, wire::encode_ut_metadata_request(i));
  CHECK(f.remotes[1].rejected == std::vector<std::uint32_t>{0, 1, 2});
  CHECK(f.closed.empty());
}

TEST_CASE("metadata fetch pauses: peers closed, no dialling; resumed, it dials again") {
  Fixture f;
  f.fetch.add_peer_candidates({{"10.0.0.1", 6881}}, f.now, true);
  f.pump();
  REQUIRE(f.dialled.size() == 1);
  REQUIRE(f.connect(1).ok());
  f.fetch.set_paused(true, f.now);
  f.pump();
  CHECK(f.closed.count(1) == 1);
  CHECK(f.fetch.peer_count() == 0);
  CHECK_FALSE(f.connect(2).ok());
  f.tick(std::chrono::seconds(60));
  CHECK(f.dialled.size() == 1);
  f.fetch.set_paused(false, f.now);
  f.pump();
  CHECK(f.dialled.size() == 2);
}

TEST_CASE("a peer without an extension handshake is dropped after the time-out") {
  MetadataFetchConfig c;
  c.handshake_timeout = std::chrono::seconds(20);
  Fixture f(c);
  REQUIRE(f.connect(1).ok());
  f.tick(std::chrono::seconds(15));
  CHECK(f.closed.empty());
  f.tick(std::chrono::seconds(6));
  REQUIRE(f.closed.count(1) == 1);
  CHECK(f.closed[1].find("no extension handshake") != std::string::npos);
}

TEST_CASE("known peers: the address dialled, or an incoming peer's address with its listen port") {
  Fixture f;
  REQUIRE(f.connect(1).ok());
  REQUIRE(f.connect(2, true).ok());
  REQUIRE(f.connect(3, true).ok());
  f.handshake(2, std::nullopt, kRemoteId, 51413);
  f.handshake(3, std::nullopt);  // no port: it cannot be dialled
  const auto known = f.fetch.known_peers();
  CHECK(known == std::vector<tracker::PeerEndpoint>{{"10.0.0.1", 6881}, {"10.0.0.2", 51413}});
  const auto infos = f.fetch.peers();
  REQUIRE(infos.size() == 3);
  CHECK(infos[0].address == "10.0.0.1:6881");
}

TEST_CASE("when no connected peer offers the size being fetched, the fetch switches to one that does") {
  Fixture f;
  REQUIRE(f.connect(1).ok());
  f.handshake(1, 40000);  // a plausible size, not the real one
  CHECK(f.fetch.metadata_size() == 40000);
  REQUIRE_FALSE(f.remotes[1].requested.empty());
  // It answers with a piece out of range: dropped.
  f.ut_metadata(1, "d8:msg_typei1e5:piecei1000e10:total_sizei40000ee" + std::string(16384, 'z'));
  REQUIRE(f.closed.count(1) == 1);
  CHECK(f.fetch.metadata_size() == 0);  // nobody offers 40000 any more
  REQUIRE(f.connect(2).ok());
  f.handshake(2, f.info.size());
  CHECK(f.fetch.metadata_size() == f.info.size());
  f.answer_all();
  REQUIRE(f.fetch.done());
  CHECK(f.fetch.take_metadata() == f.info);
}
