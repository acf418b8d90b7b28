#include "core/picker/availability_buckets.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

using namespace btd;

namespace {
std::vector<std::uint32_t> sorted_bucket(const AvailabilityBuckets& b, std::size_t a) {
  std::vector<std::uint32_t> out;
  for (PieceIndex p : b.bucket(a)) out.push_back(p.get());
  std::sort(out.begin(), out.end());
  return out;
}
}  // namespace

TEST_CASE("pieces move between availability buckets") {
  AvailabilityBuckets b(5);
  for (std::uint32_t i = 0; i < 5; ++i) b.insert(PieceIndex{i}, "12131"[i] - '0');
  CHECK(b.size() == 5);
  CHECK(sorted_bucket(b, 1) == std::vector<std::uint32_t>{0, 2, 4});
  CHECK(sorted_bucket(b, 2) == std::vector<std::uint32_t>{1});
  CHECK(sorted_bucket(b, 3) == std::vector<std::uint32_t>{3});

  b.update(PieceIndex{0}, 2);
  CHECK(sorted_bucket(b, 1) == std::vector<std::uint32_t>{2, 4});
  CHECK(sorted_bucket(b, 2) == std::vector<std::uint32_t>{0, 1});

  b.erase(PieceIndex{2});
  CHECK_FALSE(b.contains(PieceIndex{2}));
  CHECK(sorted_bucket(b, 1) == std::vector<std::uint32_t>{4});
  CHECK(b.size() == 4);
  // Moving the piece that was swapped into the erased slot still works.
  b.update(PieceIndex{4}, 7);
  CHECK(b.bucket(1).empty());
  CHECK(sorted_bucket(b, 7) == std::vector<std::uint32_t>{4});
}

TEST_CASE("absent pieces are left alone") {
  AvailabilityBuckets b(3);
  b.update(PieceIndex{1}, 4);
  b.erase(PieceIndex{1});
  b.insert(PieceIndex{9}, 0);  // out of range
  CHECK(b.empty());
  b.insert(PieceIndex{1}, 2);
  b.insert(PieceIndex{1}, 5);  // already present: stays in bucket 2
  CHECK(b.size() == 1);
  CHECK(sorted_bucket(b, 2) == std::vector<std::uint32_t>{1});
}
