// Serving ut_metadata (BEP 9): what a seed's engine advertises and answers, with the test
// playing the remote peer byte for byte.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/create/torrent_builder.hpp"
#include "core/metadata/metadata_assembler.hpp"
#include "core/metainfo/metainfo.hpp"
#include "core/torrent/torrent.hpp"
#include "core/wire/frame_decoder.hpp"
#include "core/wire/message.hpp"
#include "core/wire/ut_metadata.hpp"

using namespace btd;

namespace {

constexpr std::uint8_t kPeerUtMetadataId = 7;  // the id the remote peer asks us to use

// A torrent whose info dict spans three ut_metadata pieces: 400 files with long names make it
// about 40 KB while the payload stays small.
std::shared_ptr<const Metainfo> big_info_metainfo(bool is_private) {
  CreateOptions o;
  o.name = "many";
  o.is_private = is_private;
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
  return std::make_shared<const Metainfo>(std::move(*meta));
}

// A seed with one incoming peer (key 1) that speaks BEP 6 and BEP 10; everything the engine
// sends it is decoded into messages.
struct Seed {
  std::shared_ptr<const Metainfo> meta;
  std::unique_ptr<Torrent> t;
  Torrent::TimePoint now{std::chrono::hours(5)};
  PeerKey key{1};
  wire::FrameDecoder frames;
  std::vector<wire::ExtensionHandshake> handshakes;
  std::vector<std::string> extended;  // payloads sent to us under kPeerUtMetadataId
  std::vector<std::string> closed;

  explicit Seed(std::shared_ptr<const Metainfo> m, TorrentConfig config = {}) : meta(std::move(m)) {
    auto created = Torrent::create(meta, Bitfield(meta->piece_count, true), config, 1);
    REQUIRE(created.ok());
    t = std::move(*created);
    wire::Handshake theirs{Torrent::our_reserved(), meta->info_hash, {}};
    REQUIRE(t->on_peer_connected(key, {"10.0.0.1", 6881}, true, theirs, {}, now).ok());
  }

  void send_handshake(std::uint8_t ut_metadata_id) {
    wire::ExtensionHandshake h;
    if (ut_metadata_id != 0) h.m.emplace("ut_metadata", ut_metadata_id);
    std::string bytes;
    wire::encode(bytes, h);
    t->on_peer_data(key, bytes, now);
  }
  void send_metadata(const std::string& payload) {
    std::string bytes;
    wire::encode(bytes, wire::Message{wire::Extended{wire::kOurUtMetadataId, payload}});
    t->on_peer_data(key, bytes, now);
  }

  // Takes the engine's effects; the peer's socket drains only when `drain` says so.
  void pump(bool drain = true) {
    for (bool moved = true; moved;) {
      moved = false;
      for (TorrentEffect& e : t->take_effects()) {
        if (auto* send = std::get_if<torrent_effect::Send>(&e)) {
          moved = drain;
          frames.feed(send->bytes);
          for (;;) {
            auto frame = frames.pop();
            REQUIRE(frame.ok());
            if (!frame->has_value()) break;
            auto msg = wire::parse_message(**frame);
            REQUIRE(msg.ok());
            if (auto* ext = std::get_if<wire::Extended>(&*msg)) {
              if (ext->id == 0) {
                auto h = wire::parse_extension_handshake(ext->payload);
                REQUIRE(h.ok());
                handshakes.push_back(*h);
              } else {
                CHECK(ext->id == kPeerUtMetadataId);  // always under the id the peer chose
                extended.emplace_back(ext->payload);
              }
            }
          }
          if (drain) t->on_peer_drained(key);
        } else if (auto* close = std::get_if<torrent_effect::Close>(&e)) {
          closed.push_back(close->reason);
        }
      }
    }
  }
};

}  // namespace

TEST_CASE("a seed advertises ut_metadata and the exact size of its info dict") {
  auto meta = big_info_metainfo(false);
  Seed s(meta);
  s.pump();
  REQUIRE(s.handshakes.size() == 1);
  CHECK(s.handshakes[0].id_of("ut_metadata") == wire::kOurUtMetadataId);
  REQUIRE(s.handshakes[0].metadata_size.has_value());
  CHECK(*s.handshakes[0].metadata_size == meta->info_bytes.size());
  CHECK(sha1(meta->info_bytes) == meta->info_hash);
  CHECK(meta->info_bytes.size() > 2 * wire::kMetadataPieceSize);  // the fixture spans 3 pieces
}

