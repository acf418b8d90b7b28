#pragma once
// What a new torrent is made of. The caller (the CLI) walks the file system and reads the
// files; core/create only sees names, sizes and, later, the bytes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/util/result.hpp"

namespace btd {

// Bounds for torrents we make. They match what core/metainfo accepts (a unit test checks), so
// anything we create we can also load.
inline constexpr std::int64_t kMinCreatePieceLength = 16 * 1024;
inline constexpr std::int64_t kMaxCreatePieceLength = std::int64_t{512} * 1024 * 1024;
inline constexpr std::int64_t kMaxCreatePieceCount = std::int64_t{1} << 21;
inline constexpr std::int64_t kMaxCreateTotalSize = std::int64_t{1} << 62;

struct CreateFile {
  // Components relative to the torrent root; empty for the file of a single-file torrent.
  std::vector<std::string> path;
  std::int64_t size = 0;
};

struct CreateOptions {
  std::string name;  // the torrent's file name (single-file) or directory name (multi-file)
  // In the order their bytes will be fed, which is also the order written to the torrent. A
  // single-file torrent is exactly one file with an empty path.
  std::vector<CreateFile> files;
  std::int64_t piece_length = 0;  // 0: choose_piece_length(total size)
  // The first tracker becomes "announce"; with more than one tracker in total, every tier goes
  // into "announce-list" (BEP 12).
  std::vector<std::vector<std::string>> tracker_tiers;
  std::vector<std::string> web_seeds;  // "url-list" (BEP 19)
  bool is_private = false;             // BEP 27
  std::string comment;
  std::string created_by = "btd/0.1.0";
  std::optional<std::int64_t> creation_date;  // seconds since the epoch; core reads no clock
};

// The numbers a torrent's pieces follow from, once the options are known to be valid.
struct CreateLayout {
  std::int64_t total_size = 0;
  std::int64_t piece_length = 0;  // as given, or chosen when the options said 0
  std::int64_t piece_count = 0;
};

// Refuses (Errc::invalid_argument, naming the field) what would make a broken or unsafe torrent:
// an empty name or path component, '/' in a name or component, "." or "..", a NUL byte, a
// multi-file entry without a path, negative sizes, a zero total, two files at one path (or one
// file's path used as another's directory), a piece length that is not a power of two in
// [16 KiB, 512 MiB], more than kMaxCreatePieceCount pieces, and empty tracker or web seed URLs.
Result<CreateLayout> validate_create_options(const CreateOptions& options);

}  // namespace btd
