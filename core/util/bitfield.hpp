#pragma once
// A fixed-size set of bits, most significant bit first in each byte, as the wire protocol
// sends it. Spare bits past the last piece must be zero.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "core/util/strong_index.hpp"

namespace btd {

class Bitfield {
 public:
  Bitfield() = default;
  explicit Bitfield(std::size_t bits, bool value = false);

  // Parses `bytes` as a bitfield of `bits` bits: the length must be exactly ceil(bits/8)
  // and the spare bits must be zero.
  static Result<Bitfield> from_bytes(std::string_view bytes, std::size_t bits);

  std::size_t size() const noexcept { return bits_; }
  bool get(std::size_t i) const noexcept;
  void set(std::size_t i, bool value = true) noexcept;
  bool operator[](std::size_t i) const noexcept { return get(i); }
  bool get(PieceIndex i) const noexcept { return get(std::size_t{i.get()}); }
  void set(PieceIndex i, bool value = true) noexcept { set(std::size_t{i.get()}, value); }

  std::size_t count() const noexcept { return count_; }
  bool all() const noexcept { return count_ == bits_; }
  bool none() const noexcept { return count_ == 0; }
  void fill(bool value) noexcept;

  // Raw bytes in wire order, spare bits zero.
  std::string_view bytes() const noexcept {
    return {reinterpret_cast<const char*>(data_.data()), data_.size()};
  }

  bool operator==(const Bitfield& o) const noexcept { return bits_ == o.bits_ && data_ == o.data_; }

 private:
  std::vector<std::uint8_t> data_;
  std::size_t bits_ = 0;
  std::size_t count_ = 0;
};

}  // namespace btd
