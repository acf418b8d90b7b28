// The engine with a file selection: skipped pieces are never requested, "complete" means every
// wanted piece, wanting more later downloads again, get-piece still reaches skipped pieces.
#include <doctest/doctest.h>

#include <algorithm>

#include "core/torrent/torrent.hpp"
#include "tests/unit/torrent/swarm_fixture.hpp"

using namespace btd;
using namespace btd::test;

namespace {

constexpr std::int64_t kPiece = 32 * 1024;
constexpr std::uint32_t kPieces = 10;

// Pieces 2-5 skipped (as if a middle file were), the rest normal.
std::vector<Priority> skip_middle() {
  std::vector<Priority> w(kPieces, Priority::normal);
  for (std::uint32_t p = 2; p <= 5; ++p) w[p] = Priority::skip;
  return w;
}

void replace_engine(Node& n, const std::shared_ptr<const Metainfo>& meta, Bitfield have, std::vector<Priority> wanted,
                    std::uint64_t seed) {
  auto t = Torrent::create(meta, std::move(have), {}, seed, std::move(wanted));
  REQUIRE(t.ok());
  n.torrent = std::move(*t);
}

bool any_of(const std::vector<PieceIndex>& pieces, std::uint32_t first, std::uint32_t last) {
  return std::any_of(pieces.begin(), pieces.end(), [&](PieceIndex p) { return p.get() >= first && p.get() <= last; });
}

struct Fixture {
  std::string payload = payload_bytes(kPieces * kPiece - 1000, 21);  // short last piece
  std::shared_ptr<const Metainfo> meta = make_metainfo(payload, kPiece);
  Swarm swarm{meta, payload};
  Node& seed = swarm.add_node("seed", true, 1);
  Node& leech = swarm.add_node("leech", false, 2);
  Fixture() {
    REQUIRE(meta->piece_count == kPieces);
    replace_engine(leech, meta, Bitfield(kPieces), skip_middle(), 2);
  }
};

}  // namespace

TEST_CASE("skipped pieces are never requested; complete means every wanted piece, and the torrent seeds") {
  Fixture f;
  CHECK(f.leech.torrent->wanted_bytes() == 5 * kPiece + (kPiece - 1000));
  CHECK(f.leech.torrent->wanted_left() == f.leech.torrent->wanted_bytes());
  f.swarm.connect(f.leech, f.seed);
  f.swarm.run(120, [&] { return f.leech.completed; });
  REQUIRE(f.leech.completed);
  CHECK(f.leech.torrent->state() == TorrentState::seeding);
  CHECK(f.leech.torrent->complete());
  CHECK(f.leech.torrent->wanted_left() == 0);
  CHECK(f.leech.torrent->have().count() == 6);
  CHECK_FALSE(any_of(f.leech.verified, 2, 5));
  for (std::uint32_t p : {0u, 1u, 6u, 7u, 8u, 9u}) CHECK(f.leech.disk[p] == f.swarm.piece_data(PieceIndex{p}));
  // Not a byte of a skipped piece was sent: the seed uploaded exactly the wanted pieces.
  CHECK(f.seed.torrent->uploaded() == static_cast<std::uint64_t>(f.leech.torrent->wanted_bytes()));
  // A partial seed and a seed have nothing for each other.
  CHECK_FALSE(f.swarm.linked(f.leech));
}

TEST_CASE("wanting a skipped file again after completing downloads it and completes again") {
  Fixture f;
  f.swarm.connect(f.leech, f.seed);
  f.swarm.run(120, [&] { return f.leech.completed; });
  REQUIRE(f.leech.completed);
  f.leech.completed = false;
  f.leech.torrent->set_wanted(std::vector<Priority>(kPieces, Priority::normal), f.swarm.now());
  CHECK(f.leech.torrent->state() == TorrentState::downloading);
  CHECK_FALSE(f.leech.torrent->complete());
  CHECK(f.leech.torrent->wanted_left() == 4 * kPiece);
  f.swarm.connect(f.leech, f.seed);  // the daemon redials: a tracker or the peer list
  f.swarm.run(120, [&] { return f.leech.completed; });
  REQUIRE(f.leech.completed);
  CHECK(f.leech.torrent->have().all());
  for (std::uint32_t p = 2; p <= 5; ++p) CHECK(f.leech.disk[p] == f.swarm.piece_data(PieceIndex{p}));
}

TEST_CASE("wanting more while connected asks the peers already there") {
  Fixture f;
  // A second leecher holding every piece but one keeps the connection up (it is no seed).
  Node& partial = f.swarm.add_node("partial", false, 3);
  Bitfield most(kPieces, true);
  most.set(std::size_t{9}, false);
  replace_engine(partial, f.meta, most, {}, 3);
  for (std::uint32_t p = 0; p < 9; ++p) partial.disk[p] = f.swarm.piece_data(PieceIndex{p});
  std::vector<Priority> only_first(kPieces, Priority::skip);
  only_first[0] = Priority::normal;
  replace_engine(f.leech, f.meta, Bitfield(kPieces), only_first, 2);
  f.swarm.connect(f.leech, partial);
  f.swarm.run(60, [&] { return f.leech.completed; });
  REQUIRE(f.leech.completed);
  CHECK(f.leech.torrent->have().count() == 1);
  REQUIRE(f.swarm.linked(f.leech));
  f.leech.completed = false;
  std::vector<Priority> more = only_first;
  more[3] = Priority::high;
  f.leech.torrent->set_wanted(more, f.swarm.now());
  f.swarm.run(60, [&] { return f.leech.completed; });
  CHECK(f.leech.completed);
  CHECK(f.leech.torrent->is_have(PieceIndex{3}));
  CHECK(f.leech.torrent->have().count() == 2);
}

