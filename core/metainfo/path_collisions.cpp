#include "core/metainfo/path_collisions.hpp"

#include <algorithm>
#include <string_view>

#include "core/metainfo/file_path.hpp"

namespace btd {
namespace {

// Orders paths component by component: '/' sorts below every other byte. Then every path that
// lies inside directory P directly follows P itself, so comparing neighbours finds all clashes.
bool component_less(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] == b[i]) continue;
    if (a[i] == '/') return true;
    if (b[i] == '/') return false;
    return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
  }
  return a.size() < b.size();
}

}  // namespace

Result<void> check_path_collisions(const std::vector<FileEntry>& files) {
  std::vector<std::string_view> paths;
  paths.reserve(files.size());
  for (const FileEntry& f : files)
    if (!f.pad) paths.push_back(f.path);
  std::sort(paths.begin(), paths.end(), component_less);
  for (std::size_t i = 1; i < paths.size(); ++i) {
    const std::string_view prev = paths[i - 1];
    const std::string_view cur = paths[i];
    if (prev == cur)
      return Error(Errc::unsafe_path,
                   "two files collide after sanitizing: " + printable_path(cur));
    if (cur.size() > prev.size() && cur.starts_with(prev) && cur[prev.size()] == '/')
      return Error(Errc::unsafe_path, "file path is also a directory of another file: " +
                                          printable_path(prev) + " (and " +
                                          printable_path(cur) + ")");
  }
  return {};
}

}  // namespace btd
