#include "daemon/state_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>


namespace btd::daemon {
namespace {

Error io_error(const std::string& what, const std::string& path, int err) {
  return Error(Errc::io_error, what + " " + path + ": " + std::strerror(err));
}

Result<std::string> read_whole(const std::string& path, std::size_t max) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open", path, errno);
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return io_error("cannot read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max) {
      ::close(fd);
      return Error(Errc::limit_exceeded, path + " is larger than " + std::to_string(max) + " bytes");
    }
  }
  ::close(fd);
  return out;
}

}  // namespace

Result<void> write_file_durably(const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("cannot create", tmp, errno);
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return io_error("cannot write", tmp, err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return io_error("cannot fsync", tmp, err);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return io_error("cannot rename onto", path, err);
  }
  // The rename is durable only once the directory entry is.
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

Result<void> StateStore::save_torrent(const std::string& id, std::string_view torrent_bytes) const {
  return write_file_durably(dir_ + "/" + id + ".torrent", torrent_bytes);
}

Result<void> StateStore::save_resume(const std::string& id, const ResumeData& resume) const {
  return write_file_durably(dir_ + "/" + id + ".resume", encode_resume(resume));
}

Result<void> StateStore::save_magnet(const std::string& id, std::string_view magnet_uri) const {
  return write_file_durably(dir_ + "/" + id + ".magnet", magnet_uri);
}

Result<void> StateStore::remove(const std::string& id) const {
  for (const char* ext : {".torrent", ".resume", ".magnet"}) {
    const std::string path = dir_ + "/" + id + ext;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return io_error("cannot remove", path, errno);
  }
  return {};
}

std::vector<StoredTorrent> StateStore::load_all(std::vector<std::string>& problems) const {
  std::vector<StoredTorrent> out;
  std::error_code ec;
  std::vector<std::string> magnets;  // ids with a .magnet file
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() == 47 && name.substr(40) == ".magnet") magnets.push_back(name.substr(0, 40));
    if (name.size() != 48 || name.substr(40) != ".torrent") continue;
    StoredTorrent t;
    t.id = name.substr(0, 40);
    auto bytes = read_whole(entry.path().string(), 64u << 20);
    if (!bytes) {
      problems.push_back(bytes.error().message);
      continue;
    }
    t.torrent_bytes = std::move(*bytes);
    out.push_back(std::move(t));
  }
  for (const std::string& id : magnets) {
    auto uri = read_whole(dir_ + "/" + id + ".magnet", 64u << 10);
    if (!uri) {
      problems.push_back(uri.error().message);
      continue;
    }
    auto it = std::find_if(out.begin(), out.end(), [&](const StoredTorrent& st) { return st.id == id; });
    if (it == out.end()) {
      out.emplace_back();
      it = out.end() - 1;
      it->id = id;
    }
    it->magnet_uri = std::move(*uri);
  }
  for (StoredTorrent& t : out) {
    const std::string resume_path = dir_ + "/" + t.id + ".resume";
    if (auto settings = read_whole(resume_path, 64u << 20)) {
      if (auto resume = decode_resume(*settings)) {
        t.resume = std::move(*resume);
      } else {
        problems.push_back(resume_path + ": " + resume.error().message + "; the torrent's data will be re-checked");
      }
    } else {
      problems.push_back(settings.error().message + "; the torrent's data will be re-checked");
    }
  }
  return out;
}

}  // namespace btd::daemon
