#pragma once
// What btd remembers about a torrent between runs (shared/DESIGN.md: <infohash>.resume): its
// settings, its totals, the pieces that were verified and written, and the size and mtime of
// each file at the moment those pieces were known to be on disk. The stamps are what lets a
// restart trust the have-bitfield without re-hashing: a file whose stamp differs is re-checked.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/storage/file_priority.hpp"
#include "core/util/bitfield.hpp"
#include "core/util/result.hpp"

namespace btd {

struct FileStamp {
  bool exists = false;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};

struct ResumeData {
  std::string download_dir;
  bool paused = false;
  std::int64_t added_at = 0;
  std::uint64_t downloaded_total = 0;  // payload bytes over every earlier run
  std::uint64_t uploaded_total = 0;
  // Per-torrent settings (0 or absent = no limit of its own).
  std::uint64_t download_rate_limit = 0;
  std::uint64_t upload_rate_limit = 0;
  std::optional<std::uint64_t> max_connections;
  // Peers to try first after a restart ("1.2.3.4:6881", "[::1]:6881"): those the user named and
  // the latest from trackers. At most kMaxResumePeers; the daemon parses each again.
  std::vector<std::string> peers;
  // The file selection, one per file index; empty (and absent from files written before file
  // selection existed) means every file normal. The daemon ignores a list of the wrong length.
  std::vector<FilePriority> file_priorities;
  // The selection given with a magnet link at torrent.add (file indexes, as its "files" and
  // "skip_files"), kept until the metadata names the files; then it becomes file_priorities.
  std::optional<std::vector<std::uint64_t>> pending_only;
  std::vector<std::uint64_t> pending_skip;
  // Verified pieces and the file stamps taken after they were synced; absent until the torrent
  // has run once (then every piece is checked).
  std::optional<std::string> have_bytes;  // Bitfield::bytes(); length checked when used
  std::uint32_t have_pieces = 0;          // the bit count have_bytes was saved with
  std::vector<FileStamp> files;           // one per file index of the torrent
};

inline constexpr std::size_t kMaxResumePeers = 200;
// Far above any real torrent's file count; what a resume file can make us allocate.
inline constexpr std::size_t kMaxResumeFiles = std::size_t{1} << 22;

std::string encode_resume(const ResumeData& data);
// Refuses anything that is not a resume file btd wrote (wrong version, types, negative
// numbers); the caller then falls back to a full check, never to trusting it.
Result<ResumeData> decode_resume(std::string_view bytes);

// The have-bitfield of `data` for a torrent of `pieces` pieces, if it was saved for that many.
std::optional<Bitfield> resume_have(const ResumeData& data, std::uint32_t pieces);

}  // namespace btd
