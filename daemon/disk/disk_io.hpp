#pragma once
// The disk layer of one torrent: verify-then-write whole pieces, read blocks for seeding,
// re-check the data on disk, delete the files. The engine talks to this interface only; the
// daemon uses files on libuv's thread pool, engine tests the in-memory twin (memory_disk_io.hpp).
//
// Every callback runs on the loop thread. pending() is the back-pressure signal: the engine stops
// requesting blocks while too many jobs are queued, as libtorrent's disk queue does.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/storage/resume_plan.hpp"
#include "core/util/bitfield.hpp"
#include "core/util/result.hpp"
#include "core/util/strong_index.hpp"
#include "daemon/disk/torrent_files.hpp"

namespace btd::daemon {

class DiskIo {
 public:
  virtual ~DiskIo() = default;

  // Hashes `data` (the whole piece); only if it matches, writes it to the files it spans (pad
  // spans skipped, files and their parent directories created on demand, sparse). A piece that
  // fails the hash touches nothing on disk. write_error (with hash_ok true) carries the path
  // and the errno text, its code the errno in std::generic_category().
  virtual void verify_and_write(PieceIndex piece, std::string data,
                                std::function<void(bool hash_ok, std::optional<Error> write_error)> done) = 0;

  // Reads a block for seeding from its whole piece, hashed first (verify on read): bytes changed
  // on disk behind our back are an Errc::data_corrupt error, never sent. Pad spans read as
  // zeros; a missing or short file is an error naming the path.
  virtual void read_block(PieceIndex piece, std::uint32_t begin, std::uint32_t length,
                          std::function<void(Result<std::string>)> done) = 0;

  // Re-hashes everything on disk. Missing or short files make their pieces missing, not an
  // error; an error is something like EACCES or EIO. progress gets the number of pieces checked
  // so far, now and then and once at the end (== piece count) before done.
  virtual void check(std::function<void(std::uint32_t pieces_done)> progress,
                     std::function<void(Result<Bitfield>)> done) = 0;
  // check() of the pieces in `ranges` only (ascending, disjoint): the result is `known` with
  // the bits inside the ranges replaced by what hashing found. Fast resume re-checks only the
  // pieces of files that changed while btd was not running. progress counts the pieces outside
  // the ranges as done from the start.
  virtual void check_pieces(Bitfield known, std::vector<PieceRange> ranges,
                            std::function<void(std::uint32_t pieces_done)> progress,
                            std::function<void(Result<Bitfield>)> done) = 0;
  // Stops running checks between pieces; their callbacks are dropped (the caller moved on,
  // e.g. torrent.remove).
  virtual void cancel_check() = 0;

  // Deletes the torrent's files, then the directories its paths name under download_dir if
  // they are empty now. Files it does not name and download_dir itself are left alone.
  virtual void remove_files(std::function<void(Result<void>)> done) = 0;

  // With `sync`, fsyncs every file written since the last call, so the pieces written before
  // the call survive a power cut; then stats each file. The stamps, saved with the have-bits of
  // the moment before the call, let a restart trust those bits without re-hashing.
  virtual void sync_and_stamp(bool sync, std::function<void(Result<std::vector<FileStamp>>)> done) = 0;

  // The file selection (one flag per file, true = every byte skipped). Pieces are written
  // whole whatever it says (a wanted piece's bytes of a skipped neighbour land in that file);
  // what it changes is the zero-length files, which no piece write would otherwise leave out:
  // skipped ones are not created, and wanted ones whose piece is in `have` are created now.
  // The in-memory twin has no files to create and ignores it.
  virtual void set_skipped_files(std::vector<bool> skipped, Bitfield have) {
    (void)skipped;
    (void)have;
  }

  // Jobs queued and not finished.
  virtual std::size_t pending() const = 0;

  // After close() returns no callback runs; jobs still on the pool finish and drop their
  // results. Later calls are ignored. The destructor closes.
  virtual void close() = 0;
};

// Files under files.download_dir, I/O and hashing on `loop`'s thread pool (its size is the
// daemon's business: UV_THREADPOOL_SIZE). Invalid `files` (path count, hash count, a path that
// would leave download_dir) make every operation fail with that error.
std::unique_ptr<DiskIo> make_thread_pool_disk_io(uv_loop_t* loop, TorrentFiles files);

// Bytes in memory, every callback run synchronously from inside the call. For engine tests
// that want callbacks deferred (as the real one does) construct MemoryDiskIo directly.
std::unique_ptr<DiskIo> make_memory_disk_io(TorrentFiles files);

}  // namespace btd::daemon
