#include "core/storage/storage_layout.hpp"

#include <algorithm>
#include <limits>
#include <string>

namespace btd {

Result<StorageLayout> StorageLayout::create(std::vector<LayoutFile> files, std::int64_t piece_length) {
  if (piece_length <= 0)
    return Error(Errc::invalid_argument, "piece length " + std::to_string(piece_length) + " is not positive");
  StorageLayout layout;
  layout.offsets_.reserve(files.size());
  std::int64_t total = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (files[i].size < 0 || files[i].size > std::numeric_limits<std::int64_t>::max() - total)
      return Error(Errc::invalid_argument, "file " + std::to_string(i) + " has an impossible size");
    layout.offsets_.push_back(total);
    total += files[i].size;
  }
  if (total == 0) return Error(Errc::invalid_argument, "torrent has no data");
  const std::int64_t pieces = (total - 1) / piece_length + 1;
  if (pieces > std::numeric_limits<std::uint32_t>::max())
    return Error(Errc::invalid_argument, "too many pieces");
  layout.files_ = std::move(files);
  layout.piece_length_ = piece_length;
  layout.total_size_ = total;
  layout.piece_count_ = static_cast<std::uint32_t>(pieces);
  return layout;
}

std::int64_t StorageLayout::piece_size(PieceIndex p) const noexcept {
  if (p.get() >= piece_count_) return 0;
  return std::min(piece_length_, total_size_ - piece_offset(p));
}

bool StorageLayout::map_range(std::int64_t payload_offset, std::int64_t length,
                              std::vector<FileSpan>& out) const {
  if (payload_offset < 0 || length < 0 || payload_offset > total_size_ ||
      length > total_size_ - payload_offset)
    return false;
  // The first file that ends after payload_offset: files are few per piece, so after the
  // binary search the walk is short.
  auto it = std::upper_bound(offsets_.begin(), offsets_.end(), payload_offset);
  std::size_t f = static_cast<std::size_t>(it - offsets_.begin()) - 1;
  std::int64_t pos = payload_offset;
  const std::int64_t end = payload_offset + length;
  while (pos < end && f < files_.size()) {
    const std::int64_t file_end = offsets_[f] + files_[f].size;
    if (file_end > pos) {
      const std::int64_t n = std::min(end, file_end) - pos;
      out.push_back(FileSpan{FileIndex{static_cast<std::uint32_t>(f)}, pos - offsets_[f], n, files_[f].pad});
      pos += n;
    }
    ++f;
  }
  return true;
}

bool StorageLayout::map_block(PieceIndex piece, std::int64_t begin, std::int64_t length,
                              std::vector<FileSpan>& out) const {
  if (piece.get() >= piece_count_ || begin < 0 || length < 0 || begin > piece_size(piece) ||
      length > piece_size(piece) - begin)
    return false;
  return map_range(piece_offset(piece) + begin, length, out);
}

std::pair<PieceIndex, PieceIndex> StorageLayout::piece_range_of_file(FileIndex f) const noexcept {
  const std::int64_t start = offsets_[f.get()];
  const std::int64_t size = files_[f.get()].size;
  if (size == 0) return {PieceIndex{1}, PieceIndex{0}};
  return {PieceIndex{static_cast<std::uint32_t>(start / piece_length_)},
          PieceIndex{static_cast<std::uint32_t>((start + size - 1) / piece_length_)}};
}

}  // namespace btd
