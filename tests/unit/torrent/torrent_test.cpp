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

namespace {

constexpr std::uint32_t kBlock = 16000;  // two of them and 700 bytes of shift fit a piece

// A seeding torrent with one incoming peer (key 1) that is interested and unchoked.
struct SeedWithPeer {
  std::string payload = payload_bytes(8 * kPiece, 3);
  std::shared_ptr<const Metainfo> meta = make_metainfo(payload, kPiece);
  std::unique_ptr<Torrent> t;
  Torrent::TimePoint now{std::chrono::hours(5)};
  PeerKey key{1};

  explicit SeedWithPeer(TorrentConfig config, bool unchoke = true) {
    auto created = Torrent::create(meta, Bitfield(meta->piece_count, true), config, 1);
    REQUIRE(created.ok());
    t = std::move(*created);
    wire::Handshake theirs{Torrent::our_reserved(), meta->info_hash, {}};
    REQUIRE(t->on_peer_connected(key, {"10.0.0.1", 6881}, true, theirs, {}, now).ok());
    if (!unchoke) return;
    std::string interested;
    wire::encode(interested, wire::Interested{});
    t->on_peer_data(key, interested, now);
    now += std::chrono::seconds(1);
    t->tick(now);
    (void)t->take_effects();
  }

  std::string requests(std::uint32_t count) const {
    std::string out;
    for (std::uint32_t i = 0; i < count; ++i) {
      // All distinct: two halves of each piece, shifted by i / 16 bytes.
      const std::uint32_t piece = i / 2 % meta->piece_count;
      wire::encode(out, wire::Request{PieceIndex{piece}, (i % 2) * kBlock + i / 16 % 700, kBlock});
    }
    return out;
  }

  // Answers every block read like a disk, without the peer's socket draining; returns the
  // block bytes sent and whether the torrent closed the peer.
  std::pair<std::size_t, bool> serve() {
    std::size_t sent = 0;
    bool closed = false;
    for (bool moved = true; moved;) {
      moved = false;
      for (TorrentEffect& e : t->take_effects()) {
        if (auto* read = std::get_if<torrent_effect::ReadBlock>(&e)) {
          moved = true;
          const auto& b = read->block;
          const auto off = static_cast<std::size_t>(b.piece.get()) * kPiece + b.begin;
          t->on_block_read(key, b, payload.substr(off, b.length), now);
        } else if (auto* send = std::get_if<torrent_effect::Send>(&e)) {
          sent += send->bytes.size();
        } else if (std::holds_alternative<torrent_effect::Close>(e)) {
          closed = true;
        }
      }
    }
    return {sent, closed};
  }
};

}  // namespace

TEST_CASE("peers() names each connection by its key, with the letters other clients show") {
  SeedWithPeer s(TorrentConfig{});
  const std::vector<PeerInfo> peers = s.t->peers(s.now);
  REQUIRE(peers.size() == 1);
  CHECK(peers[0].key == s.key);
  CHECK(peers[0].address == "10.0.0.1:6881");
  // Interested and unchoked by us (U), incoming (I), the fast extension (F); no E: that letter
  // is encryption, which the daemon adds.
  CHECK(peers[0].flags == "UIF");
}

TEST_CASE("block reads queued for a peer are bounded in bytes, whatever the request length") {
  TorrentConfig config;
  config.read_bytes_in_flight_per_peer = 4 * kBlock;
  SeedWithPeer s(config);
  auto reads_queued = [](Torrent& t) {
    std::size_t n = 0;
    for (TorrentEffect& e : t.take_effects()) n += std::holds_alternative<torrent_effect::ReadBlock>(e) ? 1 : 0;
    return n;
  };
  s.t->on_peer_data(s.key, s.requests(32), s.now);
  CHECK(reads_queued(*s.t) == 4);  // 4 blocks of kBlock, the rest wait in the upload queue
  // Whole-piece requests (kPiece, within the 128 KiB request limit) fill the budget sooner, so
  // what a peer can have in flight plus its backlog stays under max_unsent_bytes.
  SeedWithPeer big(config);
  std::string whole;
  const auto piece_length = static_cast<std::uint32_t>(kPiece);
  for (std::uint32_t p = 0; p < 8; ++p) wire::encode(whole, wire::Request{PieceIndex{p}, 0, piece_length});
  big.t->on_peer_data(big.key, whole, big.now);
  CHECK(reads_queued(*big.t) == (4 * kBlock + piece_length - 1) / piece_length);
}

TEST_CASE("block reads for a peer stop while what it was sent has not left, and go on once it has") {
  TorrentConfig config;
  config.upload_backlog = 64 * 1024;
  config.read_bytes_in_flight_per_peer = 8 * kBlock;
  SeedWithPeer s(config);
  s.t->on_peer_data(s.key, s.requests(32), s.now);  // 500 KB asked for
  auto [first, closed] = s.serve();
  CHECK_FALSE(closed);
  // Past the backlog only the reads already in flight complete: 8 blocks at most.
  CHECK(first >= 64 * 1024);
  CHECK(first <= 64 * 1024 + 9 * (kBlock + 13));
  auto [idle, closed_idle] = s.serve();
  CHECK(idle == 0);
  CHECK_FALSE(closed_idle);
  std::size_t total = first;
  for (int round = 0; round < 20; ++round) {
    s.t->on_peer_drained(s.key);
    total += s.serve().first;
  }
  CHECK(total == 32 * (kBlock + 13));  // every request answered once the peer read along
  CHECK(s.t->peer_count() == 1);
}

