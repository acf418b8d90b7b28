#include "core/storage/resume_plan.hpp"

#include <doctest/doctest.h>

using namespace btd;

namespace {

StorageLayout make(std::vector<LayoutFile> files, std::int64_t piece_length) {
  auto r = StorageLayout::create(std::move(files), piece_length);
  REQUIRE(r.ok());
  return std::move(r).value();
}

Bitfield bits(std::initializer_list<int> on, std::size_t size) {
  Bitfield b(size);
  for (int i : on) b.set(static_cast<std::size_t>(i));
  return b;
}

}  // namespace

// Three files of 40, 25 and 35 bytes with 16-byte pieces: a = pieces 0-2, b = pieces 2-4,
// c = pieces 4-6 (piece 2 spans a and b, piece 4 spans b and c).
TEST_CASE("unchanged files: every saved bit is trusted and nothing is hashed") {
  const StorageLayout l = make({{40}, {25}, {35}}, 16);
  REQUIRE(l.piece_count() == 7);
  const std::vector<FileStamp> stamps{{true, 40, 1}, {true, 25, 2}, {true, 35, 3}};
  const Bitfield saved = bits({0, 1, 2, 5}, 7);
  const ResumePlan plan = plan_resume(l, saved, stamps, stamps);
  CHECK(plan.trusted == saved);
  CHECK(plan.recheck.empty());
  CHECK(plan.changed.empty());
  CHECK_FALSE(plan.full_check());
}

TEST_CASE("a changed mtime re-checks every piece touching that file, including shared ones") {
  const StorageLayout l = make({{40}, {25}, {35}}, 16);
  const std::vector<FileStamp> saved_stamps{{true, 40, 1}, {true, 25, 2}, {true, 35, 3}};
  std::vector<FileStamp> now = saved_stamps;
  now[1].mtime_ns = 99;
  const ResumePlan plan = plan_resume(l, bits({0, 1, 2, 3, 4, 5, 6}, 7), saved_stamps, now);
  CHECK(plan.trusted == bits({0, 1, 5, 6}, 7));
  REQUIRE(plan.recheck.size() == 1);
  CHECK(plan.recheck[0] == PieceRange{2, 5});
  REQUIRE(plan.changed.size() == 1);
  CHECK(plan.changed[0] == FileIndex{1});
}

TEST_CASE("a truncated file and a deleted file: re-check the first, drop the pieces of the second") {
  const StorageLayout l = make({{40}, {25}, {35}}, 16);
  const std::vector<FileStamp> saved_stamps{{true, 40, 1}, {true, 25, 2}, {true, 35, 3}};
  std::vector<FileStamp> now = saved_stamps;
  now[0].size = 10;   // truncated
  now[2] = {};        // deleted
  const ResumePlan plan = plan_resume(l, bits({0, 1, 2, 3, 4, 5, 6}, 7), saved_stamps, now);
  CHECK(plan.trusted == bits({3}, 7));
  REQUIRE(plan.recheck.size() == 1);
  CHECK(plan.recheck[0] == PieceRange{0, 3});
  CHECK(plan.changed.size() == 2);
}

TEST_CASE("adjacent changed files merge into one range") {
  const StorageLayout l = make({{40}, {25}, {35}}, 16);
  const std::vector<FileStamp> saved_stamps{{true, 40, 1}, {true, 25, 2}, {true, 35, 3}};
  std::vector<FileStamp> now = saved_stamps;
  now[0].mtime_ns = 5;
  now[1].mtime_ns = 5;
  const ResumePlan plan = plan_resume(l, bits({6}, 7), saved_stamps, now);
  REQUIRE(plan.recheck.size() == 1);
  CHECK(plan.recheck[0] == PieceRange{0, 5});
  CHECK(plan.trusted == bits({6}, 7));
}

TEST_CASE("no usable resume data means a full check") {
  const StorageLayout l = make({{40}, {25}, {35}}, 16);
  const std::vector<FileStamp> stamps{{true, 40, 1}, {true, 25, 2}, {true, 35, 3}};
  CHECK(plan_resume(l, std::nullopt, stamps, stamps).full_check());
  CHECK(plan_resume(l, bits({}, 6), stamps, stamps).full_check());              // wrong piece count
  CHECK(plan_resume(l, bits({1}, 7), {stamps[0]}, stamps).full_check());       // wrong file count
  CHECK(plan_resume(l, bits({1}, 7), stamps, stamps).trusted.count() == 1);
}

TEST_CASE("pad files and empty files never force a re-check") {
  const StorageLayout l = make({{16}, {16, true}, {0}, {16}}, 16);
  const std::vector<FileStamp> saved_stamps{{true, 16, 1}, {}, {true, 0, 1}, {true, 16, 2}};
  std::vector<FileStamp> now = saved_stamps;
  now[2].mtime_ns = 7;  // an empty file touched
  const ResumePlan plan = plan_resume(l, bits({0, 2}, 3), saved_stamps, now);
  CHECK(plan.recheck.empty());
  CHECK(plan.trusted == bits({0, 2}, 3));
}

TEST_CASE("a file that never existed: its pieces are not trusted even if a bit claims them") {
  const StorageLayout l = make({{32}, {32}}, 16);
  const std::vector<FileStamp> stamps{{true, 32, 1}, {}};
  const ResumePlan plan = plan_resume(l, bits({0, 1, 2, 3}, 4), stamps, stamps);
  CHECK(plan.trusted == bits({0, 1}, 4));
  CHECK(plan.recheck.empty());
}
