#include "daemon/disk/memory_disk_io.hpp"

#include <algorithm>

#include "core/util/sha1.hpp"

namespace btd::daemon {

MemoryDiskIo::MemoryDiskIo(TorrentFiles files, Delivery delivery)
    : files_(std::move(files)), delivery_(delivery) {
  auto paths = resolve_paths(files_);
  if (paths.ok()) {
    full_paths_ = std::move(*paths);
  } else {
    setup_error_ = paths.error();
  }
}

void MemoryDiskIo::post(std::function<void()> op) {
  if (closed_) return;
  if (delivery_ == Delivery::immediate) {
    op();
  } else {
    queue_.push_back(std::move(op));
  }
}

std::size_t MemoryDiskIo::run_pending() {
  std::size_t ran = 0;
  while (!closed_ && !queue_.empty()) {
    auto op = std::move(queue_.front());
    queue_.pop_front();
    op();
    ++ran;
  }
  return ran;
}

void MemoryDiskIo::close() {
  closed_ = true;
  queue_.clear();
}

std::optional<Error> MemoryDiskIo::write_piece(PieceIndex piece, const std::string& data) {
  const StorageLayout& layout = files_.layout;
  std::vector<FileSpan> spans;
  layout.map_block(piece, 0, layout.piece_size(piece), spans);
  std::size_t pos = 0;
  for (const FileSpan& span : spans) {
    if (!span.pad) {
      std::string& file = data_[span.file.get()];
      versions_[span.file.get()] = ++clock_;
      const auto end = static_cast<std::size_t>(span.file_offset + span.length);
      if (file.size() < end) file.resize(end, '\0');
      std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(pos), span.length,
                  file.begin() + static_cast<std::ptrdiff_t>(span.file_offset));
    }
    pos += static_cast<std::size_t>(span.length);
  }
  // As FileStorage: an empty file is created with the piece its offset falls in.
  const std::int64_t start = layout.piece_offset(piece);
  const std::int64_t end = start + layout.piece_size(piece);
  const bool last = piece.get() + 1 == layout.piece_count();
  for (std::uint32_t i = 0; i < layout.file_count(); ++i) {
    const FileIndex f{i};
    const std::int64_t off = layout.file_offset(f);
    if (layout.file_size(f) == 0 && !layout.is_pad(f) && off >= start && (off < end || last)) data_[i];
  }
  return std::nullopt;
}

void MemoryDiskIo::verify_and_write(PieceIndex piece, std::string data,
                                    std::function<void(bool, std::optional<Error>)> done) {
  post([this, piece, data = std::move(data), done = std::move(done)] {
    if (setup_error_) return done(false, setup_error_);
    const StorageLayout& layout = files_.layout;
    if (piece.get() >= layout.piece_count() || sha1(data).view() != expected_hash(files_, piece))
      return done(false, std::nullopt);
    if (static_cast<std::int64_t>(data.size()) != layout.piece_size(piece))
      return done(false, Error(Errc::invalid_argument, "piece " + std::to_string(piece.get()) + " of " +
                                                           std::to_string(data.size()) +
                                                           " bytes does not fit the torrent"));
    if (write_failure_) return done(true, write_failure_);
    done(true, write_piece(piece, data));
  });
}

Result<std::string> MemoryDiskIo::read_range(PieceIndex piece, std::int64_t begin, std::int64_t length) const {
  std::vector<FileSpan> spans;
  if (!files_.layout.map_block(piece, begin, length, spans))
    return Error(Errc::invalid_argument, "block at " + std::to_string(begin) + "+" + std::to_string(length) +
                                             " is outside piece " + std::to_string(piece.get()));
  std::string out;
  out.reserve(static_cast<std::size_t>(length));
  for (const FileSpan& span : spans) {
    if (span.pad) {
      out.append(static_cast<std::size_t>(span.length), '\0');
      continue;
    }
    auto it = data_.find(span.file.get());
    if (it == data_.end())
      return Error(std::make_error_code(std::errc::no_such_file_or_directory),
                   "cannot read piece " + std::to_string(piece.get()) + " from '" + path_of(span.file) +
                       "': No such file or directory");
    if (static_cast<std::int64_t>(it->second.size()) < span.file_offset + span.length)
      return Error(std::make_error_code(std::errc::io_error),
                   "cannot read piece " + std::to_string(piece.get()) + ": '" + path_of(span.file) + "' is " +
                       std::to_string(it->second.size()) + " bytes, shorter than the torrent says");
    out.append(it->second, static_cast<std::size_t>(span.file_offset), static_cast<std::size_t>(span.length));
  }
  return out;
}