TEST_CASE("a seed unchokes a peer as soon as it is interested while a slot is free, not at the next tick") {
  SeedWithPeer s(TorrentConfig{}, /*unchoke=*/false);
  (void)s.t->take_effects();
  std::string interested, unchoke;
  wire::encode(interested, wire::Interested{});
  wire::encode(unchoke, wire::Unchoke{});
  s.t->on_peer_data(s.key, interested, s.now);
  std::string sent;
  for (TorrentEffect& e : s.t->take_effects())
    if (auto* send = std::get_if<torrent_effect::Send>(&e)) sent += send->bytes;
  CHECK(sent.find(unchoke) != std::string::npos);
}

TEST_CASE("a peer that never reads what we send is dropped at max_unsent_bytes") {
  // Requests while choked are each answered with a reject (BEP 6): 17 bytes out for 17 in,
  // forever, unless the sender notices nothing leaves.
  TorrentConfig config;
  config.max_unsent_bytes = 16 * 1024;
  SeedWithPeer s(config, /*unchoke=*/false);
  std::size_t sent = 0;
  bool closed = false;
  std::string reason;
  for (int round = 0; round < 100 && !closed; ++round) {
    s.t->on_peer_data(s.key, s.requests(100), s.now);
    for (TorrentEffect& e : s.t->take_effects()) {
      if (auto* send = std::get_if<torrent_effect::Send>(&e)) sent += send->bytes.size();
      if (auto* close = std::get_if<torrent_effect::Close>(&e)) {
        closed = true;
        reason = close->reason;
      }
    }
  }
  CHECK(closed);
  CHECK(reason.find("does not read") != std::string::npos);
  CHECK(sent <= 16 * 1024 + 100 * 17);
  CHECK(s.t->peer_count() == 0);
}

TEST_CASE("a peer whose sends leave stays, however much it is sent") {
  TorrentConfig config;
  config.max_unsent_bytes = 16 * 1024;
  SeedWithPeer s(config, /*unchoke=*/false);
  for (int round = 0; round < 100; ++round) {
    s.t->on_peer_data(s.key, s.requests(100), s.now);
    for (TorrentEffect& e : s.t->take_effects()) CHECK_FALSE(std::holds_alternative<torrent_effect::Close>(e));
    s.t->on_peer_drained(s.key);
  }
  CHECK(s.t->peer_count() == 1);
}

TEST_CASE("a slowloris peer trickling a message a byte a second is dropped as idle") {
  SeedWithPeer s(TorrentConfig{}, /*unchoke=*/false);
  std::string never_finished;
  wire::encode(never_finished, wire::Extended{1, std::string(1000, 'x')});
  for (std::size_t i = 0; i < never_finished.size() && s.t->peer_count() == 1; ++i) {
    s.now += std::chrono::seconds(1);
    s.t->on_peer_data(s.key, std::string_view(never_finished).substr(i, 1), s.now);
    s.t->tick(s.now);
  }
  CHECK(s.t->peer_count() == 0);
  CHECK(s.now < Torrent::TimePoint{std::chrono::hours(5)} + std::chrono::seconds(185));
}

TEST_CASE("a peer sending only keep-alives is not idle") {
  SeedWithPeer s(TorrentConfig{}, /*unchoke=*/false);
  std::string keepalive;
  wire::encode(keepalive, wire::KeepAlive{});
  for (int i = 0; i < 600; ++i) {
    s.now += std::chrono::seconds(1);
    if (i % 60 == 0) s.t->on_peer_data(s.key, keepalive, s.now);
    s.t->tick(s.now);
  }
  CHECK(s.t->peer_count() == 1);
}

TEST_CASE("requests cancelled while block reads wait are never read, however often they are repeated") {
  // The peer keeps the queue full and requests and cancels one block over and over while its
  // socket does not drain: once it does, exactly the live requests are served, each once.
  TorrentConfig config;
  config.upload_backlog = 1;  // everything waits for a drain
  SeedWithPeer s(config);
  s.t->on_peer_data(s.key, s.requests(10), s.now);
  std::string churn;
  const wire::Request again{PieceIndex{7}, 1000, kBlock};
  wire::encode(churn, again);
  wire::encode(churn, wire::Cancel{again.piece, again.begin, again.length});
  for (int i = 0; i < 5000; ++i) s.t->on_peer_data(s.key, churn, s.now);
  CHECK(s.serve().first == 0);
  std::size_t sent = 0;
  std::size_t reads = 0;
  for (int round = 0; round < 50; ++round) {
    s.t->on_peer_drained(s.key);
    for (bool moved = true; moved;) {
      moved = false;
      for (TorrentEffect& e : s.t->take_effects()) {
        if (auto* read = std::get_if<torrent_effect::ReadBlock>(&e)) {
          moved = true;
          ++reads;
          CHECK_FALSE(read->block == BlockRequest{again.piece, again.begin, again.length});
          const auto off = static_cast<std::size_t>(read->block.piece.get()) * kPiece + read->block.begin;
          s.t->on_block_read(s.key, read->block, s.payload.substr(off, read->block.length), s.now);
        } else if (auto* send = std::get_if<torrent_effect::Send>(&e)) {
          sent += send->bytes.size();
        }
      }
    }
  }
  CHECK(reads == 10);
  CHECK(sent == 10 * (kBlock + 13));
  CHECK(s.t->peer_count() == 1);
}
