#pragma once
// Pieces grouped by how many peers have them, so rarest-first selection walks from the rarest
// group upwards instead of sorting every piece on every pick. Moving a piece between groups
// (a `have` arrives, a peer leaves) is O(1): swap-remove from one bucket, append to the next.
#include <cstdint>
#include <span>
#include <vector>

#include "core/util/strong_index.hpp"

namespace btd {

class AvailabilityBuckets {
 public:
  explicit AvailabilityBuckets(std::size_t piece_count);

  bool contains(PieceIndex p) const noexcept;
  // Adds p to the bucket for `availability`; no effect if p is already present.
  void insert(PieceIndex p, std::uint32_t availability);
  // Removes p; no effect if p is absent.
  void erase(PieceIndex p);
  // Moves a present piece to the bucket for `availability`; no effect if p is absent.
  void update(PieceIndex p, std::uint32_t availability);

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  // Buckets 0 .. bucket_count()-1; some may be empty. Order inside a bucket is arbitrary.
  std::size_t bucket_count() const noexcept { return buckets_.size(); }
  std::span<const PieceIndex> bucket(std::size_t availability) const noexcept;

 private:
  static constexpr std::uint32_t kAbsent = UINT32_MAX;
  struct Slot {
    std::uint32_t bucket = kAbsent;
    std::uint32_t pos = 0;
  };

  std::vector<std::vector<PieceIndex>> buckets_;
  std::vector<Slot> slots_;  // indexed by piece
  std::size_t size_ = 0;
};

}  // namespace btd
