#include "core/picker/availability_buckets.hpp"

namespace btd {

AvailabilityBuckets::AvailabilityBuckets(std::size_t piece_count) : slots_(piece_count) {}

bool AvailabilityBuckets::contains(PieceIndex p) const noexcept {
  return p.get() < slots_.size() && slots_[p.get()].bucket != kAbsent;
}

void AvailabilityBuckets::insert(PieceIndex p, std::uint32_t availability) {
  if (p.get() >= slots_.size() || contains(p)) return;
  if (availability >= buckets_.size()) buckets_.resize(std::size_t{availability} + 1);
  auto& bucket = buckets_[availability];
  slots_[p.get()] = Slot{availability, static_cast<std::uint32_t>(bucket.size())};
  bucket.push_back(p);
  ++size_;
}

void AvailabilityBuckets::erase(PieceIndex p) {
  if (!contains(p)) return;
  Slot& slot = slots_[p.get()];
  auto& bucket = buckets_[slot.bucket];
  const PieceIndex last = bucket.back();
  bucket[slot.pos] = last;
  slots_[last.get()].pos = slot.pos;
  bucket.pop_back();
  slot = Slot{};
  --size_;
}

void AvailabilityBuckets::update(PieceIndex p, std::uint32_t availability) {
  if (!contains(p) || slots_[p.get()].bucket == availability) return;
  erase(p);
  insert(p, availability);
}

std::span<const PieceIndex> AvailabilityBuckets::bucket(std::size_t availability) const noexcept {
  if (availability >= buckets_.size()) return {};
  return buckets_[availability];
}

}  // namespace btd
