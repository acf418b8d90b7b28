#include "core/storage/file_priority.hpp"

#include <doctest/doctest.h>

using namespace btd;

namespace {

StorageLayout make(std::vector<LayoutFile> files, std::int64_t piece_length) {
  auto r = StorageLayout::create(std::move(files), piece_length);
  REQUIRE(r.ok());
  return std::move(r).value();
}

using FP = FilePriority;
using P = Priority;

}  // namespace

TEST_CASE("file priority names round-trip and unknown names are refused") {
  for (FP p : {FP::skip, FP::normal, FP::high}) CHECK(parse_file_priority(file_priority_name(p)) == p);
  CHECK_FALSE(parse_file_priority("low").has_value());
  CHECK_FALSE(parse_file_priority("").has_value());
  CHECK_FALSE(parse_file_priority("Skip").has_value());
}

TEST_CASE("no selection: every piece normal") {
  const StorageLayout l = make({{100}, {60}}, 32);
  CHECK(piece_priorities(l, {}) == std::vector<P>(l.piece_count(), P::normal));
  CHECK(wanted_bytes(l, piece_priorities(l, {})) == 160);
}

TEST_CASE("a piece shared by a skipped and a wanted file is wanted (the max of its files)") {
  // a: [0,100) pieces 0-3; b: [100,160) pieces 3-4; c: [160,260) pieces 5-8.
  const StorageLayout l = make({{100}, {60}, {100}}, 32);
  REQUIRE(l.piece_count() == 9);
  SUBCASE("middle file wanted, outer files skipped: its two edge pieces come along") {
    const auto p = piece_priorities(l, {FP::skip, FP::normal, FP::skip});
    CHECK(p == std::vector<P>{P::skip, P::skip, P::skip, P::normal, P::normal, P::skip, P::skip, P::skip, P::skip});
    CHECK(wanted_bytes(l, p) == 64);
  }
  SUBCASE("middle file skipped: the boundary pieces stay wanted for their neighbours") {
    const auto p = piece_priorities(l, {FP::normal, FP::skip, FP::high});
    CHECK(p == std::vector<P>{P::normal, P::normal, P::normal, P::normal, P::skip, P::high, P::high, P::high, P::high});
    // The last piece is short: 260 - 8 * 32 = 4 bytes.
    CHECK(wanted_bytes(l, p) == 4 * 32 + 3 * 32 + 4);
  }
  SUBCASE("high beats normal on a shared piece") {
    const auto p = piece_priorities(l, {FP::normal, FP::high, FP::normal});
    CHECK(p[3] == P::high);
    CHECK(p[4] == P::high);
    CHECK(p[5] == P::normal);
  }
  SUBCASE("everything skipped: nothing wanted") {
    const auto p = piece_priorities(l, {FP::skip, FP::skip, FP::skip});
    CHECK(p == std::vector<P>(9, P::skip));
    CHECK(wanted_bytes(l, p) == 0);
  }
  SUBCASE("a short list leaves the rest normal") {
    const auto p = piece_priorities(l, {FP::skip});
    CHECK(p[0] == P::skip);
    CHECK(p[3] == P::normal);
    CHECK(p[8] == P::normal);
  }
}

TEST_CASE("zero-length files hold no piece, whatever their priority") {
  // a: [0,64) pieces 0-1; empty at 64; b: [64,128) pieces 2-3.
  const StorageLayout l = make({{64}, {0}, {64}}, 32);
  CHECK(piece_priorities(l, {FP::skip, FP::high, FP::skip}) == std::vector<P>(4, P::skip));
  CHECK(piece_priorities(l, {FP::normal, FP::skip, FP::skip}) ==
        std::vector<P>{P::normal, P::normal, P::skip, P::skip});
}

TEST_CASE("pad files want nothing: a piece of a wanted file's tail and padding is wanted, one of padding and a skipped file is not") {
  // a: [0,40) pieces 0-1, pad [40,64) piece 1, b: [64,100) pieces 2-3.
  const StorageLayout l = make({{40}, {24, true}, {36}}, 32);
  CHECK(piece_priorities(l, {FP::normal, FP::skip, FP::skip}) == std::vector<P>{P::normal, P::normal, P::skip, P::skip});
  // The pad's own priority is never looked at.
  CHECK(piece_priorities(l, {FP::skip, FP::high, FP::skip}) == std::vector<P>(4, P::skip));
  CHECK(piece_priorities(l, {FP::skip, FP::normal, FP::normal}) == std::vector<P>{P::skip, P::skip, P::normal, P::normal});
}

TEST_CASE("single-file torrent skipped or wanted") {
  const StorageLayout l = make({{33}}, 16);
  CHECK(piece_priorities(l, {FP::skip}) == std::vector<P>(3, P::skip));
  CHECK(piece_priorities(l, {FP::high}) == std::vector<P>(3, P::high));
  CHECK(wanted_bytes(l, piece_priorities(l, {FP::high})) == 33);
}
