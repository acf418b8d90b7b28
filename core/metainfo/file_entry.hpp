#pragma once
// One file of a torrent, as placed in the torrent's concatenated payload.
#include <cstdint>
#include <string>

namespace btd {

struct FileEntry {
  // Sanitized path relative to the download dir, '/' separated. Multi-file torrents:
  // "<name>/<components...>"; single-file torrents: "<name>".
  std::string path;
  std::int64_t size = 0;
  std::int64_t offset = 0;  // byte offset of the file in the torrent's concatenated payload
  // BEP 47 pad file: fills piece space with zeros and is never written to disk.
  bool pad = false;
  std::string attributes;  // BEP 47 attr string as given (e.g. "x", "h", "p")
};

}  // namespace btd
