#pragma once
// What the disk layer needs to know about one torrent: where its files go, how pieces map onto
// them, and what each piece must hash to.
#include <string>
#include <string_view>
#include <vector>

#include "core/storage/storage_layout.hpp"
#include "core/util/result.hpp"
#include "core/util/strong_index.hpp"

namespace btd::daemon {

struct TorrentFiles {
  std::string download_dir;
  std::vector<std::string> paths;  // relative to download_dir, '/' separated, one per file index
  StorageLayout layout;
  std::string piece_hashes;  // 20 bytes per piece
};

// Checks that paths and hashes agree with the layout and that every path stays inside
// download_dir, and returns download_dir + '/' + path for each file. The metainfo parser
// sanitizes paths already; this is the last guard before a path reaches open(2).
Result<std::vector<std::string>> resolve_paths(const TorrentFiles& files);

// Refuses a torrent whose files would be reached through a symbolic link already in the
// download dir (say dl/movies -> /etc): every directory a path passes through below
// download_dir must be a real directory or not exist yet. Blocking (lstat per distinct
// directory); `full_paths` from resolve_paths.
Result<void> check_no_symlinked_dirs(const TorrentFiles& files, const std::vector<std::string>& full_paths);

// The 20 expected SHA-1 bytes of `piece` (the caller checked the index through resolve_paths).
std::string_view expected_hash(const TorrentFiles& files, PieceIndex piece);

}  // namespace btd::daemon
