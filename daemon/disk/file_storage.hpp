#pragma once
// A torrent's files on disk, synchronously: the work that ThreadPoolDiskIo runs on libuv's
// pool threads. Every method may be called from several threads at once (the file pool is the
// only shared mutable state and it locks).
#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/storage/resume_data.hpp"
#include "core/util/result.hpp"
#include "core/util/strong_index.hpp"
#include "daemon/disk/file_pool.hpp"
#include "daemon/disk/torrent_files.hpp"

namespace btd::daemon {

class FileStorage {
 public:
  explicit FileStorage(TorrentFiles files);

  const TorrentFiles& files() const noexcept { return files_; }
  // Why this torrent's files cannot be used (see resolve_paths); every operation reports it.
  const std::optional<Error>& setup_error() const noexcept { return setup_error_; }

  bool hash_matches(PieceIndex piece, std::string_view data) const;
  // Writes a verified piece: one pwrite per non-pad span, then creates the zero-length files
  // whose offset falls inside the piece (so a finished torrent has all its files).
  // With `generation` (from removal_generation() when the write was queued), the write is
  // refused if a removal was queued since: a write in flight on one pool thread can never
  // bring back files that torrent.remove --delete-data deleted on another.
  Result<void> write_piece(PieceIndex piece, std::string_view data,
                           std::optional<std::uint64_t> generation = std::nullopt);
  std::uint64_t removal_generation() const noexcept { return removal_generation_.load(); }
  // Called when a removal is queued, before remove_files runs.
  void note_removal() noexcept { removal_generation_.fetch_add(1); }
  // Reads a block for seeding from the whole piece, hashed first (and kept in a small cache of
  // verified pieces): bytes changed on disk behind btd's back are never sent. Such a piece is
  // an Errc::data_corrupt error.
  Result<std::string> read_block(PieceIndex piece, std::uint32_t begin, std::uint32_t length);
  // The whole piece behind read_block, shared: blocks of one piece read together hash it once.
  Result<std::shared_ptr<const std::string>> read_verified_piece(PieceIndex piece);

  enum class PieceState { have, missing };
  // Reads and hashes one piece into `buffer` (reused between calls). Missing or short files
  // mean missing; other failures are errors.
  Result<PieceState> check_piece(PieceIndex piece, std::string& buffer);

  Result<void> remove_files();

  // Zero-length files flagged here (true = skipped by the file selection) are not created by
  // write_piece; create_wanted_empty_files creates the others whose piece is in `have`.
  void set_skipped_files(std::vector<bool> skipped);
  Result<void> create_wanted_empty_files(const Bitfield& have);

  // fsyncs every file written since the last sync (so the pieces written so far survive a
  // power cut), when `sync` is set, then stats every file: the stamps that resume data pairs
  // with the have-bits of that moment. Pad files get an empty stamp.
  Result<std::vector<FileStamp>> sync_and_stamp(bool sync);

  std::size_t open_files() const { return pool_.size(); }

 private:
  Result<std::shared_ptr<const FileHandle>> open_for_write(FileIndex file);
  // nullptr (no error) when the file does not exist.
  Result<std::shared_ptr<const FileHandle>> open_for_read(FileIndex file);
  // Fills out[0, total span length); `absent` set (and no error) when a file is missing or
  // shorter than the range.
  Result<void> read_spans(const std::vector<FileSpan>& spans, char* out, std::optional<FileIndex>& absent);

  TorrentFiles files_;
  std::vector<std::string> full_paths_;
  std::optional<Error> setup_error_;
  std::vector<FileIndex> empty_files_;  // zero-length, non-pad, in payload order
  bool empty_file_skipped(FileIndex f);
  // The piece a zero-length file belongs to: the one its offset falls in (the last for a
  // trailing file).
  PieceIndex anchor_piece(FileIndex f) const;
  std::mutex skipped_mutex_;
  std::vector<bool> skipped_;  // by file index; empty: nothing skipped
  // Writes hold it shared, remove_files exclusively, so no write overlaps a deletion.
  std::shared_mutex remove_mutex_;
  std::atomic<std::uint64_t> removal_generation_{0};
  Result<std::shared_ptr<const std::string>> verified_piece(PieceIndex piece);
  // Verified pieces recently read for seeding, newest last; bounded in bytes.
  static constexpr std::size_t kPieceCacheBytes = std::size_t{16} << 20;
  std::mutex cache_mutex_;
  std::vector<std::pair<std::uint32_t, std::shared_ptr<const std::string>>> piece_cache_;
  std::size_t piece_cache_bytes_ = 0;
  std::mutex written_mutex_;
  std::set<std::uint32_t> written_;     // file indexes written since the last sync
  FilePool pool_;
};

}  // namespace btd::daemon
