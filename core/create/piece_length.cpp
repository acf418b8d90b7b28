#include "core/create/piece_length.hpp"

namespace btd {
namespace {

constexpr std::int64_t kTargetMaxPieces = 2048;

}  // namespace

std::int64_t choose_piece_length(std::int64_t total_size) {
  std::int64_t length = kMinAutoPieceLength;
  if (total_size <= 0) return length;
  // Division, not length * kTargetMaxPieces, so a huge total_size cannot overflow.
  while (length < kMaxAutoPieceLength && (total_size - 1) / length >= kTargetMaxPieces) {
    length *= 2;
  }
  return length;
}

}  // namespace btd
