#include "core/storage/storage_layout.hpp"

#include <doctest/doctest.h>

using namespace btd;

namespace {

StorageLayout make(std::vector<LayoutFile> files, std::int64_t piece_length) {
  auto r = StorageLayout::create(std::move(files), piece_length);
  REQUIRE(r.ok());
  return std::move(r).value();
}

}  // namespace

TEST_CASE("single file: pieces and the short last piece") {
  const StorageLayout l = make({{100}}, 32);
  CHECK(l.piece_count() == 4);
  CHECK(l.piece_size(PieceIndex{0}) == 32);
  CHECK(l.piece_size(PieceIndex{3}) == 4);
  CHECK(l.piece_size(PieceIndex{4}) == 0);
  std::vector<FileSpan> spans;
  REQUIRE(l.map_block(PieceIndex{3}, 0, 4, spans));
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].file_offset == 96);
  CHECK(spans[0].length == 4);
}

TEST_CASE("a piece crossing file boundaries maps to each file, skipping empty files") {
  // files: a[0,10) empty b[10,10) c[10,50) d[50,70)
  const StorageLayout l = make({{10}, {0}, {40}, {20}}, 16);
  std::vector<FileSpan> spans;
  REQUIRE(l.map_block(PieceIndex{0}, 0, 16, spans));
  REQUIRE(spans.size() == 2);
  CHECK(spans[0].file == FileIndex{0});
  CHECK(spans[0].length == 10);
  CHECK(spans[1].file == FileIndex{2});
  CHECK(spans[1].file_offset == 0);
  CHECK(spans[1].length == 6);
  spans.clear();
  REQUIRE(l.map_block(PieceIndex{3}, 0, 16, spans));  // [48,64): c[38..40) d[0..14)
  REQUIRE(spans.size() == 2);
  CHECK(spans[0].file == FileIndex{2});
  CHECK(spans[0].file_offset == 38);
  CHECK(spans[0].length == 2);
  CHECK(spans[1].file == FileIndex{3});
  CHECK(spans[1].length == 14);
}

TEST_CASE("pad files take payload space and come back marked") {
  const StorageLayout l = make({{10}, {6, true}, {16}}, 16);
  std::vector<FileSpan> spans;
  REQUIRE(l.map_block(PieceIndex{0}, 0, 16, spans));
  REQUIRE(spans.size() == 2);
  CHECK_FALSE(spans[0].pad);
  CHECK(spans[1].pad);
  CHECK(spans[1].length == 6);
  CHECK(l.piece_range_of_file(FileIndex{2}).first == PieceIndex{1});
}

TEST_CASE("ranges outside the payload are refused, never clipped") {
  const StorageLayout l = make({{100}}, 32);
  std::vector<FileSpan> spans;
  CHECK_FALSE(l.map_block(PieceIndex{3}, 0, 5, spans));     // past the short last piece
  CHECK_FALSE(l.map_block(PieceIndex{4}, 0, 1, spans));     // no such piece
  CHECK_FALSE(l.map_block(PieceIndex{0}, -1, 1, spans));
  CHECK_FALSE(l.map_block(PieceIndex{0}, 30, INT64_MAX, spans));  // overflow attempt
  CHECK_FALSE(l.map_range(90, 11, spans));
  CHECK(spans.empty());
}

TEST_CASE("piece range of a file") {
  const StorageLayout l = make({{10}, {0}, {40}, {20}}, 16);
  CHECK(l.piece_range_of_file(FileIndex{2}).first == PieceIndex{0});
  CHECK(l.piece_range_of_file(FileIndex{2}).second == PieceIndex{3});
  auto empty = l.piece_range_of_file(FileIndex{1});
  CHECK(empty.first > empty.second);
}

TEST_CASE("invalid layouts are refused") {
  CHECK_FALSE(StorageLayout::create({{0}}, 16).ok());
  CHECK_FALSE(StorageLayout::create({{-1}}, 16).ok());
  CHECK_FALSE(StorageLayout::create({{INT64_MAX}, {1}}, 16).ok());
  CHECK_FALSE(StorageLayout::create({{10}}, 0).ok());
}
