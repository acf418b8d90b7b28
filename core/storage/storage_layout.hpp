#pragma once
// Where a torrent's bytes live: the payload is the concatenation of its files, cut into pieces.
// This maps a piece, a block or any byte range of the payload onto the files it spans, so the
// disk layer can issue one pread/pwritev per file span. Pad files (BEP 47) take up payload
// space but are never written; their spans come back marked `pad` (reads yield zeros).
#include <cstdint>
#include <utility>
#include <vector>

#include "core/util/result.hpp"
#include "core/util/strong_index.hpp"

namespace btd {

struct LayoutFile {
  std::int64_t size = 0;
  bool pad = false;
};

struct FileSpan {
  FileIndex file;
  std::int64_t file_offset = 0;  // where in the file the span starts
  std::int64_t length = 0;
  bool pad = false;
};

class StorageLayout {
 public:
  // Fails if the sizes are negative, overflow, or do not add up to piece_count pieces.
  static Result<StorageLayout> create(std::vector<LayoutFile> files, std::int64_t piece_length);

  std::int64_t total_size() const noexcept { return total_size_; }
  std::int64_t piece_length() const noexcept { return piece_length_; }
  std::uint32_t piece_count() const noexcept { return piece_count_; }
  std::size_t file_count() const noexcept { return files_.size(); }
  std::int64_t file_offset(FileIndex f) const noexcept { return offsets_[f.get()]; }
  std::int64_t file_size(FileIndex f) const noexcept { return files_[f.get()].size; }
  bool is_pad(FileIndex f) const noexcept { return files_[f.get()].pad; }

  std::int64_t piece_size(PieceIndex p) const noexcept;
  std::int64_t piece_offset(PieceIndex p) const noexcept { return std::int64_t{p.get()} * piece_length_; }

  // Appends the spans covering [payload_offset, payload_offset + length) in payload order.
  // Zero-length files never appear. Returns false (and appends nothing) if the range is not
  // inside the payload: callers check peer-supplied ranges before they get here, but a layout
  // must never hand out a span past a file's end.
  bool map_range(std::int64_t payload_offset, std::int64_t length, std::vector<FileSpan>& out) const;
  bool map_block(PieceIndex piece, std::int64_t begin, std::int64_t length,
                 std::vector<FileSpan>& out) const;

  // Pieces that hold at least one byte of the file, as [first, last]; nullopt-like empty
  // (first > last) for zero-length files.
  std::pair<PieceIndex, PieceIndex> piece_range_of_file(FileIndex f) const noexcept;

 private:
  StorageLayout() = default;
  std::vector<LayoutFile> files_;
  std::vector<std::int64_t> offsets_;  // payload offset of each file, ascending
  std::int64_t piece_length_ = 0;
  std::int64_t total_size_ = 0;
  std::uint32_t piece_count_ = 0;
};

}  // namespace btd
