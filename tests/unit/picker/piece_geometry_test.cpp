#include "core/picker/piece_geometry.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace btd;

namespace {
bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}
}  // namespace

TEST_CASE("short last piece and short last block") {
  // Two full 32 KiB pieces, then 20000 bytes: blocks of 16384 and 3616.
  auto g = PieceGeometry::create(3, 32768, 2 * 32768 + 20000);
  REQUIRE(g.ok());
  CHECK(g->piece_size(PieceIndex{0}) == 32768);
  CHECK(g->piece_size(PieceIndex{2}) == 20000);
  CHECK(g->blocks_in_piece(PieceIndex{1}) == 2);
  CHECK(g->blocks_in_piece(PieceIndex{2}) == 2);
  CHECK(g->block_length(PieceIndex{2}, 0) == 16384);
  CHECK(g->block_length(PieceIndex{2}, 1) == 3616);
  CHECK(g->block_length(PieceIndex{2}, 2) == 0);
  CHECK(g->block(PieceIndex{2}, 1) == BlockRequest{PieceIndex{2}, 16384, 3616});
}

TEST_CASE("a piece smaller than a block is one short block") {
  auto g = PieceGeometry::create(1, 1000, 1000);
  REQUIRE(g.ok());
  CHECK(g->blocks_in_piece(PieceIndex{0}) == 1);
  CHECK(g->block_length(PieceIndex{0}, 0) == 1000);
}

TEST_CASE("is_block accepts exactly one whole block") {
  auto g = PieceGeometry::create(3, 32768, 2 * 32768 + 20000);
  REQUIRE(g.ok());
  CHECK(g->is_block({PieceIndex{0}, 16384, 16384}));
  CHECK(g->is_block({PieceIndex{2}, 16384, 3616}));
  CHECK_FALSE(g->is_block({PieceIndex{2}, 16384, 16384}));  // past the end of the torrent
  CHECK_FALSE(g->is_block({PieceIndex{0}, 100, 16384}));    // not on a block boundary
  CHECK_FALSE(g->is_block({PieceIndex{0}, 0, 8192}));       // half a block
  CHECK_FALSE(g->is_block({PieceIndex{0}, 32768, 16384}));  // block 2 of a 2-block piece
  CHECK_FALSE(g->is_block({PieceIndex{3}, 0, 16384}));      // no such piece
}

TEST_CASE("geometry rejects inconsistent sizes with the numbers in the message") {
  auto wrong_count = PieceGeometry::create(4, 32768, 2 * 32768 + 1);
  REQUIRE_FALSE(wrong_count.ok());
  CHECK(contains(wrong_count.error().message, "piece count 4"));
  CHECK(contains(wrong_count.error().message, "expected 3"));
  CHECK_FALSE(PieceGeometry::create(1, 0, 10).ok());
  CHECK_FALSE(PieceGeometry::create(0, 16384, 0).ok());
  auto huge = PieceGeometry::create(1, PieceGeometry::kMaxPieceLength + 1, 100);
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.error().is(Errc::limit_exceeded));
}

TEST_CASE("total size beyond 4 GiB") {
  const std::uint64_t total = 5ull * 1024 * 1024 * 1024 + 5;
  auto g = PieceGeometry::create(81921, 65536, total);
  REQUIRE(g.ok());
  CHECK(g->piece_size(PieceIndex{81920}) == 5);
  CHECK(g->block_length(PieceIndex{81920}, 0) == 5);
}
