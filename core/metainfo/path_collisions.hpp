#pragma once
// Sanitizing maps different names to one ("a\x01" and "a_"), and a torrent may simply list a path
// twice or use a file's path as another file's directory. Writing such a torrent would make two
// files share bytes on disk, so it is refused.
#include <vector>

#include "core/metainfo/file_entry.hpp"
#include "core/util/result.hpp"

namespace btd {

// Refuses (Errc::unsafe_path) two non-pad files with exactly the same path, and a non-pad file
// whose path is a directory of another ("a/b" and "a/b/c"). Pad files are never written and are
// not checked. O(n log n) in the number of files.
Result<void> check_path_collisions(const std::vector<FileEntry>& files);

}  // namespace btd
