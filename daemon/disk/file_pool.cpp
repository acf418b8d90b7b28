#include "daemon/disk/file_pool.hpp"

#include <unistd.h>

#include <algorithm>
#include <utility>

namespace btd::daemon {

FileHandle::~FileHandle() {
  if (fd_ >= 0) ::close(fd_);
}

std::shared_ptr<const FileHandle> FilePool::get(FileIndex file, bool need_write) {
  std::lock_guard lock(mutex_);
  for (Entry& e : entries_) {
    if (e.file != file) continue;
    if (need_write && !e.handle->writable()) return nullptr;
    e.last_use = ++clock_;
    return e.handle;
  }
  return nullptr;
}

void FilePool::put(FileIndex file, std::shared_ptr<const FileHandle> handle) {
  std::shared_ptr<const FileHandle> dropped;  // closed after the lock is released
  std::lock_guard lock(mutex_);
  for (Entry& e : entries_) {
    if (e.file != file) continue;
    dropped = std::exchange(e.handle, std::move(handle));
    e.last_use = ++clock_;
    return;
  }
  if (entries_.size() >= capacity_) {
    auto oldest = std::min_element(entries_.begin(), entries_.end(),
                                   [](const Entry& a, const Entry& b) { return a.last_use < b.last_use; });
    dropped = std::move(oldest->handle);
    entries_.erase(oldest);
  }
  entries_.push_back(Entry{file, std::move(handle), ++clock_});
}

void FilePool::clear() {
  std::vector<Entry> dropped;
  {
    std::lock_guard lock(mutex_);
    dropped.swap(entries_);
  }
}

std::size_t FilePool::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace btd::daemon
