#include "daemon/disk/torrent_files.hpp"

#include <doctest/doctest.h>

using namespace btd;
using namespace btd::daemon;

namespace {

TorrentFiles two_files(std::string dir, std::string a, std::string b) {
  auto layout = StorageLayout::create({{10, false}, {6, false}}, 8);
  REQUIRE(layout.ok());
  return TorrentFiles{std::move(dir), {std::move(a), std::move(b)}, *layout, std::string(40, 'h')};
}

}  // namespace

TEST_CASE("resolve_paths joins download dir and relative paths") {
  auto paths = resolve_paths(two_files("/dl/", "t/a", "t/sub/b"));
  REQUIRE(paths.ok());
  CHECK(*paths == std::vector<std::string>{"/dl/t/a", "/dl/t/sub/b"});
}

TEST_CASE("resolve_paths refuses paths that could leave the download dir") {
  for (const char* bad : {"../x", "t/../../x", "/etc/passwd", "t//x", "t/./x", "", "t/.."}) {
    CAPTURE(bad);
    auto paths = resolve_paths(two_files("/dl", "t/a", bad));
    REQUIRE_FALSE(paths.ok());
    CHECK(paths.error().is(Errc::unsafe_path));
    CHECK(paths.error().message.find("file 1") != std::string::npos);
  }
}

TEST_CASE("resolve_paths checks counts against the layout") {
  auto files = two_files("/dl", "a", "b");
  files.paths.pop_back();
  CHECK(resolve_paths(files).error().message.find("1 paths given for 2 files") != std::string::npos);
  files = two_files("/dl", "a", "b");
  files.piece_hashes.resize(39);
  CHECK(resolve_paths(files).error().message.find("39 bytes of piece hashes for 2 pieces") != std::string::npos);
}

TEST_CASE("expected_hash slices 20 bytes per piece") {
  auto files = two_files("/dl", "a", "b");
  files.piece_hashes = std::string(20, 'x') + std::string(20, 'y');
  CHECK(expected_hash(files, PieceIndex{1}) == std::string(20, 'y'));
}
