#pragma once
// The daemon's state dir (shared/DESIGN.md): <state>/torrents/<infohash>.torrent holds each
// torrent exactly as added, <infohash>.resume its settings. Every write is atomic: temporary
// file in the same directory, fsync, rename, fsync the directory. Called from the thread pool
// or at start-up, never on the loop thread in steady state.
#include <cstdint>
#include <string>
#include <vector>

#include "core/util/result.hpp"

namespace btd::daemon {

struct StoredTorrent {
  std::string id;            // 40 hex chars
  std::string torrent_bytes; // the .torrent as added
  std::string download_dir;
  bool paused = false;
  std::int64_t added_at = 0;
};

class StateStore {
 public:
  explicit StateStore(std::string state_dir) : dir_(std::move(state_dir) + "/torrents") {}

  Result<void> save(const StoredTorrent& t) const;
  Result<void> save_settings(const StoredTorrent& t) const;  // the .resume file only
  Result<void> remove(const std::string& id) const;
  // Every torrent in the state dir; unreadable entries are reported in `problems`, not fatal.
  std::vector<StoredTorrent> load_all(std::vector<std::string>& problems) const;

 private:
  std::string dir_;
};

// Writes `data` to `path` atomically and durably.
Result<void> write_file_durably(const std::string& path, std::string_view data);

}  // namespace btd::daemon
