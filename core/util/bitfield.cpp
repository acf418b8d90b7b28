#include "core/util/bitfield.hpp"

#include <bit>
#include <cstring>

namespace btd {

Bitfield::Bitfield(std::size_t bits, bool value) : data_((bits + 7) / 8, 0), bits_(bits) {
  fill(value);
}

Result<Bitfield> Bitfield::from_bytes(std::string_view bytes, std::size_t bits) {
  const std::size_t expected = (bits + 7) / 8;
  if (bytes.size() != expected) {
    return Error(Errc::protocol_error, "bitfield of " + std::to_string(bytes.size()) +
                                           " bytes, expected " + std::to_string(expected) +
                                           " for " + std::to_string(bits) + " pieces");
  }
  Bitfield b;
  b.bits_ = bits;
  b.data_.resize(expected);
  if (expected > 0) std::memcpy(b.data_.data(), bytes.data(), expected);
  if (bits % 8 != 0) {
    const auto spare_mask = static_cast<std::uint8_t>(0xffu >> (bits % 8));
    if ((b.data_.back() & spare_mask) != 0)
      return Error(Errc::protocol_error, "bitfield has spare bits set past piece " +
                                             std::to_string(bits));
  }
  for (std::uint8_t byte : b.data_) b.count_ += static_cast<std::size_t>(std::popcount(byte));
  return b;
}

bool Bitfield::get(std::size_t i) const noexcept {
  if (i >= bits_) return false;
  return (data_[i / 8] >> (7 - i % 8)) & 1u;
}

void Bitfield::set(std::size_t i, bool value) noexcept {
  if (i >= bits_) return;
  const auto mask = static_cast<std::uint8_t>(0x80u >> (i % 8));
  const bool was = (data_[i / 8] & mask) != 0;
  if (was == value) return;
  if (value) {
    data_[i / 8] |= mask;
    ++count_;
  } else {
    data_[i / 8] &= static_cast<std::uint8_t>(~mask);
    --count_;
  }
}

void Bitfield::fill(bool value) noexcept {
  std::memset(data_.data(), value ? 0xff : 0, data_.size());
  if (value && bits_ % 8 != 0) data_.back() = static_cast<std::uint8_t>(0xff00u >> (bits_ % 8));
  count_ = value ? bits_ : 0;
}

}  // namespace btd