void MemoryDiskIo::read_block(PieceIndex piece, std::uint32_t begin, std::uint32_t length,
                              std::function<void(Result<std::string>)> done) {
  post([this, piece, begin, length, done = std::move(done)] {
    if (setup_error_) return done(*setup_error_);
    // As FileStorage: the whole piece is read and hashed, so changed bytes are never served.
    auto block = read_range(piece, begin, length);
    if (!block.ok()) return done(std::move(block));
    auto whole = read_range(piece, 0, files_.layout.piece_size(piece));
    if (!whole.ok()) return done(whole.error());
    if (sha1(*whole).view() != expected_hash(files_, piece))
      return done(Error(Errc::data_corrupt, "piece " + std::to_string(piece.get()) +
                                                " on disk no longer matches its hash: its files were changed"));
    done(std::move(block));
  });
}

void MemoryDiskIo::check(std::function<void(std::uint32_t)> progress, std::function<void(Result<Bitfield>)> done) {
  const std::uint32_t count = files_.layout.piece_count();
  std::vector<PieceRange> all;
  if (count > 0) all.push_back({0, count});
  check_pieces(Bitfield(count), std::move(all), std::move(progress), std::move(done));
}

void MemoryDiskIo::check_pieces(Bitfield known, std::vector<PieceRange> ranges,
                                std::function<void(std::uint32_t)> progress,
                                std::function<void(Result<Bitfield>)> done) {
  post([this, generation = check_generation_, known = std::move(known), ranges = std::move(ranges),
        progress = std::move(progress), done = std::move(done)]() mutable {
    if (generation != check_generation_) return;
    if (setup_error_) return done(*setup_error_);
    const StorageLayout& layout = files_.layout;
    Bitfield have = known.size() == layout.piece_count() ? std::move(known) : Bitfield(layout.piece_count());
    for (const PieceRange& r : ranges) {
      for (std::uint32_t p = r.first; p < r.last && p < layout.piece_count(); ++p) {
        auto data = read_range(PieceIndex{p}, 0, layout.piece_size(PieceIndex{p}));
        have.set(std::size_t{p}, data.ok() && sha1(*data).view() == expected_hash(files_, PieceIndex{p}));
      }
    }
    progress(layout.piece_count());
    if (closed_ || generation != check_generation_) return;
    done(std::move(have));
  });
}

void MemoryDiskIo::cancel_check() { ++check_generation_; }

void MemoryDiskIo::sync_and_stamp(bool, std::function<void(Result<std::vector<FileStamp>>)> done) {
  post([this, done = std::move(done)] {
    if (setup_error_) return done(*setup_error_);
    std::vector<FileStamp> stamps(files_.layout.file_count());
    for (const auto& [file, bytes] : data_)
      if (!files_.layout.is_pad(FileIndex{file}))
        stamps[file] = {true, static_cast<std::int64_t>(bytes.size()), versions_[file]};
    done(std::move(stamps));
  });
}

void MemoryDiskIo::remove_files(std::function<void(Result<void>)> done) {
  post([this, done = std::move(done)] {
    if (setup_error_) return done(*setup_error_);
    data_.clear();
    done(Result<void>());
  });
}

std::optional<std::string> MemoryDiskIo::file_data(FileIndex file) const {
  auto it = data_.find(file.get());
  if (it == data_.end()) return std::nullopt;
  return it->second;
}

void MemoryDiskIo::set_file_data(FileIndex file, std::optional<std::string> data) {
  versions_[file.get()] = ++clock_;
  if (data) {
    data_[file.get()] = std::move(*data);
  } else {
    data_.erase(file.get());
  }
}

std::unique_ptr<DiskIo> make_memory_disk_io(TorrentFiles files) {
  return std::make_unique<MemoryDiskIo>(std::move(files), MemoryDiskIo::Delivery::immediate);
}

}  // namespace btd::daemon
