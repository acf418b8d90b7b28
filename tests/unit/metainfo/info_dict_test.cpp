// Info dict rules, exercised through parse_info_dict (the bytes a magnet link fetches).
#include "core/metainfo/info_dict.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "core/bencode/value.hpp"
#include "tests/unit/metainfo/torrent_fixture.hpp"

using namespace btd;
using namespace btd::fixture;
using bencode::Dict;
using bencode::List;
using namespace std::string_literals;

namespace {

Result<Metainfo> parse(const Dict& info) { return parse_info_dict(bencode::encode(info)); }

Error refusal(const Dict& info) {
  auto r = parse(info);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

// Message of a refusal with the expected code.
std::string refusal(const Dict& info, Errc code) {
  Error e = refusal(info);
  CHECK_MESSAGE(e.is(code), e.message);
  return e.message;
}

Dict with(Dict d, const std::string& key, bencode::Value v) {
  d[key] = std::move(v);
  return d;
}

Dict without(Dict d, const std::string& key) {
  d.erase(key);
  return d;
}

}  // namespace

TEST_CASE("single-file torrent") {
  const Dict info = single_info(100, "file.bin");
  const std::string bytes = bencode::encode(info);
  auto m = parse_info_dict(bytes);
  REQUIRE(m.ok());
  CHECK_FALSE(m->multi_file);
  CHECK(m->name == "file.bin");
  CHECK(m->piece_length == 16384);
  CHECK(m->piece_count == 1);
  CHECK(m->total_size == 100);
  REQUIRE(m->files.size() == 1);
  CHECK(m->files[0].path == "file.bin");
  CHECK(m->files[0].size == 100);
  CHECK(m->files[0].offset == 0);
  CHECK_FALSE(m->files[0].pad);
  CHECK(m->info_bytes == bytes);
  CHECK(m->info_hash == sha1(bytes));
  CHECK(m->piece_size(PieceIndex{0}) == 100);
  CHECK(m->warnings.empty());
  CHECK_FALSE(m->is_private);
  CHECK_FALSE(m->hybrid);
}

TEST_CASE("multi-file torrent: paths, offsets and a short last piece") {
  const Dict info = multi_info({file(100, path({"a.txt"})), file(0, path({"empty"})),
                                file(2 * kPiece, path({"sub", "b.bin"})),
                                file(5, path({"sub", "deeper", "c"}))},
                               "dir");
  auto m = parse(info);
  REQUIRE(m.ok());
  CHECK(m->multi_file);
  CHECK(m->name == "dir");
  REQUIRE(m->files.size() == 4);
  CHECK(m->files[0].path == "dir/a.txt");
  CHECK(m->files[1].path == "dir/empty");
  CHECK(m->files[2].path == "dir/sub/b.bin");
  CHECK(m->files[3].path == "dir/sub/deeper/c");
  CHECK(m->files[0].offset == 0);
  CHECK(m->files[1].offset == 100);
  CHECK(m->files[2].offset == 100);
  CHECK(m->files[3].offset == 100 + 2 * kPiece);
  CHECK(m->files[3].size == 5);
  CHECK(m->total_size == 2 * kPiece + 105);
  REQUIRE(m->piece_count == 3);
  CHECK(m->piece_size(PieceIndex{0}) == kPiece);
  CHECK(m->piece_size(PieceIndex{1}) == kPiece);
  CHECK(m->piece_size(PieceIndex{2}) == 105);
  CHECK(m->piece_size(PieceIndex{3}) == 0);
  CHECK(m->piece_hash(PieceIndex{0}).view() == std::string(20, '\x01'));
  CHECK(m->piece_hash(PieceIndex{2}).view() == std::string(20, '\x03'));
  CHECK(m->piece_hash(PieceIndex{3}) == Sha1Digest{});
}

TEST_CASE("a total that is an exact multiple of the piece length has a full last piece") {
  auto m = parse(single_info(2 * kPiece));
  REQUIRE(m.ok());
  CHECK(m->piece_count == 2);
  CHECK(m->piece_size(PieceIndex{1}) == kPiece);
}

TEST_CASE("BEP 47 pad files and attributes") {
  const Dict info = multi_info({file(100, path({"a"}), "x"), file(kPiece - 100, path({".pad", "16284"}), "p"),
                                file(10, path({"b"}), "h"), file(kPiece - 10, path({".pad", "16374"})),
                                file(7, path({"c"})), file(3, path({"odd pad"}), "xp")});
  auto m = parse(info);
  REQUIRE(m.ok());
  REQUIRE(m->files.size() == 6);
  CHECK_FALSE(m->files[0].pad);
  CHECK(m->files[0].attributes == "x");
  CHECK(m->files[1].pad);
  CHECK(m->files[1].attributes == "p");
  CHECK(m->files[1].offset == 100);
  CHECK(m->files[2].offset == kPiece);  // the pad aligned b to a piece boundary
  CHECK_FALSE(m->files[2].pad);
  CHECK(m->files[2].attributes == "h");
  CHECK(m->files[3].pad);  // libtorrent's ".pad/N" naming without an attr
  CHECK(m->files[3].attributes.empty());
  CHECK(m->files[4].offset == 2 * kPiece);
  CHECK(m->files[5].pad);
  CHECK(m->total_size == 2 * kPiece + 10);  // pad files are part of the piece space
  CHECK(m->piece_count == 3);
}

TEST_CASE("pad files with the same path do not collide") {
  auto m = parse(multi_info({file(100, path({"a"})), file(kPiece - 100, path({".pad", "x"}), "p"),
                             file(100, path({"b"})), file(kPiece - 100, path({".pad", "x"}), "p"),
                             file(1, path({"c"}))}));
  REQUIRE(m.ok());
  CHECK(m->files.size() == 5);
}

TEST_CASE("name rules") {
  CHECK(refusal(without(single_info(), "name"), Errc::invalid_metainfo) == "info.name is missing");
  CHECK(refusal(with(single_info(), "name", 5), Errc::invalid_metainfo) == "info.name is not a string");
  CHECK(refusal(with(single_info(), "name", ""), Errc::invalid_metainfo) == "info.name is empty");
  CHECK(refusal(with(single_info(), "name", ".."), Errc::unsafe_path) ==
        "info.name: file path escapes download dir: ..");
  CHECK(refusal(with(single_info(), "name", "/etc/passwd"), Errc::unsafe_path) ==
        "info.name: file path is absolute: /etc/passwd");
  CHECK(refusal(with(single_info(), "name", "a\0b"s), Errc::unsafe_path) ==
        "info.name: file path contains a NUL byte: a\\x00b");
  CHECK(contains(refusal(with(single_info(), "name", "."), Errc::unsafe_path),
                 "does not name a file"));
  // Multi-file: the name is the top directory, the same rules apply.
  CHECK(refusal(with(multi_info({file(1, path({"a"}))}), "name", ".."), Errc::unsafe_path) ==
        "info.name: file path escapes download dir: ..");

  auto slash = parse(with(single_info(), "name", "a/b\\c\x01"));
  REQUIRE(slash.ok());
  CHECK(slash->name == "a_b_c_");
  CHECK(slash->files[0].path == "a_b_c_");
}

TEST_CASE("name.utf-8 is preferred when it is valid UTF-8") {
  auto m = parse(with(single_info(100, "caf\xe9"), "name.utf-8", "caf\xc3\xa9"));
  REQUIRE(m.ok());
  CHECK(m->name == "caf\xc3\xa9");
  auto bad = parse(with(single_info(100, "plain"), "name.utf-8", "caf\xe9"));
  REQUIRE(bad.ok());
  CHECK(bad->name == "plain");
  auto multi = parse(with(multi_info({file(1, path({"f"}))}, "x"), "name.utf-8", "y"));
  REQUIRE(multi.ok());
  CHECK(multi->files[0].path == "y/f");
  // name.utf-8 is checked for traversal like name.
  CHECK(refusal(with(single_info(), "name.utf-8", ".."), Errc::unsafe_path) ==
        "info.name: file path escapes download dir: ..");
}

TEST_CASE("the name is capped at 240 bytes") {
  auto m = parse(single_info(100, std::string(300, 'n') + ".iso"));
  REQUIRE(m.ok());
  CHECK(m->name == std::string(236, 'n') + ".iso");
}

TEST_CASE("piece length rules") {
  CHECK(refusal(without(single_info(), "piece length"), Errc::invalid_metainfo) ==
        "info.piece length is missing");
  CHECK(refusal(with(single_info(), "piece length", "16384"), Errc::invalid_metainfo) ==
        "info.piece length is not an integer");
  CHECK(refusal(with(single_info(), "piece length", 0), Errc::invalid_metainfo) ==
        "info.piece length 0 must be positive");
  CHECK(refusal(with(single_info(), "piece length", -16384), Errc::invalid_metainfo) ==
        "info.piece length -16384 must be positive");
  CHECK(refusal(with(single_info(), "piece length", std::int64_t{1} << 40), Errc::invalid_metainfo) ==
        "info.piece length 1099511627776 is larger than the 512 MiB limit");
  CHECK(contains(refusal(single_info(100, "f", kMaxPieceLength + 1), Errc::invalid_metainfo),
                 "larger than the 512 MiB limit"));
  auto max = parse(single_info(100, "f", kMaxPieceLength));
  REQUIRE(max.ok());
  CHECK(max->warnings.empty());
}

TEST_CASE("odd piece lengths are accepted with a warning") {
  auto odd = parse(single_info(100000, "f", 30000));
  REQUIRE(odd.ok());
  REQUIRE(odd->warnings.size() == 1);
  CHECK(odd->warnings[0] == "info.piece length 30000 is not a power of two");
  CHECK(odd->piece_count == 4);
  CHECK(odd->piece_size(PieceIndex{3}) == 10000);

  auto small = parse(single_info(100000, "f", 8192));
  REQUIRE(small.ok());
  REQUIRE(small->warnings.size() == 1);
  CHECK(small->warnings[0] == "info.piece length 8192 is smaller than 16 KiB");

  auto both = parse(single_info(100, "f", 1000));
  REQUIRE(both.ok());
  CHECK(both->warnings.size() == 2);
}

TEST_CASE("pieces rules") {
  CHECK(refusal(without(single_info(), "pieces"), Errc::invalid_metainfo) == "info.pieces is missing");
  CHECK(refusal(with(single_info(), "pieces", 20), Errc::invalid_metainfo) ==
        "info.pieces is not a string");
  CHECK(refusal(with(single_info(), "pieces", std::string(41, 'h')), Errc::invalid_metainfo) ==
        "info.pieces length 41 is not a multiple of 20");
  CHECK(refusal(with(single_info(), "pieces", std::string(19, 'h')), Errc::invalid_metainfo) ==
        "info.pieces length 19 is not a multiple of 20");
  CHECK(refusal(with(single_info(100), "pieces", hashes(2)), Errc::invalid_metainfo) ==
        "info.pieces lists 2 piece hashes, but 100 bytes in 16384-byte pieces make 1");
  CHECK(refusal(with(single_info(3 * kPiece + 1), "pieces", hashes(3)), Errc::invalid_metainfo) ==
        "info.pieces lists 3 piece hashes, but 49153 bytes in 16384-byte pieces make 4");
  CHECK(refusal(with(single_info(100), "pieces", ""), Errc::invalid_metainfo) ==
        "info.pieces lists 0 piece hashes, but 100 bytes in 16384-byte pieces make 1");
}

TEST_CASE("more than 2^21 pieces is refused") {
  const std::int64_t too_many = std::int64_t{kMaxPieceCount} + 1;
  // Sizes that need too many pieces are refused before the hashes are looked at, so a hostile
  // torrent cannot make us copy a huge pieces string.
  Error e = refusal(with(single_info(1, "f"), "length", too_many * kPiece));
  CHECK(e.is(Errc::limit_exceeded));
  CHECK(e.message == "torrent of 34359754752 bytes in 16384-byte pieces needs 2097153 pieces, "
                     "more than the limit of 2097152");
  // A pieces string that really lists 2^21 + 1 hashes (42 MB) is refused as well.
  Error listed = refusal(with(with(single_info(1, "f"), "length", too_many * kPiece), "pieces",
                              std::string(static_cast<std::size_t>(too_many) * 20, 'h')));
  CHECK(listed.is(Errc::limit_exceeded));
  CHECK(listed.message == "info.pieces lists 2097153 pieces, more than the limit of 2097152");
}

TEST_CASE("exactly 2^21 pieces is accepted") {
  const std::int64_t count = kMaxPieceCount;
  auto m = parse(with(with(single_info(1, "f"), "length", count * kPiece), "pieces",
                      std::string(static_cast<std::size_t>(count) * 20, 'h')));
  REQUIRE(m.ok());
  CHECK(m->piece_count == kMaxPieceCount);
  CHECK(m->piece_size(PieceIndex{kMaxPieceCount - 1}) == kPiece);
}

TEST_CASE("file length rules") {
  CHECK(refusal(without(single_info(), "length"), Errc::invalid_metainfo) == "info.length is missing");
  CHECK(refusal(with(single_info(), "length", "100"), Errc::invalid_metainfo) ==
        "info.length is not an integer");
  CHECK(refusal(with(single_info(), "length", -1), Errc::invalid_metainfo) ==
        "info.length -1 is negative");
  CHECK(refusal(with(single_info(), "length", 0), Errc::invalid_metainfo) ==
        "torrent has no data: its files are all empty");
  CHECK(refusal(multi_info({file(0, path({"a"})), file(0, path({"b"}))}), Errc::invalid_metainfo) ==
        "torrent has no data: its files are all empty");
  CHECK(refusal(multi_info({file(1, path({"a"})), file(-1, path({"b"}))}), Errc::invalid_metainfo) ==
        "info.files[1].length -1 is negative");
  CHECK(refusal(with(multi_info({file(1, path({"a"}))}), "files", List{Dict{{"path", path({"a"})}}}),
                Errc::invalid_metainfo) == "info.files[0].length is missing");
}

TEST_CASE("a torrent claiming 2^63-1 bytes is refused") {
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  CHECK(refusal(with(single_info(), "length", max), Errc::invalid_metainfo) ==
        "info.length 9223372036854775807 overflows the torrent's total size (limit 2^62 bytes)");
  const Dict multi{{"files", List{file(max, path({"a"}))}},
                   {"name", "d"},
                   {"piece length", kPiece},
                   {"pieces", hashes(1)}};
  CHECK(refusal(multi, Errc::invalid_metainfo) ==
        "info.files[0].length 9223372036854775807 overflows the torrent's total size (limit 2^62 bytes)");
}

TEST_CASE("file lengths whose sum overflows are refused before adding") {
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  // Built by hand: the fixture would itself overflow summing these.
  const Dict wraps{{"files", List{file(max - 10, path({"a"})), file(20, path({"b"}))}},
                   {"name", "d"},
                   {"piece length", kPiece},
                   {"pieces", hashes(1)}};
  CHECK(contains(refusal(wraps, Errc::invalid_metainfo), "overflows"));
  // Each length alone is within bounds, the sum is not.
  const std::int64_t half = std::int64_t{1} << 61;
  const Dict big{{"files", List{file(half, path({"a"})), file(half, path({"b"})), file(1, path({"c"}))}},
                 {"name", "d"},
                 {"piece length", kPiece},
                 {"pieces", hashes(1)}};
  CHECK(refusal(big, Errc::invalid_metainfo) ==
        "info.files[2].length 1 overflows the torrent's total size (limit 2^62 bytes)");
  // Within the size bound but needing far too many pieces.
  const Dict huge{{"files", List{file(half, path({"a"})), file(half, path({"b"}))}},
                  {"name", "d"},
                  {"piece length", kMaxPieceLength},
                  {"pieces", hashes(1)}};
  CHECK(refusal(huge).is(Errc::limit_exceeded));
}

TEST_CASE("files list structure") {
  const Dict base = multi_info({file(1, path({"a"}))});
  CHECK(refusal(with(base, "files", "a"), Errc::invalid_metainfo) == "info.files is not a list");
  CHECK(refusal(with(base, "files", List{}), Errc::invalid_metainfo) == "info.files is empty");
  CHECK(refusal(with(base, "files", List{5}), Errc::invalid_metainfo) == "info.files[0] is not a dict");
  CHECK(refusal(with(base, "files", List{Dict{{"length", 1}}}), Errc::invalid_metainfo) ==
        "info.files[0].path is missing");
  CHECK(refusal(with(base, "files", List{Dict{{"length", 1}, {"path", "a"}}}), Errc::invalid_metainfo) ==
        "info.files[0].path is not a list");
  CHECK(refusal(with(base, "files", List{file(1, List{})}), Errc::invalid_metainfo) ==
        "info.files[0].path is empty");
  CHECK(refusal(with(base, "files", List{file(0, path({"ok"})), file(1, List{"a", 7})}),
                Errc::invalid_metainfo) == "info.files[1].path[1] is not a string");
}

TEST_CASE("path.utf-8 is preferred when it is a list of strings") {
  Dict f = file(1, path({"legacy"}));
  f["path.utf-8"] = path({"sub", "unicode"});
  auto m = parse(multi_info({f}));
  REQUIRE(m.ok());
  CHECK(m->files[0].path == "dir/sub/unicode");

  Dict broken = file(1, path({"legacy"}));
  broken["path.utf-8"] = List{"sub", 3};
  auto fallback = parse(multi_info({broken}));
  REQUIRE(fallback.ok());
  CHECK(fallback->files[0].path == "dir/legacy");

  Dict evil = file(1, path({"fine"}));
  evil["path.utf-8"] = path({"..", "x"});
  CHECK(contains(refusal(multi_info({evil}), Errc::unsafe_path), "escapes download dir: ../x"));
}

TEST_CASE("every traversal form in a file path is refused") {
  CHECK(refusal(multi_info({file(1, path({"ok"})), file(1, path({"..", "..", "etc", "passwd"}))}),
                Errc::unsafe_path) ==
        "file path escapes download dir: ../../etc/passwd (info.files[1].path)");
  CHECK(refusal(multi_info({file(1, path({"a", "..", "b"}))}), Errc::unsafe_path) ==
        "file path escapes download dir: a/../b (info.files[0].path)");
  CHECK(refusal(multi_info({file(1, path({"", "etc", "passwd"}))}), Errc::unsafe_path) ==
        "file path is absolute: /etc/passwd (info.files[0].path)");
  CHECK(refusal(multi_info({file(1, path({"/etc", "passwd"}))}), Errc::unsafe_path) ==
        "file path is absolute: /etc/passwd (info.files[0].path)");
  CHECK(refusal(multi_info({file(1, path({"a\0.txt"s}))}), Errc::unsafe_path) ==
        "file path contains a NUL byte: a\\x00.txt (info.files[0].path)");
  CHECK(refusal(multi_info({file(1, path({"."}))}), Errc::unsafe_path) ==
        "file path has no usable component: . (info.files[0].path)");
  // Pad files are checked too: a crafted pad path is a crafted torrent.
  CHECK(refusal(multi_info({file(1, path({"..", "pad"}), "p")}), Errc::unsafe_path) ==
        "file path escapes download dir: ../pad (info.files[0].path)");
}

TEST_CASE("file path components are sanitized") {
  auto m = parse(multi_info({file(1, path({"a\x01", "b\xff"})), file(1, path({".", "c", "", "d"})),
                             file(1, path({"x/y", "z\\w"})), file(1, path({"bidi\xe2\x80\xae" "txt"})),
                             file(1, path({std::string(300, 'q') + ".mkv"}))}));
  REQUIRE(m.ok());
  CHECK(m->files[0].path == "dir/a_/b_");
  CHECK(m->files[1].path == "dir/c/d");
  CHECK(m->files[2].path == "dir/x_y/z_w");
  CHECK(m->files[3].path == "dir/bidi_txt");
  CHECK(m->files[4].path == "dir/" + std::string(236, 'q') + ".mkv");
}

TEST_CASE("files that collide after sanitizing are refused") {
  CHECK(refusal(multi_info({file(1, path({"a\x01"})), file(1, path({"a_"}))}), Errc::unsafe_path) ==
        "two files collide after sanitizing: dir/a_");
  CHECK(refusal(multi_info({file(1, path({"x/y"})), file(1, path({"x_y"}))}), Errc::unsafe_path) ==
        "two files collide after sanitizing: dir/x_y");
  CHECK(refusal(multi_info({file(1, path({".", "a"})), file(1, path({"a"}))}), Errc::unsafe_path) ==
        "two files collide after sanitizing: dir/a");
  CHECK(refusal(multi_info({file(1, path({"same"})), file(1, path({"same"}))}), Errc::unsafe_path) ==
        "two files collide after sanitizing: dir/same");
  // Cut to 240 bytes, two long names become one.
  CHECK(refusal(multi_info({file(1, path({std::string(300, 'q') + "1"})),
                            file(1, path({std::string(300, 'q') + "2"}))}),
                Errc::unsafe_path) == "two files collide after sanitizing: dir/" + std::string(240, 'q'));
  CHECK(refusal(multi_info({file(1, path({"a", "b"})), file(1, path({"a", "b", "c"}))}), Errc::unsafe_path) ==
        "file path is also a directory of another file: dir/a/b (and dir/a/b/c)");
}

TEST_CASE("v2-only torrents are unsupported, hybrids parse their v1 part") {
  const Dict v2{{"file tree", Dict{{"a", Dict{{"", Dict{{"length", 5}, {"pieces root", std::string(32, 'r')}}}}}}},
                {"meta version", 2},
                {"name", "v2"},
                {"piece length", kPiece}};
  Error e = refusal(v2);
  CHECK(e.is(Errc::unsupported_metainfo));
  CHECK(contains(e.message, "v2-only torrents (BEP 52) are not supported"));

  CHECK(refusal(with(without(v2, "file tree"), "meta version", 3), Errc::unsupported_metainfo) ==
        "info.meta version 3 is not supported");

  Dict hybrid = single_info(100, "h");
  hybrid["meta version"] = 2;
  hybrid["file tree"] = v2.at("file tree");
  auto h = parse(hybrid);
  REQUIRE(h.ok());
  CHECK(h->hybrid);
  CHECK(h->total_size == 100);

  auto v1 = parse(with(single_info(), "meta version", 1));
  REQUIRE(v1.ok());
  CHECK_FALSE(v1->hybrid);
}

TEST_CASE("private flag") {
  CHECK(parse(with(single_info(), "private", 1))->is_private);
  CHECK_FALSE(parse(with(single_info(), "private", 0))->is_private);
  CHECK_FALSE(parse(with(single_info(), "private", 2))->is_private);
  CHECK_FALSE(parse(with(single_info(), "private", "1"))->is_private);
}

TEST_CASE("parse_info_dict input checks") {
  auto not_dict = parse_info_dict("li1ee");
  REQUIRE_FALSE(not_dict.ok());
  CHECK(not_dict.error().is(Errc::invalid_metainfo));
  CHECK(not_dict.error().message == "info is not a dict");

  const std::string good = bencode::encode(single_info());
  auto trailing = parse_info_dict(good + "x");
  REQUIRE_FALSE(trailing.ok());
  CHECK(trailing.error().is(Errc::bencode_syntax));
  CHECK(contains(trailing.error().message, "invalid info dict: "));

  auto big = parse_info_dict(std::string(kMaxTorrentFileBytes + 1, 'd'));
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().is(Errc::limit_exceeded));
  CHECK(big.error().message == "info dict of 67108865 bytes is larger than the 64 MiB limit");
}
