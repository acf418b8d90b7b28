#include "core/picker/piece_geometry.hpp"

#include <string>

namespace btd {

Result<PieceGeometry> PieceGeometry::create(std::uint32_t piece_count, std::uint32_t piece_length,
                                            std::uint64_t total_size) {
  if (piece_length == 0) return Error(Errc::invalid_argument, "piece length is 0");
  if (piece_length > kMaxPieceLength) {
    return Error(Errc::limit_exceeded, "piece length " + std::to_string(piece_length) +
                                           " exceeds the limit of " +
                                           std::to_string(kMaxPieceLength) + " bytes");
  }
  if (total_size == 0) return Error(Errc::invalid_argument, "total size is 0");
  const std::uint64_t needed = total_size / piece_length + (total_size % piece_length != 0 ? 1 : 0);
  if (needed != piece_count) {
    return Error(Errc::invalid_argument,
                 "piece count " + std::to_string(piece_count) + " does not match total size " +
                     std::to_string(total_size) + " at piece length " +
                     std::to_string(piece_length) + " (expected " + std::to_string(needed) + ")");
  }
  return PieceGeometry(piece_count, piece_length, total_size);
}

std::uint32_t PieceGeometry::piece_size(PieceIndex p) const noexcept {
  if (!valid(p)) return 0;
  if (p.get() + 1 < piece_count_) return piece_length_;
  const std::uint64_t before = std::uint64_t{piece_length_} * (piece_count_ - 1);
  return static_cast<std::uint32_t>(total_size_ - before);
}

std::uint32_t PieceGeometry::blocks_in_piece(PieceIndex p) const noexcept {
  const std::uint32_t size = piece_size(p);
  return size / kBlockSize + (size % kBlockSize != 0 ? 1 : 0);
}

std::uint32_t PieceGeometry::block_length(PieceIndex p, std::uint32_t block) const noexcept {
  const std::uint32_t size = piece_size(p);
  const std::uint64_t begin = std::uint64_t{block} * kBlockSize;
  if (begin >= size) return 0;
  const std::uint64_t rest = size - begin;
  return rest < kBlockSize ? static_cast<std::uint32_t>(rest) : kBlockSize;
}

BlockRequest PieceGeometry::block(PieceIndex p, std::uint32_t block) const noexcept {
  return BlockRequest{p, block * kBlockSize, block_length(p, block)};
}

bool PieceGeometry::is_block(const BlockRequest& r) const noexcept {
  if (!valid(r.piece) || r.begin % kBlockSize != 0) return false;
  const std::uint32_t length = block_length(r.piece, r.begin / kBlockSize);
  return length != 0 && r.length == length;
}

}  // namespace btd
