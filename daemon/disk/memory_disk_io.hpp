#pragma once
// DiskIo in memory, for engine tests: each file is a std::string in a std::map, grown as pieces
// are written (gaps read as zeros, like a sparse file). It behaves like the thread-pool one on
// every point the engine can see: hash before write, pad spans, empty files, missing and short
// files, error messages naming the full path.
//
// Delivery::immediate runs each operation and its callback inside the call.
// Delivery::deferred queues them; the test calls run_pending() where the real daemon would run
// the loop, so an engine never sees a callback re-enter it, and pending() shows back-pressure.
#include <deque>
#include <map>

#include "daemon/disk/disk_io.hpp"

namespace btd::daemon {

class MemoryDiskIo final : public DiskIo {
 public:
  enum class Delivery { immediate, deferred };
  explicit MemoryDiskIo(TorrentFiles files, Delivery delivery = Delivery::deferred);
  ~MemoryDiskIo() override { close(); }

  void verify_and_write(PieceIndex piece, std::string data,
                        std::function<void(bool, std::optional<Error>)> done) override;
  void read_block(PieceIndex piece, std::uint32_t begin, std::uint32_t length,
                  std::function<void(Result<std::string>)> done) override;
  void check(std::function<void(std::uint32_t)> progress, std::function<void(Result<Bitfield>)> done) override;
  void check_pieces(Bitfield known, std::vector<PieceRange> ranges, std::function<void(std::uint32_t)> progress,
                    std::function<void(Result<Bitfield>)> done) override;
  void cancel_check() override;
  // The "mtime" of a file is a counter bumped by every write to it.
  void sync_and_stamp(bool sync, std::function<void(Result<std::vector<FileStamp>>)> done) override;
  void remove_files(std::function<void(Result<void>)> done) override;
  std::size_t pending() const override { return queue_.size(); }
  void close() override;

  // Runs queued operations in order, including any queued by their callbacks, until none is
  // left or the object is closed. Returns how many ran.
  std::size_t run_pending();

  // Test hooks. The bytes of a file, nullopt if it does not exist.
  std::optional<std::string> file_data(FileIndex file) const;
  // Puts a file in place (as if a user copied data in before a check); nullopt deletes it.
  void set_file_data(FileIndex file, std::optional<std::string> data);
  // Makes every write after a good hash fail with `error` (a full disk), until reset with nullopt.
  void fail_writes(std::optional<Error> error) { write_failure_ = std::move(error); }

 private:
  void post(std::function<void()> op);
  std::optional<Error> write_piece(PieceIndex piece, const std::string& data);
  Result<std::string> read_range(PieceIndex piece, std::int64_t begin, std::int64_t length) const;
  const std::string& path_of(FileIndex f) const { return full_paths_[f.get()]; }

  TorrentFiles files_;
  std::vector<std::string> full_paths_;
  std::optional<Error> setup_error_;
  Delivery delivery_;
  std::map<std::uint32_t, std::string> data_;
  std::map<std::uint32_t, std::int64_t> versions_;  // per file, bumped by every change
  std::int64_t clock_ = 0;
  std::deque<std::function<void()>> queue_;
  std::optional<Error> write_failure_;
  std::uint64_t check_generation_ = 0;
  bool closed_ = false;
};

}  // namespace btd::daemon
