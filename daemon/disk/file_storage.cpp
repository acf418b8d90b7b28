#include "daemon/disk/file_storage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <system_error>

#include "core/util/sha1.hpp"

namespace btd::daemon {

namespace {

Error errno_error(int err, const std::string& what) {
  return Error(std::error_code(err, std::generic_category()), what + ": " + std::strerror(err));
}

// Creates the missing directories above `path` (mkdir -p of its parent).
Result<void> make_parent_dirs(const std::string& path) {
  for (std::size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
    const std::string dir = path.substr(0, slash);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      return errno_error(errno, "cannot create directory '" + dir + "'");
  }
  return {};
}

// pwrite until done: regular files rarely write short, but a signal or a nearly full disk can.
Result<void> write_all(int fd, const char* data, std::int64_t length, std::int64_t offset, const std::string& path) {
  while (length > 0) {
    const ssize_t n = ::pwrite(fd, data, static_cast<std::size_t>(length), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error(errno, "cannot write " + std::to_string(length) + " bytes at offset " +
                                    std::to_string(offset) + " of '" + path + "'");
    }
    data += n;
    length -= n;
    offset += n;
  }
  return {};
}

// Bytes read; fewer than `length` only at the end of the file. -1 with errno on failure.
std::int64_t read_all(int fd, char* out, std::int64_t length, std::int64_t offset) {
  std::int64_t got = 0;
  while (got < length) {
    const ssize_t n = ::pread(fd, out + got, static_cast<std::size_t>(length - got), static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) break;
    got += n;
  }
  return got;
}

bool is_absent_errno(int err) { return err == ENOENT || err == ENOTDIR; }

}  // namespace

FileStorage::FileStorage(TorrentFiles files) : files_(std::move(files)) {
  auto paths = resolve_paths(files_);
  if (!paths.ok()) {
    setup_error_ = paths.error();
    return;
  }
  full_paths_ = std::move(*paths);
  for (std::uint32_t i = 0; i < files_.layout.file_count(); ++i) {
    const FileIndex f{i};
    if (files_.layout.file_size(f) == 0 && !files_.layout.is_pad(f)) empty_files_.push_back(f);
  }
}

bool FileStorage::hash_matches(PieceIndex piece, std::string_view data) const {
  if (setup_error_ || piece.get() >= files_.layout.piece_count()) return false;
  return sha1(data).view() == expected_hash(files_, piece);
}

Result<std::shared_ptr<const FileHandle>> FileStorage::open_for_write(FileIndex file) {
  if (auto cached = pool_.get(file, true)) return cached;
  const std::string& path = full_paths_[file.get()];
  // O_NOFOLLOW guards the last component only: a directory on the way that became a symlink
  // since the torrent was added (dl/x -> /etc) must not redirect the write either.
  for (std::size_t slash = path.find('/', path.size() - files_.paths[file.get()].size()); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    struct stat st {};
    const std::string dir = path.substr(0, slash);
    if (::lstat(dir.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
      return errno_error(ELOOP, "refusing to write through the symbolic link '" + dir + "'");
  }
  // O_NOFOLLOW: a symlink planted where a torrent file goes must not redirect our writes.
  const int flags = O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW;
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0 && errno == ENOENT) {
    if (auto made = make_parent_dirs(path); !made.ok()) return made.error();
    fd = ::open(path.c_str(), flags, 0644);
  }
  if (fd < 0) {
    const int err = errno;
    if (err == ELOOP) return errno_error(err, "refusing to write through the symbolic link '" + path + "'");
    return errno_error(err, "cannot open '" + path + "' for writing");
  }
  auto handle = std::make_shared<const FileHandle>(fd, true);
  pool_.put(file, handle);
  return handle;
}

Result<std::shared_ptr<const FileHandle>> FileStorage::open_for_read(FileIndex file) {
  if (auto cached = pool_.get(file, false)) return cached;
  const std::string& path = full_paths_[file.get()];
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    const int err = errno;
    if (is_absent_errno(err)) return std::shared_ptr<const FileHandle>();
    if (err == ELOOP) return errno_error(err, "refusing to read through the symbolic link '" + path + "'");
    return errno_error(err, "cannot open '" + path + "' for reading");
  }
  auto handle = std::make_shared<const FileHandle>(fd, false);
  pool_.put(file, handle);
  return handle;
}

Result<void> FileStorage::write_piece(PieceIndex piece, std::string_view data,
                                      std::optional<std::uint64_t> generation) {
  if (setup_error_) return *setup_error_;
  std::shared_lock no_removal(remove_mutex_);
  if (generation && *generation != removal_generation_.load())
    return Error(Errc::invalid_argument, "piece " + std::to_string(piece.get()) +
                                             " not written: the torrent's files are being deleted");
  const StorageLayout& layout = files_.layout;
  std::vector<FileSpan> spans;
  if (static_cast<std::int64_t>(data.size()) != layout.piece_size(piece) ||
      !layout.map_block(piece, 0, layout.piece_size(piece), spans))
    return Error(Errc::invalid_argument, "piece " + std::to_string(piece.get()) + " of " +
                                             std::to_string(data.size()) + " bytes does not fit the torrent");
  std::int64_t pos = 0;
  for (const FileSpan& span : spans) {
    if (!span.pad) {
      auto handle = open_for_write(span.file);
      if (!handle.ok()) return handle.error();
      auto written = write_all((*handle)->fd(), data.data() + pos, span.length, span.file_offset,
                               full_paths_[span.file.get()]);
      if (!written.ok()) return written;
      // A cached descriptor keeps a deleted file alive: bytes written there are lost, so a
      // file (or download dir) removed under a running torrent must be an error, not a success.
      struct stat st {};
      if (::fstat((*handle)->fd(), &st) == 0 && st.st_nlink == 0) {
        pool_.clear();
        return Error(std::make_error_code(std::errc::no_such_file_or_directory),
                     "'" + full_paths_[span.file.get()] + "' was deleted while the torrent was running");
      }
      std::lock_guard lock(written_mutex_);
      written_.insert(span.file.get());
    }
    pos += span.length;
  }
  // Each empty file belongs to the piece its offset falls in (the last one for a trailing file).
  const std::int64_t start = layout.piece_offset(piece);
  const std::int64_t end = start + layout.piece_size(piece);
  const bool last = piece.get() + 1 == layout.piece_count();
  for (FileIndex f : empty_files_) {
    const std::int64_t off = layout.file_offset(f);
    if (off >= start && (off < end || last) && !empty_file_skipped(f)) {
      auto handle = open_for_write(f);
      if (!handle.ok()) return handle.error();
    }
  }
  return {};
}

bool FileStorage::empty_file_skipped(FileIndex f) {
  std::lock_guard lock(skipped_mutex_);
  return f.get() < skipped_.size() && skipped_[f.get()];
}

void FileStorage::set_skipped_files(std::vector<bool> skipped) {
  std::lock_guard lock(skipped_mutex_);
  skipped_ = std::move(skipped);
}

PieceIndex FileStorage::anchor_piece(FileIndex f) const {
  const StorageLayout& layout = files_.layout;
  const std::int64_t p = layout.file_offset(f) / layout.piece_length();
  return PieceIndex{static_cast<std::uint32_t>(std::min<std::int64_t>(p, layout.piece_count() - 1))};
}

Result<void> FileStorage::create_wanted_empty_files(const Bitfield& have) {
  if (setup_error_) return *setup_error_;
  std::shared_lock no_removal(remove_mutex_);
  for (FileIndex f : empty_files_) {
    const PieceIndex anchor = anchor_piece(f);
    if (empty_file_skipped(f) || anchor.get() >= have.size() || !have.get(anchor)) continue;
    auto handle = open_for_write(f);
    if (!handle.ok()) return handle.error();
  }
  return {};
}

Result<void> FileStorage::read_spans(const std::vector<FileSpan>& spans, char* out,
                                     std::optional<FileIndex>& absent) {
  for (const FileSpan& span : spans) {
    if (span.pad) {
      std::memset(out, 0, static_cast<std::size_t>(span.length));
    } else {
      auto handle = open_for_read(span.file);
      if (!handle.ok()) return handle.error();
      if (!*handle) {
        absent = span.file;
        return {};
      }
      const std::int64_t got = read_all((*handle)->fd(), out, span.length, span.file_offset);
      if (got < 0)
        return errno_error(errno, "cannot read " + std::to_string(span.length) + " bytes at offset " +
                                      std::to_string(span.file_offset) + " of '" +
                                      full_paths_[span.file.get()] + "'");
      if (got < span.length) {
        absent = span.file;
        return {};
      }
    }
    out += span.length;
  }
  return {};
}

Result<std::string> FileStorage::read_block(PieceIndex piece, std::uint32_t begin, std::uint32_t length) {
  if (setup_error_) return *setup_error_;
  std::vector<FileSpan> spans;
  if (!files_.layout.map_block(piece, begin, length, spans))
    return Error(Errc::invalid_argument, "block at " + std::to_string(begin) + "+" + std::to_string(length) +
                                             " is outside piece " + std::to_string(piece.get()));
  auto whole = verified_piece(piece);
  if (!whole.ok()) return whole.error();
  return (*whole)->substr(begin, length);
}

Result<std::shared_ptr<const std::string>> FileStorage::read_verified_piece(PieceIndex piece) {
  if (setup_error_) return *setup_error_;
  if (piece.get() >= files_.layout.piece_count())
    return Error(Errc::invalid_argument, "no piece " + std::to_string(piece.get()));
  return verified_piece(piece);
}

Result<std::shared_ptr<const std::string>> FileStorage::verified_piece(PieceIndex piece) {
  {
    std::lock_guard lock(cache_mutex_);
    for (auto it = piece_cache_.begin(); it != piece_cache_.end(); ++it) {
      if (it->first != piece.get()) continue;
      auto hit = it->second;
      std::rotate(it, it + 1, piece_cache_.end());  // most recently used last
      return hit;
    }
  }
  const std::int64_t size = files_.layout.piece_size(piece);
  std::vector<FileSpan> spans;
  files_.layout.map_block(piece, 0, size, spans);
  std::string data(static_cast<std::size_t>(size), '\0');
  std::optional<FileIndex> absent;
  if (auto r = read_spans(spans, data.data(), absent); !r.ok()) return r.error();
  if (absent) {
    const std::string& path = full_paths_[absent->get()];
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      return errno_error(errno, "cannot read piece " + std::to_string(piece.get()) + " from '" + path + "'");
    return Error(std::make_error_code(std::errc::io_error),
                 "cannot read piece " + std::to_string(piece.get()) + ": '" + path + "' is " +
                     std::to_string(st.st_size) + " bytes, shorter than the torrent says");
  }
  if (!hash_matches(piece, data))
    return Error(Errc::data_corrupt, "piece " + std::to_string(piece.get()) +
                                         " on disk no longer matches its hash: its files were changed behind "
                                         "btd's back");
  auto verified = std::make_shared<const std::string>(std::move(data));
  std::lock_guard lock(cache_mutex_);
  piece_cache_.emplace_back(piece.get(), verified);
  piece_cache_bytes_ += verified->size();
  while (piece_cache_.size() > 1 && piece_cache_bytes_ > kPieceCacheBytes) {
    piece_cache_bytes_ -= piece_cache_.front().second->size();
    piece_cache_.erase(piece_cache_.begin());
  }
  return verified;
}

Result<FileStorage::PieceState> FileStorage::check_piece(PieceIndex piece, std::string& buffer) {
  if (setup_error_) return *setup_error_;
  const StorageLayout& layout = files_.layout;
  const std::int64_t size = layout.piece_size(piece);
  std::vector<FileSpan> spans;
  if (!layout.map_block(piece, 0, size, spans))
    return Error(Errc::invalid_argument, "no piece " + std::to_string(piece.get()));
  buffer.resize(static_cast<std::size_t>(size));
  std::optional<FileIndex> absent;
  if (auto r = read_spans(spans, buffer.data(), absent); !r.ok()) return r.error();
  if (absent) return PieceState::missing;
  return hash_matches(piece, buffer) ? PieceState::have : PieceState::missing;
}

Result<void> FileStorage::remove_files() {
  if (setup_error_) return *setup_error_;
  std::unique_lock exclusive(remove_mutex_);
  {
    std::lock_guard lock(cache_mutex_);
    piece_cache_.clear();
    piece_cache_bytes_ = 0;
  }
  pool_.clear();
  std::optional<Error> first_error;
  // Parent directories, relative to download_dir, deepest first.
  std::set<std::string, bool (*)(const std::string&, const std::string&)> dirs(
      [](const std::string& a, const std::string& b) {
        const auto da = std::count(a.begin(), a.end(), '/');
        const auto db = std::count(b.begin(), b.end(), '/');
        return da != db ? da > db : a < b;
      });
  for (std::size_t i = 0; i < full_paths_.size(); ++i) {
    if (files_.layout.is_pad(FileIndex{static_cast<std::uint32_t>(i)})) continue;
    const std::string& path = full_paths_[i];
    if (::unlink(path.c_str()) != 0 && !is_absent_errno(errno) && !first_error)
      first_error = errno_error(errno, "cannot delete '" + path + "'");
    const std::string& rel = files_.paths[i];
    for (std::size_t slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1))
      dirs.insert(rel.substr(0, slash));
  }
  const std::string base = full_paths_.empty() ? std::string()
                                               : full_paths_[0].substr(0, full_paths_[0].size() - files_.paths[0].size());
  for (const std::string& rel : dirs) {
    const std::string dir = base + rel;
    // Not empty means someone else's files are in there: keep it.
    if (::rmdir(dir.c_str()) != 0 && !is_absent_errno(errno) && errno != ENOTEMPTY && errno != EEXIST &&
        !first_error)
      first_error = errno_error(errno, "cannot delete directory '" + dir + "'");
  }
  if (first_error) return *first_error;
  return {};
}

