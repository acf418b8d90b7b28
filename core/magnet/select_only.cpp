#include "core/magnet/select_only.hpp"

#include <algorithm>
#include <optional>
#include <string>

namespace btd {
namespace {

Error bad(std::string_view so, const std::string& why) {
  return Error(Errc::invalid_magnet, "invalid magnet: so=" + std::string(so.substr(0, 64)) + ": " + why);
}

// A decimal index; digits only (no sign, no spaces), at most kMaxSelectIndex.
std::optional<std::uint32_t> parse_index(std::string_view s) {
  if (s.empty() || s.size() > 10) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > kMaxSelectIndex) return std::nullopt;
  return static_cast<std::uint32_t>(v);
}

}  // namespace

Result<std::vector<FileIndexRange>> parse_select_only(std::string_view so) {
  if (so.empty()) return bad(so, "empty");
  std::vector<FileIndexRange> out;
  std::size_t start = 0;
  while (start <= so.size()) {
    const std::size_t comma = std::min(so.find(',', start), so.size());
    const std::string_view item = so.substr(start, comma - start);
    if (out.size() >= kMaxSelectRanges)
      return bad(so, "more than " + std::to_string(kMaxSelectRanges) + " ranges");
    const std::size_t dash = item.find('-');
    const auto first = parse_index(item.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : parse_index(item.substr(dash + 1));
    if (!first || !last)
      return bad(so, "\"" + std::string(item.substr(0, 32)) + "\" is not a file index or range of indexes up to " +
                         std::to_string(kMaxSelectIndex));
    if (*last < *first) return bad(so, "range \"" + std::string(item.substr(0, 32)) + "\" runs backwards");
    out.push_back({*first, *last});
    start = comma + 1;
  }
  return out;
}

bool is_selected(const std::vector<FileIndexRange>& ranges, std::uint32_t index) noexcept {
  for (const FileIndexRange& r : ranges)
    if (index >= r.first && index <= r.last) return true;
  return false;
}

SelectedFiles select_only_files(const std::vector<FileIndexRange>& ranges, std::size_t file_count) {
  SelectedFiles out;
  out.priorities.assign(file_count, FilePriority::skip);
  for (const FileIndexRange& r : ranges) {
    // Bounded by file_count, not by the range: "0-16777216" must not loop 2^24 times per range.
    for (std::uint64_t i = r.first; i <= r.last && i < file_count; ++i) {
      if (out.priorities[i] == FilePriority::skip) ++out.selected;
      out.priorities[i] = FilePriority::normal;
    }
    if (r.last >= file_count)
      out.out_of_range.push_back({std::max<std::uint32_t>(r.first, static_cast<std::uint32_t>(
                                                                       std::min<std::size_t>(file_count, kMaxSelectIndex))),
                                  r.last});
  }
  return out;
}

}  // namespace btd
