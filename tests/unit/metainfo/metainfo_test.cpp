#include "core/metainfo/metainfo.hpp"

#include <doctest/doctest.h>

#include <string>

#include "core/bencode/value.hpp"
#include "tests/unit/metainfo/torrent_fixture.hpp"

using namespace btd;
using namespace btd::fixture;
using bencode::Dict;
using bencode::List;
using namespace std::string_literals;

namespace {

Error refusal(std::string_view bytes) {
  auto r = parse_metainfo(bytes);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

using Tiers = std::vector<std::vector<std::string>>;

Tiers trackers_of(Dict root) {
  auto m = parse_metainfo(torrent(single_info(), std::move(root)));
  REQUIRE(m.ok());
  return m->trackers;
}

std::vector<std::string> web_seeds_of(bencode::Value url_list) {
  auto m = parse_metainfo(torrent(single_info(), Dict{{"url-list", std::move(url_list)}}));
  REQUIRE(m.ok());
  return m->url_list;
}

}  // namespace

TEST_CASE("a complete single-file torrent") {
  auto m = parse_metainfo(torrent(single_info(100, "file.bin"),
                                  Dict{{"announce", "http://t.example/a"},
                                       {"comment", "hello"},
                                       {"created by", "mktorrent 1.1"},
                                       {"creation date", 1700000000}}));
  REQUIRE(m.ok());
  CHECK(m->name == "file.bin");
  CHECK(m->total_size == 100);
  CHECK(m->trackers == Tiers{{"http://t.example/a"}});
  CHECK(m->comment == "hello");
  CHECK(m->created_by == "mktorrent 1.1");
  CHECK(m->creation_date == 1700000000);
  CHECK(m->url_list.empty());
  CHECK(m->info_bytes == bencode::encode(single_info(100, "file.bin")));
}

TEST_CASE("the info-hash is the SHA-1 of the info dict's original bytes") {
  // Written by hand: an unknown key with nested values inside info, and keys around info at the
  // root. A parser that re-encoded what it understood would hash different bytes.
  const std::string info =
      "d6:lengthi100e4:name8:file.bin12:piece lengthi16384e6:pieces20:" + std::string(20, 'P') +
      "6:sourced4:listli1e0:i-3ee4:nest1:ve7:x-extra3:\x00\xff\x01" "e"s;
  const std::string file = "d8:announce18:http://t.example/a4:info" + info + "3:zzzi1ee";
  auto m = parse_metainfo(file);
  REQUIRE_MESSAGE(m.ok(), m.error().message);
  CHECK(m->info_bytes == info);
  CHECK(m->info_hash == sha1(info));
  // Digest computed independently (Python hashlib), so the test does not only compare the
  // code with itself.
  CHECK(m->info_hash.hex() == "27d6bf72dea9b8a2b8186418525554081c5be747");
  CHECK(m->info_hash != sha1(bencode::encode(single_info(100, "file.bin"))));
  CHECK(m->piece_hash(PieceIndex{0}).view() == std::string(20, 'P'));

  auto bare = parse_info_dict(info);
  REQUIRE(bare.ok());
  CHECK(bare->info_hash == m->info_hash);
  CHECK(bare->trackers.empty());
}

TEST_CASE("announce-list tiers (BEP 12)") {
  const Tiers tiers = trackers_of(Dict{
      {"announce", "http://ignored/announce"},
      {"announce-list", List{List{"http://a", "http://b", "http://a"}, List{"http://c"}, List{},
                             List{"http://b", "http://d"}, List{"", "udp://e:80"}, "not a tier",
                             List{5, "http://f"}}}});
  CHECK(tiers == Tiers{{"http://a", "http://b"}, {"http://c"}, {"http://d"}, {"udp://e:80"}, {"http://f"}});
}

TEST_CASE("announce is the fallback tier") {
  CHECK(trackers_of(Dict{{"announce", "http://only"}}) == Tiers{{"http://only"}});
  CHECK(trackers_of(Dict{{"announce", "http://only"}, {"announce-list", List{List{}, List{""}}}}) ==
        Tiers{{"http://only"}});
  CHECK(trackers_of(Dict{{"announce", "http://only"}, {"announce-list", "http://wrong-type"}}) ==
        Tiers{{"http://only"}});
  CHECK(trackers_of(Dict{{"announce", ""}}).empty());
  CHECK(trackers_of(Dict{{"announce", 7}}).empty());
}

TEST_CASE("url-list web seeds (BEP 19) in both forms") {
  CHECK(web_seeds_of("http://seed/file") == std::vector<std::string>{"http://seed/file"});
  CHECK(web_seeds_of(List{"http://a/", "", "http://b/", 3, "http://a/"}) ==
        std::vector<std::string>{"http://a/", "http://b/"});
  CHECK(web_seeds_of("").empty());
  CHECK(web_seeds_of(42).empty());
}

TEST_CASE("optional fields of the wrong type are ignored") {
  auto m = parse_metainfo(torrent(single_info(), Dict{{"comment", 5},
                                                      {"created by", List{}},
                                                      {"creation date", "yesterday"},
                                                      {"url-list", Dict{}},
                                                      {"announce-list", 3}}));
  REQUIRE(m.ok());
  CHECK(m->comment.empty());
  CHECK(m->created_by.empty());
  CHECK_FALSE(m->creation_date.has_value());
  CHECK(m->url_list.empty());
  CHECK(m->trackers == Tiers{{"http://tracker.example/announce"}});
}

TEST_CASE("comment.utf-8 and created by.utf-8 are preferred") {
  auto m = parse_metainfo(torrent(single_info(), Dict{{"comment", "legacy \xe9"},
                                                      {"comment.utf-8", "unicode \xc3\xa9"},
                                                      {"created by", "old"},
                                                      {"created by.utf-8", "new"}}));
  REQUIRE(m.ok());
  CHECK(m->comment == "unicode \xc3\xa9");
  CHECK(m->created_by == "new");
}

TEST_CASE("private torrents (BEP 27)") {
  Dict info = single_info();
  info["private"] = 1;
  auto m = parse_metainfo(torrent(info));
  REQUIRE(m.ok());
  CHECK(m->is_private);
  // "private" outside the info dict does not count: it would not change the info-hash.
  auto outside = parse_metainfo(torrent(single_info(), Dict{{"private", 1}}));
  REQUIRE(outside.ok());
  CHECK_FALSE(outside->is_private);
}

TEST_CASE("root structure") {
  Error list = refusal("li1ee");
  CHECK(list.is(Errc::invalid_metainfo));
  CHECK(list.message == "torrent file is not a bencoded dict");
  Error no_info = refusal("d8:announce3:urle");
  CHECK(no_info.is(Errc::invalid_metainfo));
  CHECK(no_info.message == "torrent has no info dict");
  Error info_string = refusal("d4:info3:abce");
  CHECK(info_string.is(Errc::invalid_metainfo));
  CHECK(info_string.message == "info is not a dict");
}

TEST_CASE("bencode errors keep the decoder's message") {
  const std::string good = torrent(single_info());
  Error truncated = refusal(std::string_view(good).substr(0, good.size() - 1));
  CHECK(truncated.is(Errc::bencode_syntax));
  CHECK(truncated.message.starts_with("invalid torrent: bencode: "));
  CHECK(contains(truncated.message, "unterminated dict"));

  Error empty = refusal("");
  CHECK(empty.is(Errc::bencode_syntax));
}

TEST_CASE("deep nesting in an optional field is refused") {
  const std::string deep = "d7:comment" + std::string(101, 'l') + std::string(101, 'e') + "4:info" +
                           bencode::encode(single_info()) + "e";
  Error e = refusal(deep);
  CHECK(e.is(Errc::bencode_limit));
  CHECK(e.message.starts_with("invalid torrent: "));
  CHECK(contains(e.message, "nesting deeper than 100"));
  // Shallower nesting decodes, and the malformed comment is then ignored.
  const std::string shallow = "d7:comment" + std::string(50, 'l') + std::string(50, 'e') + "4:info" +
                              bencode::encode(single_info()) + "e";
  auto m = parse_metainfo(shallow);
  REQUIRE(m.ok());
  CHECK(m->comment.empty());
}

TEST_CASE("an integer too large for 64 bits is refused") {
  const std::string bytes = "d13:creation datei99999999999999999999e4:info" +
                            bencode::encode(single_info()) + "e";
  Error e = refusal(bytes);
  CHECK(e.is(Errc::bencode_syntax));
  CHECK(contains(e.message, "does not fit in 64 bits"));
}

TEST_CASE("unsorted or duplicate dict keys are refused") {
  const std::string info = bencode::encode(single_info());
  Error unsorted = refusal("d4:info" + info + "8:announce3:urle");
  CHECK(unsorted.is(Errc::bencode_syntax));
  CHECK(contains(unsorted.message, "dict keys not sorted: \"announce\" after \"info\""));

  Error duplicate = refusal("d4:info" + info + "4:info" + info + "e");
  CHECK(contains(duplicate.message, "duplicate dict key \"info\""));

  // Inside the info dict, where a re-sort would silently change the info-hash.
  const std::string bad_info = "d4:name1:f6:lengthi1e12:piece lengthi16384e6:pieces20:" +
                               std::string(20, 'p') + "e";
  Error inner = refusal("d4:info" + bad_info + "e");
  CHECK(contains(inner.message, "dict keys not sorted: \"length\" after \"name\""));
}

TEST_CASE("a torrent file larger than 64 MiB is refused before decoding") {
  Error e = refusal(std::string(kMaxTorrentFileBytes + 1, 'x'));
  CHECK(e.is(Errc::limit_exceeded));
  CHECK(e.message == "torrent file of 67108865 bytes is larger than the 64 MiB limit");
}

TEST_CASE("v2-only and hybrid torrents through parse_metainfo") {
  const Dict tree{{"a", Dict{{"", Dict{{"length", 5}, {"pieces root", std::string(32, 'r')}}}}}};
  Error v2 = refusal(torrent(Dict{{"file tree", tree}, {"meta version", 2}, {"name", "v2"},
                                  {"piece length", kPiece}},
                             Dict{{"piece layers", Dict{}}}));
  CHECK(v2.is(Errc::unsupported_metainfo));
  CHECK(contains(v2.message, "v2-only torrents (BEP 52) are not supported"));

  Dict hybrid = multi_info({file(5, path({"a"}))}, "h");
  hybrid["file tree"] = tree;
  hybrid["meta version"] = 2;
  auto m = parse_metainfo(torrent(hybrid, Dict{{"piece layers", Dict{}}}));
  REQUIRE(m.ok());
  CHECK(m->hybrid);
  CHECK(m->multi_file);
  CHECK(m->files[0].path == "h/a");
}

TEST_CASE("piece accessors stay in range") {
  auto m = parse_metainfo(torrent(single_info(3 * kPiece + 7)));
  REQUIRE(m.ok());
  REQUIRE(m->piece_count == 4);
  CHECK(m->piece_size(PieceIndex{0}) == kPiece);
  CHECK(m->piece_size(PieceIndex{3}) == 7);
  CHECK(m->piece_size(PieceIndex{4}) == 0);
  CHECK(m->piece_size(PieceIndex{UINT32_MAX}) == 0);
  CHECK(m->piece_hash(PieceIndex{3}).view() == std::string(20, '\x04'));
  CHECK(m->piece_hash(PieceIndex{4}) == Sha1Digest{});
  CHECK(m->piece_hash(PieceIndex{UINT32_MAX}) == Sha1Digest{});
}
