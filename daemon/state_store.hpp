#pragma once
// The daemon's state dir (shared/DESIGN.md): <state>/torrents/<infohash>.torrent holds each
// torrent exactly as added, <infohash>.resume its settings, totals and fast-resume data
// (core/storage/resume_data.hpp). Every write is atomic: temporary file in the same directory,
// fsync, rename, fsync the directory. Blocking: the daemon calls it through StateWriter, on
// the thread pool, never on the loop thread in steady state (start-up loading aside).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/storage/resume_data.hpp"
#include "core/util/result.hpp"

namespace btd::daemon {

struct StoredTorrent {
  std::string id;                     // 40 hex chars
  std::string torrent_bytes;          // the .torrent as added; empty for a magnet still fetching
  std::optional<ResumeData> resume;   // absent when missing or unreadable (problem reported)
  // <infohash>.magnet: the magnet link a torrent was added with. Alone, the torrent was still
  // fetching its metadata; next to a .torrent (its fetched metadata), it keeps what the link
  // said beyond it (BEP 53 "so").
  std::optional<std::string> magnet_uri;
};

class StateStore {
 public:
  explicit StateStore(std::string state_dir) : dir_(std::move(state_dir) + "/torrents") {}

  Result<void> save_torrent(const std::string& id, std::string_view torrent_bytes) const;
  Result<void> save_resume(const std::string& id, const ResumeData& resume) const;
  Result<void> save_magnet(const std::string& id, std::string_view magnet_uri) const;
  Result<void> remove(const std::string& id) const;
  // Every torrent in the state dir; unreadable entries are reported in `problems`, not fatal.
  std::vector<StoredTorrent> load_all(std::vector<std::string>& problems) const;

 private:
  std::string dir_;
};

// Writes `data` to `path` atomically and durably.
Result<void> write_file_durably(const std::string& path, std::string_view data);

}  // namespace btd::daemon
