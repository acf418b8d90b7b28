#pragma once
// Typed indexes: a piece index passed where a file index is expected does not compile.
#include <compare>
#include <cstdint>
#include <functional>

namespace btd {

template <class Tag, class T = std::uint32_t>
struct StrongIndex {
  using underlying_type = T;
  T value{};

  constexpr StrongIndex() = default;
  constexpr explicit StrongIndex(T v) : value(v) {}
  constexpr T get() const noexcept { return value; }
  constexpr auto operator<=>(const StrongIndex&) const = default;
  constexpr StrongIndex& operator++() noexcept { ++value; return *this; }
};

using PieceIndex = StrongIndex<struct PieceIndexTag>;
using FileIndex = StrongIndex<struct FileIndexTag>;

}  // namespace btd

template <class Tag, class T>
struct std::hash<btd::StrongIndex<Tag, T>> {
  std::size_t operator()(btd::StrongIndex<Tag, T> i) const noexcept { return std::hash<T>{}(i.value); }
};
