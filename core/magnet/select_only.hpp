#pragma once
// BEP 53 "so" (select only): which files of a magnet link to download, as file indexes and
// inclusive ranges, e.g. "0,2,4-6". Hostile input like the rest of a magnet: the number of
// ranges and the indexes are bounded, and a range must not run backwards.
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/storage/file_priority.hpp"
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

// The selection applied once the torrent's files are known (a magnet's metadata arrived):
// selected files normal, every other file skipped. Indexes at or past `file_count` are
// ignored and reported (clamped to what is out of range) for the log.
struct SelectedFiles {
  std::vector<FilePriority> priorities;       // one per file
  std::size_t selected = 0;                   // files set to normal
  std::vector<FileIndexRange> out_of_range;   // the parts of ranges past the last file
};
SelectedFiles select_only_files(const std::vector<FileIndexRange>& ranges, std::size_t file_count);

}  // namespace btd
