#pragma once
// BEP 53 "so" (select only): which files of a magnet link to download, as file indexes and
// inclusive ranges, e.g. "0,2,4-6". Hostile input like the rest of a magnet: the number of
// ranges and the indexes are bounded, and a range must not run backwards.
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace btd {

struct FileIndexRange {
  std::uint32_t first = 0;
  std::uint32_t last = 0;  // inclusive
  bool operator==(const FileIndexRange&) const = default;
};

// Far above the files of any real torrent; the count bounds what a link can make us keep.
inline constexpr std::uint32_t kMaxSelectIndex = 1u << 24;
inline constexpr std::size_t kMaxSelectRanges = 1024;

// Errors (Errc::invalid_magnet) name the part that is wrong: empty, not a number, a backwards
// range, an index above kMaxSelectIndex, more than kMaxSelectRanges ranges.
Result<std::vector<FileIndexRange>> parse_select_only(std::string_view so);

// Whether file `index` is selected.
bool is_selected(const std::vector<FileIndexRange>& ranges, std::uint32_t index) noexcept;

}  // namespace btd