Result<std::vector<FileStamp>> FileStorage::sync_and_stamp(bool sync) {
  if (setup_error_) return *setup_error_;
  if (sync) {
    std::set<std::uint32_t> files;
    {
      std::lock_guard lock(written_mutex_);
      files.swap(written_);
    }
    for (auto it = files.begin(); it != files.end(); ++it) {
      // fsync through any descriptor flushes the inode: a fresh one serves if the pool evicted
      // the handle that wrote.
      auto handle = open_for_read(FileIndex{*it});
      Result<void> synced;
      if (!handle.ok()) synced = handle.error();
      else if (*handle && ::fsync((*handle)->fd()) != 0)
        synced = errno_error(errno, "cannot sync '" + full_paths_[*it] + "'");
      if (!synced.ok()) {
        // Not synced: keep them (and the rest) for the next attempt.
        std::lock_guard lock(written_mutex_);
        written_.insert(it, files.end());
        return synced.error();
      }
    }
  }
  std::vector<FileStamp> stamps(full_paths_.size());
  for (std::size_t i = 0; i < full_paths_.size(); ++i) {
    if (files_.layout.is_pad(FileIndex{static_cast<std::uint32_t>(i)})) continue;
    struct stat st {};
    if (::lstat(full_paths_[i].c_str(), &st) != 0) {
      if (is_absent_errno(errno)) continue;
      return errno_error(errno, "cannot stat '" + full_paths_[i] + "'");
    }
    if (!S_ISREG(st.st_mode)) continue;  // a directory or link where a file goes holds no piece
    stamps[i] = {true, static_cast<std::int64_t>(st.st_size),
                 static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
  }
  return stamps;
}

}  // namespace btd::daemon
