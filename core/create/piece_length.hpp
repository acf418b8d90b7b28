#pragma once
// The piece size picked for a new torrent when the user gives none.
#include <cstdint>

namespace btd {

inline constexpr std::int64_t kMinAutoPieceLength = 16 * 1024;
inline constexpr std::int64_t kMaxAutoPieceLength = 16 * 1024 * 1024;

// The smallest power of two that cuts total_size into at most 2048 pieces, so a torrent in the
// clamped range has between 1025 and 2048 pieces: few enough that the .torrent stays small
// (20 bytes of hash per piece), many enough that a peer can verify and share data early. Clamped
// to [16 KiB, 16 MiB]: below 16 KiB a piece is smaller than one block request, and above 16 MiB
// one hash failure wastes too much download (mktorrent, transmission and libtorrent draw
// similar lines). total_size <= 0 gives the minimum.
std::int64_t choose_piece_length(std::int64_t total_size);

}  // namespace btd
