#pragma once
// A small LRU cache of open file descriptors, shared by the pool threads of one torrent.
// Handles are reference counted: evicting one while another thread still reads from it only
// drops the cache's reference, and the descriptor closes when the last user lets go.
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "core/util/strong_index.hpp"

namespace btd::daemon {

class FileHandle {
 public:
  FileHandle(int fd, bool writable) noexcept : fd_(fd), writable_(writable) {}
  ~FileHandle();
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;

  int fd() const noexcept { return fd_; }
  bool writable() const noexcept { return writable_; }

 private:
  int fd_;
  bool writable_;
};

class FilePool {
 public:
  static constexpr std::size_t kDefaultCapacity = 32;
  explicit FilePool(std::size_t capacity = kDefaultCapacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // The cached handle of `file`, if there is one good for the purpose (a writable handle also
  // serves reads).
  std::shared_ptr<const FileHandle> get(FileIndex file, bool need_write);
  // Caches `handle`, replacing any handle of the same file and evicting the least recently used.
  void put(FileIndex file, std::shared_ptr<const FileHandle> handle);
  // Drops every cached handle (before the files are deleted, so no write lands in an unlinked
  // inode).
  void clear();
  std::size_t size() const;

 private:
  struct Entry {
    FileIndex file;
    std::shared_ptr<const FileHandle> handle;
    std::uint64_t last_use = 0;
  };
  mutable std::mutex mutex_;
  std::vector<Entry> entries_;  // a few dozen at most: a linear scan beats a map here
  std::uint64_t clock_ = 0;
  std::size_t capacity_;
};

}  // namespace btd::daemon
