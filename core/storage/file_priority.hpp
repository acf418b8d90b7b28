#pragma once
// Which files of a torrent the user wants (torrent.set_files, torrent.add's `files`, BEP 53
// `so`), and what that makes of each piece. A piece is as wanted as the most wanted file it
// holds bytes of: a piece shared by a skipped and a wanted file is fetched, and its bytes of
// the skipped file land in that file (as in transmission and libtorrent).
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/picker/piece_priority.hpp"
#include "core/storage/storage_layout.hpp"

namespace btd {

// The names transmission and libtorrent users know: skip (libtorrent's "dont_download"),
// normal, high.
enum class FilePriority : std::uint8_t { skip, normal, high };

const char* file_priority_name(FilePriority p) noexcept;
std::optional<FilePriority> parse_file_priority(std::string_view name) noexcept;

// One priority per piece of `layout`. `files` has one entry per file of the layout; a shorter
// list leaves the rest normal (extra entries are ignored). Pad files (BEP 47) want nothing:
// their zeros are never downloaded for their own sake. Zero-length files hold no piece.
std::vector<Priority> piece_priorities(const StorageLayout& layout, const std::vector<FilePriority>& files);

// Bytes of the pieces that are not skipped: what "complete" means with a selection.
std::int64_t wanted_bytes(const StorageLayout& layout, const std::vector<Priority>& pieces);

}  // namespace btd
