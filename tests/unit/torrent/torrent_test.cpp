#include "core/torrent/torrent.hpp"

#include <doctest/doctest.h>

#include "tests/unit/torrent/swarm_fixture.hpp"

using namespace btd;
using namespace btd::test;

namespace {

constexpr std::int64_t kPiece = 32 * 1024;

std::string assemble(const Node& n, std::uint32_t pieces) {
  std::string out;
  for (std::uint32_t i = 0; i < pieces; ++i) {
    auto it = n.disk.find(i);
    if (it == n.disk.end()) return {};
    out += it->second;
  }
  return out;
}

}  // namespace

TEST_CASE("a leecher downloads a whole torrent from a seeder, byte for byte") {
  const std::string payload = payload_bytes(9 * kPiece + 1234, 7);  // short last piece
  auto meta = make_metainfo(payload, kPiece);
  Swarm swarm(meta, payload);
  Node& seed = swarm.add_node("seed", true, 1);
  Node& leech = swarm.add_node("leech", false, 2);
  swarm.connect(leech, seed);
  swarm.run(120, [&] { return leech.completed; });
  REQUIRE(leech.completed);
  CHECK(leech.torrent->state() == TorrentState::seeding);
  CHECK(assemble(leech, meta->piece_count) == payload);
  CHECK(leech.torrent->downloaded() == payload.size());
  CHECK(seed.torrent->uploaded() == payload.size());
  CHECK(leech.failed.empty());
  // Two seeds have nothing to say to each other.
  CHECK_FALSE(swarm.linked(leech));
}

TEST_CASE("pieces flow between leechers: each gets what the other has") {
  const std::string payload = payload_bytes(16 * kPiece, 11);
  auto meta = make_metainfo(payload, kPiece);
  Swarm swarm(meta, payload);
  Node& seed = swarm.add_node("seed", true, 1);
  Node& a = swarm.add_node("a", false, 2);
  Node& b = swarm.add_node("b", false, 3);
  swarm.connect(a, seed);
  swarm.connect(b, a);  // b only reaches the seed's data through a
  swarm.run(300, [&] { return a.completed && b.completed; });
  CHECK(a.completed);
  CHECK(b.completed);
  CHECK(assemble(b, meta->piece_count) == payload);
  CHECK(a.torrent->uploaded() > 0);
}

TEST_CASE("a corrupt seeder's pieces fail the hash, it is banned, and a good seeder finishes the job") {
  const std::string payload = payload_bytes(8 * kPiece, 5);
  auto meta = make_metainfo(payload, kPiece);
  Swarm swarm(meta, payload);
  Node& bad = swarm.add_node("bad", true, 1);
  bad.corrupt = [](PieceIndex, std::string& piece) { piece[100] ^= 0x55; };
  Node& leech = swarm.add_node("leech", false, 2);
  swarm.connect(leech, bad);
  swarm.run(30, [&] { return !leech.failed.empty() && !swarm.linked(leech); });
  CHECK_FALSE(leech.failed.empty());
  CHECK(leech.torrent->have().none());  // never counted a bad piece as had
  bool banned = false;
  for (const auto& r : leech.closed_reasons) banned |= r.find("banned") != std::string::npos;
  CHECK(banned);
  Node& good = swarm.add_node("good", true, 3);
  swarm.connect(leech, good);
  swarm.run(120, [&] { return leech.completed; });
  CHECK(leech.completed);
  CHECK(assemble(leech, meta->piece_count) == payload);
}

TEST_CASE("fetch_now on a paused torrent fetches exactly that piece") {
  const std::string payload = payload_bytes(12 * kPiece, 3);
  auto meta = make_metainfo(payload, kPiece);
  Swarm swarm(meta, payload);
  Node& seed = swarm.add_node("seed", true, 1);
  Node& leech = swarm.add_node("leech", false, 2);
  leech.torrent->set_paused(true, swarm.now());
  REQUIRE(leech.torrent->fetch_now(PieceIndex{7}, swarm.now()).ok());
  swarm.connect(leech, seed);
  swarm.run(60, [&] { return leech.torrent->is_have(PieceIndex{7}); });
  CHECK(leech.torrent->is_have(PieceIndex{7}));
  CHECK(leech.torrent->have().count() == 1);
  CHECK(leech.disk[7] == payload.substr(7 * kPiece, kPiece));
  CHECK(leech.torrent->state() == TorrentState::paused);
}

