#pragma once
// Fast resume: which saved have-bits a restart may trust, and which pieces it must re-hash.
// A file whose existence, size and mtime all equal its saved stamp holds exactly what it held
// when the have-bits were saved, so pieces lying only in such files keep their saved bits
// without hashing. Any piece that touches a changed, truncated or deleted file is re-checked:
// only pieces that verify count.
#include <cstdint>
#include <optional>
#include <vector>

#include "core/storage/resume_data.hpp"
#include "core/storage/storage_layout.hpp"
#include "core/util/bitfield.hpp"

namespace btd {

struct PieceRange {
  std::uint32_t first = 0;  // [first, last)
  std::uint32_t last = 0;
  bool operator==(const PieceRange&) const = default;
};

struct ResumePlan {
  Bitfield trusted;                 // have-bits kept without hashing
  std::vector<PieceRange> recheck;  // ascending, disjoint, never empty ranges
  std::vector<FileIndex> changed;   // files whose stamp differs (for the log)
  bool full_check() const noexcept { return recheck.size() == 1 && recheck[0].first == 0 && recheck[0].last == trusted.size(); }
};

// `saved_have` and `saved` come from the resume file (absent have: check everything); `now`
// are the stamps of the files as they are on disk, one per file index.
ResumePlan plan_resume(const StorageLayout& layout, const std::optional<Bitfield>& saved_have,
                       const std::vector<FileStamp>& saved, const std::vector<FileStamp>& now);

}  // namespace btd
