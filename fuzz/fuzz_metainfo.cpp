// libFuzzer target: core/metainfo parse_metainfo. A torrent that parses must describe a piece
// space that adds up (files contiguous, hashes for exactly ceil(total / piece length) pieces,
// every bound respected), with paths that stay inside the download dir, and its info dict must
// parse alone (as fetched for a magnet link) to the same torrent.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/metainfo/metainfo.hpp"
#include "core/util/sha1.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

void check_path(std::string_view path) {
  FUZZ_CHECK(!path.empty());
  FUZZ_CHECK(path.front() != '/');
  FUZZ_CHECK(path.find('\0') == std::string_view::npos);
  FUZZ_CHECK(path.find('\\') == std::string_view::npos);
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view component = path.substr(start, end - start);
    FUZZ_CHECK(!component.empty());
    FUZZ_CHECK(component != "." && component != "..");
    start = end + 1;
  }
}

void check(const btd::Metainfo& m) {
  FUZZ_CHECK(m.piece_length > 0 && m.piece_length <= btd::kMaxPieceLength);
  FUZZ_CHECK(m.total_size > 0 && m.total_size <= btd::kMaxTotalSize);
  FUZZ_CHECK(m.piece_count > 0 && m.piece_count <= btd::kMaxPieceCount);
  FUZZ_CHECK(m.piece_hashes.size() == std::size_t{m.piece_count} * btd::Sha1Digest::kSize);
  FUZZ_CHECK((m.total_size + m.piece_length - 1) / m.piece_length == m.piece_count);
  const btd::PieceIndex last(m.piece_count - 1);
  FUZZ_CHECK(m.piece_size(last) > 0 && m.piece_size(last) <= m.piece_length);
  FUZZ_CHECK(m.piece_size(btd::PieceIndex(m.piece_count)) == 0);

  FUZZ_CHECK(!m.name.empty());
  check_path(m.name);
  FUZZ_CHECK(m.name.find('/') == std::string::npos);
  FUZZ_CHECK(!m.files.empty());
  FUZZ_CHECK(m.multi_file || m.files.size() == 1);
  std::int64_t offset = 0;
  for (const btd::FileEntry& f : m.files) {
    FUZZ_CHECK(f.size >= 0);
    FUZZ_CHECK(f.offset == offset);
    offset += f.size;
    check_path(f.path);
    if (m.multi_file) {
      FUZZ_CHECK(f.path.size() > m.name.size() + 1);
      FUZZ_CHECK(f.path.starts_with(m.name) && f.path[m.name.size()] == '/');
    } else {
      FUZZ_CHECK(f.path == m.name);
      FUZZ_CHECK(!f.pad);
    }
  }
  FUZZ_CHECK(offset == m.total_size);

  FUZZ_CHECK(!m.info_bytes.empty());
  FUZZ_CHECK(btd::sha1(m.info_bytes) == m.info_hash);
  for (const auto& tier : m.trackers) {
    FUZZ_CHECK(!tier.empty());
    for (const auto& url : tier) FUZZ_CHECK(!url.empty());
  }
  for (const auto& url : m.url_list) FUZZ_CHECK(!url.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto m = btd::parse_metainfo(btd::fuzz::as_view(data, size));
  if (!m) {
    FUZZ_CHECK(!m.error().message.empty());
    return 0;
  }
  check(*m);

  auto info = btd::parse_info_dict(m->info_bytes);
  FUZZ_CHECK(info);
  check(*info);
  FUZZ_CHECK(info->info_hash == m->info_hash);
  FUZZ_CHECK(info->name == m->name);
  FUZZ_CHECK(info->piece_hashes == m->piece_hashes);
  FUZZ_CHECK(info->total_size == m->total_size);
  FUZZ_CHECK(info->files.size() == m->files.size());
  for (std::size_t i = 0; i < m->files.size(); ++i) {
    FUZZ_CHECK(info->files[i].path == m->files[i].path);
    FUZZ_CHECK(info->files[i].size == m->files[i].size);
    FUZZ_CHECK(info->files[i].pad == m->files[i].pad);
  }
  FUZZ_CHECK(info->trackers.empty() && info->url_list.empty());
  return 0;
}
