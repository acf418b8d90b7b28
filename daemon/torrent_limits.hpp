#pragma once
// Per-torrent settings a user can change at run time (torrent.set). They live on TorrentEntry
// and are saved with its resume data.
#include <cstddef>
#include <cstdint>
#include <optional>

namespace btd::daemon {

struct TorrentLimits {
  std::uint64_t download_rate_limit = 0;  // bytes/s, 0 = unlimited
  std::uint64_t upload_rate_limit = 0;    // bytes/s, 0 = unlimited
  std::optional<std::size_t> max_connections;  // unset: only the session's limits apply
};

}  // namespace btd::daemon
