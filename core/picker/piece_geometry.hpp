#pragma once
// The shape of a torrent's data as the picker sees it: how many pieces, how many 16 KiB blocks
// in each, and how short the last piece and its last block are.
#include <cstdint>

#include "core/util/result.hpp"
#include "core/util/strong_index.hpp"

namespace btd {

// The request size every client uses; peers may refuse anything larger (BEP 3 practice).
inline constexpr std::uint32_t kBlockSize = 16 * 1024;

struct BlockRequest {
  PieceIndex piece;
  std::uint32_t begin = 0;
  std::uint32_t length = 0;

  bool operator==(const BlockRequest&) const = default;
};

class PieceGeometry {
 public:
  // Bounds the blocks per piece, so a hostile metainfo cannot make the picker allocate
  // millions of block records for one piece.
  static constexpr std::uint32_t kMaxPieceLength = 256u * 1024 * 1024;

  // piece_count must equal ceil(total_size / piece_length).
  static Result<PieceGeometry> create(std::uint32_t piece_count, std::uint32_t piece_length,
                                      std::uint64_t total_size);

  std::uint32_t piece_count() const noexcept { return piece_count_; }
  std::uint32_t piece_length() const noexcept { return piece_length_; }
  std::uint64_t total_size() const noexcept { return total_size_; }

  bool valid(PieceIndex p) const noexcept { return p.get() < piece_count_; }
  // Size of piece p in bytes; only the last piece may be shorter than piece_length.
  std::uint32_t piece_size(PieceIndex p) const noexcept;
  std::uint32_t blocks_in_piece(PieceIndex p) const noexcept;
  std::uint32_t block_length(PieceIndex p, std::uint32_t block) const noexcept;
  BlockRequest block(PieceIndex p, std::uint32_t block) const noexcept;

  // True when `r` names exactly one whole block of an existing piece: begin on a block
  // boundary, length the block's length. Anything else from a peer is not something we asked for.
  bool is_block(const BlockRequest& r) const noexcept;

 private:
  PieceGeometry(std::uint32_t count, std::uint32_t length, std::uint64_t total)
      : piece_count_(count), piece_length_(length), total_size_(total) {}

  std::uint32_t piece_count_ = 0;
  std::uint32_t piece_length_ = 0;
  std::uint64_t total_size_ = 0;
};

}  // namespace btd