TEST_CASE("a private torrent offers no ut_metadata, and ignores requests for it (as libtorrent)") {
  Seed s(big_info_metainfo(true));
  s.pump();
  REQUIRE(s.handshakes.size() == 1);
  CHECK(s.handshakes[0].id_of("ut_metadata") == 0);
  CHECK_FALSE(s.handshakes[0].metadata_size.has_value());
  s.send_handshake(kPeerUtMetadataId);
  s.send_metadata(wire::encode_ut_metadata_request(0));
  s.pump();
  CHECK(s.extended.empty());
  CHECK(s.t->peer_count() == 1);
}

TEST_CASE("a peer fetches the whole info dict from a seed, and it hashes to the info-hash") {
  auto meta = big_info_metainfo(false);
  Seed s(meta);
  s.send_handshake(kPeerUtMetadataId);
  s.pump();
  auto assembler = MetadataAssembler::create(meta->info_hash, *s.handshakes.at(0).metadata_size);
  REQUIRE(assembler.ok());
  // Ask for everything at once, as a fetching client with several requests in flight does.
  while (auto piece = assembler->next_request(s.key)) s.send_metadata(wire::encode_ut_metadata_request(*piece));
  s.pump();
  REQUIRE(s.extended.size() == 3);
  MetadataPieceStatus last = MetadataPieceStatus::ignored;
  for (const std::string& payload : s.extended) {
    auto m = wire::parse_ut_metadata(payload);
    REQUIRE(m.ok());
    CHECK(m->type == wire::UtMetadataType::data);
    CHECK(m->total_size == meta->info_bytes.size());
    auto outcome = assembler->on_data(s.key, m->piece, m->data);
    REQUIRE(outcome.ok());
    last = outcome->status;
  }
  CHECK(last == MetadataPieceStatus::complete);
  CHECK(assembler->take_metadata() == meta->info_bytes);
  CHECK(s.t->peer_count() == 1);
}

TEST_CASE("a request for a metadata piece out of range is rejected, and the peer stays") {
  auto meta = big_info_metainfo(false);
  Seed s(meta);
  s.send_handshake(kPeerUtMetadataId);
  s.send_metadata(wire::encode_ut_metadata_request(3));  // pieces are 0..2
  s.pump();
  REQUIRE(s.extended.size() == 1);
  CHECK(s.extended[0] == "d8:msg_typei2e5:piecei3ee");
  CHECK(s.t->peer_count() == 1);
}

TEST_CASE("requests past the bound wait for the peer's socket, and the excess is rejected") {
  TorrentConfig config;
  config.upload_backlog = 1;  // nothing more goes out until the peer reads what it was sent
  config.max_metadata_requests = 4;
  auto meta = big_info_metainfo(false);
  Seed s(meta, config);
  s.send_handshake(kPeerUtMetadataId);
  s.pump(/*drain=*/false);  // our handshake and bitfield fill the backlog
  for (int i = 0; i < 10; ++i) s.send_metadata(wire::encode_ut_metadata_request(static_cast<std::uint32_t>(i % 3)));
  s.pump(/*drain=*/false);
  // Four wait; the other six are rejected at once.
  REQUIRE(s.extended.size() == 6);
  for (const std::string& payload : s.extended) {
    auto m = wire::parse_ut_metadata(payload);
    REQUIRE(m.ok());
    CHECK(m->type == wire::UtMetadataType::reject);
  }
  // Once the socket drains, the four go out one per drain (the backlog is 1 byte).
  s.extended.clear();
  for (int i = 0; i < 10; ++i) {
    s.t->on_peer_drained(s.key);
    s.pump(/*drain=*/false);
  }
  REQUIRE(s.extended.size() == 4);
  for (std::size_t i = 0; i < s.extended.size(); ++i) {
    auto m = wire::parse_ut_metadata(s.extended[i]);
    REQUIRE(m.ok());
    CHECK(m->type == wire::UtMetadataType::data);
    CHECK(m->piece == i % 3);  // the first four requests, in order
  }
}

TEST_CASE("a malformed ut_metadata message drops the peer with the reason") {
  Seed s(big_info_metainfo(false));
  s.send_handshake(kPeerUtMetadataId);
  s.send_metadata("d8:msg_typei0ee");
  s.pump();
  CHECK(s.t->peer_count() == 0);
  REQUIRE(s.closed.size() == 1);
  CHECK(s.closed[0].find("piece is missing") != std::string::npos);
}

TEST_CASE("a peer that gave no ut_metadata id gets no answer (it could not read one)") {
  Seed s(big_info_metainfo(false));
  s.send_handshake(0);
  s.send_metadata(wire::encode_ut_metadata_request(0));
  s.pump();
  CHECK(s.extended.empty());
  CHECK(s.t->peer_count() == 1);
}
