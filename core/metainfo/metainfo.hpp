#pragma once
// A parsed BitTorrent v1 metainfo (.torrent) file (BEP 3), with the extensions a client meets
// in practice: announce-list tiers (BEP 12), web seeds (BEP 19), private flag (BEP 27), pad files
// and attributes (BEP 47), and hybrid v1/v2 torrents (BEP 52, v1 part only).
//
// Everything in a .torrent is hostile input: sizes are bounded before anything is allocated
// from them, and file paths are checked and sanitized (see file_path.hpp).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/metainfo/file_entry.hpp"
#include "core/util/result.hpp"
#include "core/util/sha1.hpp"
#include "core/util/strong_index.hpp"

namespace btd {

// Bounds on what a torrent may ask of us.
inline constexpr std::size_t kMaxTorrentFileBytes = 64 * 1024 * 1024;
inline constexpr std::int64_t kMaxPieceLength = std::int64_t{512} * 1024 * 1024;
inline constexpr std::int64_t kMinUsualPieceLength = 16 * 1024;  // smaller only warns
inline constexpr std::uint32_t kMaxPieceCount = std::uint32_t{1} << 21;
// Well past any real torrent, and far enough from INT64_MAX that offsets never overflow.
inline constexpr std::int64_t kMaxTotalSize = std::int64_t{1} << 62;

struct Metainfo {
  InfoHash info_hash;       // SHA-1 of the info dict's original bytes
  std::string info_bytes;   // copy of the raw info dict (served to peers over ut_metadata)
  std::string name;         // sanitized
  std::int64_t piece_length = 0;
  std::string piece_hashes;  // raw, 20 bytes per piece
  std::uint32_t piece_count = 0;
  std::int64_t total_size = 0;  // includes pad files: they are part of the piece space
  std::vector<FileEntry> files;
  bool multi_file = false;
  // Tiers: announce-list (BEP 12) if present and non-empty, else [[announce]]. Empty URLs and
  // URLs already listed earlier in the torrent are dropped.
  std::vector<std::vector<std::string>> trackers;
  std::vector<std::string> url_list;  // BEP 19 web seeds
  bool is_private = false;            // BEP 27
  bool hybrid = false;                // BEP 52 hybrid: "meta version" 2 plus v1 fields
  std::optional<std::int64_t> creation_date;
  std::string comment;
  std::string created_by;
  std::vector<std::string> warnings;  // accepted oddities, e.g. a piece length not a power of 2

  // Piece i's expected SHA-1; an all-zero digest when i is out of range.
  Sha1Digest piece_hash(PieceIndex i) const;
  // piece_length for all but the last piece, which may be short; 0 when i is out of range.
  std::int64_t piece_size(PieceIndex i) const;
};

// Parses a whole .torrent file.
Result<Metainfo> parse_metainfo(std::string_view torrent_file_bytes);
// Parses a bare info dict (e.g. fetched over ut_metadata for a magnet link): the same checks,
// and no announce, web seed or comment fields.
Result<Metainfo> parse_info_dict(std::string_view info_dict_bytes);

}  // namespace btd