TEST_CASE("fetch_now puts the piece first in line on a running download") {
  const std::string payload = payload_bytes(64 * kPiece, 9);
  auto meta = make_metainfo(payload, kPiece);
  Swarm swarm(meta, payload);
  Node& seed = swarm.add_node("seed", true, 1);
  Node& leech = swarm.add_node("leech", false, 2);
  REQUIRE(leech.torrent->fetch_now(PieceIndex{50}, swarm.now()).ok());
  swarm.connect(leech, seed);
  swarm.run(120, [&] { return leech.completed; });
  REQUIRE_FALSE(leech.verified.empty());
  CHECK(leech.verified.front() == PieceIndex{50});
}

TEST_CASE("fetch_now refuses an index out of range") {
  const std::string payload = payload_bytes(2 * kPiece, 1);
  auto meta = make_metainfo(payload, kPiece);
  Swarm swarm(meta, payload);
  Node& leech = swarm.add_node("leech", false, 2);
  auto r = leech.torrent->fetch_now(PieceIndex{2}, swarm.now());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("out of range") != std::string::npos);
}

TEST_CASE("a write error puts the torrent in state error and stops requests") {
  const std::string payload = payload_bytes(4 * kPiece, 2);
  auto meta = make_metainfo(payload, kPiece);
  auto t = Torrent::create(meta, Bitfield(meta->piece_count), {}, 1);
  REQUIRE(t.ok());
  (*t)->on_piece_written(PieceIndex{0}, true, Error(Errc::io_error, "cannot write /x: No space left on device"),
                         Torrent::TimePoint{});
  CHECK((*t)->state() == TorrentState::error);
  REQUIRE((*t)->error().has_value());
  CHECK((*t)->error()->find("No space") != std::string::npos);
  CHECK_FALSE((*t)->is_have(PieceIndex{0}));
}

TEST_CASE("after a full disk, resume continues the download and keeps the pieces already verified") {
  const std::string payload = payload_bytes(24 * kPiece, 8);
  auto meta = make_metainfo(payload, kPiece);
  Swarm swarm(meta, payload);
  Node& seed = swarm.add_node("seed", true, 1);
  Node& leech = swarm.add_node("leech", false, 2);
  leech.write_error = Error(Errc::io_error, "cannot write /dl/x: No space left on device");
  leech.write_error_after = 5;
  swarm.connect(leech, seed);
  swarm.run(60, [&] { return leech.torrent->state() == TorrentState::error; });
  REQUIRE(leech.torrent->state() == TorrentState::error);
  const std::size_t kept = leech.torrent->have().count();
  CHECK(kept >= 5);
  swarm.run(5, [] { return false; });
  CHECK(leech.torrent->have().count() == kept);  // no progress while in error

  leech.write_error.reset();  // space freed
  leech.torrent->set_paused(false, swarm.now());
  CHECK(leech.torrent->state() != TorrentState::error);
  swarm.run(120, [&] { return leech.completed; });
  CHECK(leech.completed);
  CHECK(assemble(leech, meta->piece_count) == payload);
}

TEST_CASE("a peer silent since its handshake is not dropped as idle right away") {
  // Transmission sends its handshake, then its first messages half a second later: the idle
  // clock must start at the connection, not at the beginning of time.
  const std::string payload = payload_bytes(4 * kPiece, 2);
  auto meta = make_metainfo(payload, kPiece);
  auto t = Torrent::create(meta, Bitfield(meta->piece_count, true), {}, 1);
  REQUIRE(t.ok());
  const Torrent::TimePoint now{std::chrono::hours(5)};
  wire::Handshake theirs{Torrent::our_reserved(), meta->info_hash, {}};
  REQUIRE((*t)->on_peer_connected(PeerKey{1}, {"10.0.0.1", 6881}, true, theirs, {}, now).ok());
  (*t)->tick(now + std::chrono::seconds(1));
  CHECK((*t)->peer_count() == 1);
  (*t)->tick(now + std::chrono::seconds(181));
  CHECK((*t)->peer_count() == 0);  // but a peer silent past the limit still goes
}
