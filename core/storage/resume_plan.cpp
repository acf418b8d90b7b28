#include "core/storage/resume_plan.hpp"

#include <algorithm>

namespace btd {

namespace {

void add_range(std::vector<PieceRange>& ranges, std::uint32_t first, std::uint32_t last) {
  if (first >= last) return;
  // Files come in payload order, so a new range starts at or after the previous one's start.
  if (!ranges.empty() && first <= ranges.back().last) {
    ranges.back().last = std::max(ranges.back().last, last);
    return;
  }
  ranges.push_back({first, last});
}

}  // namespace

ResumePlan plan_resume(const StorageLayout& layout, const std::optional<Bitfield>& saved_have,
                       const std::vector<FileStamp>& saved, const std::vector<FileStamp>& now) {
  const std::uint32_t pieces = layout.piece_count();
  ResumePlan plan;
  plan.trusted = Bitfield(pieces);
  const bool usable = saved_have && saved_have->size() == pieces && saved.size() == layout.file_count() &&
                      now.size() == layout.file_count();
  if (!usable) {
    if (pieces > 0) plan.recheck.push_back({0, pieces});
    return plan;
  }
  // Pieces touching a file that is absent now cannot be had; there is nothing to hash either.
  std::vector<PieceRange> absent;
  for (std::uint32_t i = 0; i < layout.file_count(); ++i) {
    const FileIndex f{i};
    if (layout.is_pad(f) || layout.file_size(f) == 0) continue;
    const auto [first, last] = layout.piece_range_of_file(f);
    if (!now[i].exists) {
      if (saved[i].exists) plan.changed.push_back(f);
      add_range(absent, first.get(), last.get() + 1);
    } else if (saved[i] != now[i]) {
      plan.changed.push_back(f);
      add_range(plan.recheck, first.get(), last.get() + 1);
    }
  }
  std::size_t r = 0, a = 0;
  for (std::uint32_t p = 0; p < pieces; ++p) {
    while (r < plan.recheck.size() && plan.recheck[r].last <= p) ++r;
    while (a < absent.size() && absent[a].last <= p) ++a;
    const bool rechecked = r < plan.recheck.size() && plan.recheck[r].first <= p;
    const bool gone = a < absent.size() && absent[a].first <= p;
    if (!rechecked && !gone && saved_have->get(std::size_t{p})) plan.trusted.set(std::size_t{p});
  }
  return plan;
}

}  // namespace btd
