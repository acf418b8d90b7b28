#include "core/create/piece_length.hpp"

#include <doctest/doctest.h>

#include <cstdint>

using namespace btd;

namespace {

constexpr std::int64_t KiB = 1024;
constexpr std::int64_t MiB = 1024 * KiB;
constexpr std::int64_t GiB = 1024 * MiB;

}  // namespace

TEST_CASE("small payloads get the 16 KiB minimum") {
  CHECK(choose_piece_length(-5) == 16 * KiB);
  CHECK(choose_piece_length(0) == 16 * KiB);
  CHECK(choose_piece_length(1) == 16 * KiB);
  CHECK(choose_piece_length(1 * MiB) == 16 * KiB);
  CHECK(choose_piece_length(32 * MiB) == 16 * KiB);  // exactly 2048 pieces
}

TEST_CASE("piece length doubles to stay at or under 2048 pieces") {
  CHECK(choose_piece_length(32 * MiB + 1) == 32 * KiB);
  CHECK(choose_piece_length(64 * MiB) == 32 * KiB);
  CHECK(choose_piece_length(700'000'000) == 512 * KiB);  // 1336 pieces
  CHECK(choose_piece_length(1 * GiB) == 512 * KiB);
  CHECK(choose_piece_length(4 * GiB + 1) == 4 * MiB);
  CHECK(choose_piece_length(32 * GiB) == 16 * MiB);
}

TEST_CASE("huge payloads are clamped to 16 MiB without overflow") {
  CHECK(choose_piece_length(32 * GiB + 1) == 16 * MiB);
  CHECK(choose_piece_length(1024 * GiB) == 16 * MiB);
  CHECK(choose_piece_length(INT64_MAX) == 16 * MiB);
}

TEST_CASE("the chosen length is a power of two giving 1025..2048 pieces in the unclamped range") {
  for (std::int64_t total = 33 * MiB; total <= 32 * GiB; total = total * 3 / 2 + 12345) {
    CAPTURE(total);
    const std::int64_t p = choose_piece_length(total);
    CHECK((p & (p - 1)) == 0);
    const std::int64_t pieces = (total + p - 1) / p;
    CHECK(pieces > 1024);
    CHECK(pieces <= 2048);
  }
}