TEST_CASE("we are not interested in a peer that has only skipped pieces, and become so when they are wanted") {
  Fixture f;
  Node& partial = f.swarm.add_node("partial", false, 3);
  Bitfield middle(kPieces);
  for (std::uint32_t p = 2; p <= 5; ++p) {
    middle.set(std::size_t{p});
    partial.disk[p] = f.swarm.piece_data(PieceIndex{p});
  }
  replace_engine(partial, f.meta, middle, {}, 3);
  f.swarm.connect(f.leech, partial);
  f.swarm.run(5, [] { return false; });
  auto flags = [&] { return f.leech.torrent->peers(f.swarm.now()).at(0).flags; };
  CHECK(flags().find_first_of("dD") == std::string::npos);
  CHECK(f.leech.verified.empty());
  f.leech.torrent->set_wanted(std::vector<Priority>(kPieces, Priority::normal), f.swarm.now());
  CHECK(flags().find_first_of("dD") != std::string::npos);
  f.swarm.run(60, [&] { return f.leech.verified.size() == 4; });
  CHECK(f.leech.verified.size() == 4);
  CHECK_FALSE(f.leech.completed);  // 0, 1, 6-9 are still missing
}

TEST_CASE("get-piece of a skipped piece is fetched all the same, without a second completion") {
  Fixture f;
  f.swarm.connect(f.leech, f.seed);
  f.swarm.run(120, [&] { return f.leech.completed; });
  REQUIRE(f.leech.completed);
  f.leech.completed = false;
  REQUIRE(f.leech.torrent->fetch_now(PieceIndex{4}, f.swarm.now()).ok());
  f.swarm.connect(f.leech, f.seed);
  f.swarm.run(60, [&] { return f.leech.torrent->is_have(PieceIndex{4}); });
  CHECK(f.leech.torrent->is_have(PieceIndex{4}));
  CHECK(f.leech.disk[4] == f.swarm.piece_data(PieceIndex{4}));
  CHECK_FALSE(f.leech.completed);
  CHECK(f.leech.torrent->state() == TorrentState::seeding);
  CHECK(f.leech.torrent->have().count() == 7);
  CHECK_FALSE(any_of(f.leech.verified, 2, 3));
  CHECK_FALSE(any_of(f.leech.verified, 5, 5));
}

TEST_CASE("everything skipped: complete from the start, nothing wanted, no completion event at creation") {
  const std::string payload = payload_bytes(3 * kPiece, 4);
  auto meta = make_metainfo(payload, kPiece);
  auto t = Torrent::create(meta, Bitfield(meta->piece_count), {}, 1, std::vector<Priority>(3, Priority::skip));
  REQUIRE(t.ok());
  CHECK((*t)->complete());
  CHECK((*t)->state() == TorrentState::seeding);
  CHECK((*t)->wanted_bytes() == 0);
  CHECK((*t)->wanted_left() == 0);
  CHECK((*t)->take_effects().empty());
}

TEST_CASE("skipping what is left of a download completes it at once") {
  const std::string payload = payload_bytes(4 * kPiece, 6);
  auto meta = make_metainfo(payload, kPiece);
  Bitfield have(4);
  have.set(std::size_t{0});
  auto t = Torrent::create(meta, have, {}, 1);
  REQUIRE(t.ok());
  CHECK_FALSE((*t)->complete());
  std::vector<Priority> only_first(4, Priority::skip);
  only_first[0] = Priority::normal;
  (*t)->set_wanted(only_first, Torrent::TimePoint{});
  CHECK((*t)->complete());
  auto effects = (*t)->take_effects();
  CHECK(std::count_if(effects.begin(), effects.end(), [](const TorrentEffect& e) {
          return std::holds_alternative<torrent_effect::Completed>(e);
        }) == 1);
  // A selection of the wrong size is ignored.
  (*t)->set_wanted(std::vector<Priority>(3, Priority::normal), Torrent::TimePoint{});
  CHECK((*t)->complete());
}

TEST_CASE("a selection of the wrong size at creation means every piece") {
  const std::string payload = payload_bytes(4 * kPiece, 6);
  auto meta = make_metainfo(payload, kPiece);
  auto t = Torrent::create(meta, Bitfield(4), {}, 1, std::vector<Priority>(2, Priority::skip));
  REQUIRE(t.ok());
  CHECK((*t)->wanted_bytes() == 4 * kPiece);
  CHECK((*t)->wanted().size() == 4);
}
