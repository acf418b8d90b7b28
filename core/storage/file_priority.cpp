#include "core/storage/file_priority.hpp"

#include <algorithm>

namespace btd {

const char* file_priority_name(FilePriority p) noexcept {
  switch (p) {
    case FilePriority::skip: return "skip";
    case FilePriority::normal: return "normal";
    case FilePriority::high: return "high";
  }
  return "normal";
}

std::optional<FilePriority> parse_file_priority(std::string_view name) noexcept {
  if (name == "skip") return FilePriority::skip;
  if (name == "normal") return FilePriority::normal;
  if (name == "high") return FilePriority::high;
  return std::nullopt;
}

std::vector<Priority> piece_priorities(const StorageLayout& layout, const std::vector<FilePriority>& files) {
  std::vector<Priority> out(layout.piece_count(), Priority::skip);
  for (std::uint32_t i = 0; i < layout.file_count(); ++i) {
    const FileIndex f{i};
    if (layout.is_pad(f) || layout.file_size(f) == 0) continue;
    const FilePriority fp = i < files.size() ? files[i] : FilePriority::normal;
    if (fp == FilePriority::skip) continue;
    const Priority want = fp == FilePriority::high ? Priority::high : Priority::normal;
    // Files are contiguous, so their ranges overlap only at boundary pieces: linear overall.
    const auto [first, last] = layout.piece_range_of_file(f);
    for (std::uint32_t p = first.get(); p <= last.get(); ++p) out[p] = std::max(out[p], want);
  }
  return out;
}

std::int64_t wanted_bytes(const StorageLayout& layout, const std::vector<Priority>& pieces) {
  std::int64_t total = 0;
  for (std::uint32_t p = 0; p < pieces.size() && p < layout.piece_count(); ++p)
    if (pieces[p] != Priority::skip) total += layout.piece_size(PieceIndex{p});
  return total;
}

}  // namespace btd
