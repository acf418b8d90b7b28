#include "daemon/disk/torrent_files.hpp"

#include <sys/stat.h>

#include <optional>
#include <set>
#include <string>

namespace btd::daemon {

namespace {

// Empty, ".", ".." and NUL-bearing components are what could move a path outside download_dir
// or onto something other than the file the torrent names.
std::optional<std::string> unsafe_reason(std::string_view rel) {
  if (rel.empty()) return "is empty";
  if (rel.front() == '/') return "is absolute";
  if (rel.find('\0') != std::string_view::npos) return "contains a NUL byte";
  std::size_t start = 0;
  while (start <= rel.size()) {
    std::size_t slash = rel.find('/', start);
    if (slash == std::string_view::npos) slash = rel.size();
    const std::string_view part = rel.substr(start, slash - start);
    if (part.empty()) return "has an empty component";
    if (part == "." || part == "..") return "has a '" + std::string(part) + "' component";
    start = slash + 1;
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<std::string>> resolve_paths(const TorrentFiles& files) {
  const StorageLayout& layout = files.layout;
  if (files.paths.size() != layout.file_count())
    return Error(Errc::invalid_argument, std::to_string(files.paths.size()) + " paths given for " +
                                             std::to_string(layout.file_count()) + " files");
  if (files.piece_hashes.size() != std::size_t{layout.piece_count()} * 20)
    return Error(Errc::invalid_argument, std::to_string(files.piece_hashes.size()) +
                                             " bytes of piece hashes for " +
                                             std::to_string(layout.piece_count()) + " pieces");
  if (files.download_dir.empty())
    return Error(Errc::invalid_argument, "no download directory given");
  std::string dir = files.download_dir;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::vector<std::string> out;
  out.reserve(files.paths.size());
  for (std::size_t i = 0; i < files.paths.size(); ++i) {
    if (auto why = unsafe_reason(files.paths[i]))
      return Error(Errc::unsafe_path, "path of file " + std::to_string(i) + " '" + files.paths[i] +
                                          "' " + *why + "; refusing to write outside '" + dir + "'");
    out.push_back(dir == "/" ? "/" + files.paths[i] : dir + "/" + files.paths[i]);
  }
  return out;
}

Result<void> check_no_symlinked_dirs(const TorrentFiles& files, const std::vector<std::string>& full_paths) {
  std::set<std::string> dirs;
  for (std::size_t i = 0; i < full_paths.size(); ++i) {
    const std::string& full = full_paths[i];
    const std::size_t base = full.size() - files.paths[i].size();  // where the relative part starts
    for (std::size_t slash = full.find('/', base); slash != std::string::npos; slash = full.find('/', slash + 1))
      dirs.insert(full.substr(0, slash));
  }
  for (const std::string& dir : dirs) {
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) continue;  // created later, by us, as a real directory
    if (S_ISLNK(st.st_mode))
      return Error(Errc::unsafe_path, "'" + dir + "' is a symbolic link: refusing to write the torrent's files "
                                      "through it (it could lead outside the download dir)");
    if (!S_ISDIR(st.st_mode))
      return Error(Errc::unsafe_path, "'" + dir + "' is not a directory, but the torrent needs a directory there");
  }
  return {};
}

std::string_view expected_hash(const TorrentFiles& files, PieceIndex piece) {
  return std::string_view(files.piece_hashes).substr(std::size_t{piece.get()} * 20, 20);
}

}  // namespace btd::daemon
