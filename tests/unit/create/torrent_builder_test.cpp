#include "core/create/torrent_builder.hpp"

#include <doctest/doctest.h>

#include <string>

#include "core/bencode/decoder.hpp"
#include "core/metainfo/metainfo.hpp"
#include "core/util/hex.hpp"

using namespace btd;

namespace {

constexpr std::int64_t kPiece = 16 * 1024;

// Bytes that differ from piece to piece, so swapped or repeated pieces would show.
std::string payload(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>((i * 31 + i / 97) & 0xff);
  return out;
}

TorrentBuilder make(CreateOptions o) {
  auto b = TorrentBuilder::create(std::move(o));
  REQUIRE(b.ok());
  return std::move(b).value();
}

std::string build(CreateOptions o, std::string_view data) {
  TorrentBuilder b = make(std::move(o));
  b.update(data);
  auto t = b.finish();
  REQUIRE(t.ok());
  return *t;
}

CreateOptions single_file(std::int64_t size) {
  CreateOptions o;
  o.name = "a.bin";
  o.files = {CreateFile{{}, size}};
  o.piece_length = kPiece;
  return o;
}

std::string concat_hashes(std::string_view data, std::int64_t piece_length) {
  std::string out;
  for (std::size_t at = 0; at < data.size(); at += static_cast<std::size_t>(piece_length)) {
    out += sha1(data.substr(at, static_cast<std::size_t>(piece_length))).view();
  }
  return out;
}

}  // namespace

TEST_CASE("single file of three pieces, the last one short") {
  const std::string data = payload(2 * kPiece + 100);
  TorrentBuilder b = make(single_file(static_cast<std::int64_t>(data.size())));
  CHECK(b.total_size() == 32868);
  CHECK(b.piece_length() == kPiece);
  b.update(data);
  CHECK(b.bytes_fed() == 32868);
  auto t = b.finish();
  REQUIRE(t.ok());

  // Hashes computed elsewhere (Python hashlib) for this payload.
  const std::string pieces = *from_hex(
      "0153a48a69381f0a16e40afdaea60e5cf84b19e7"
      "e4628ccfad6e5f07abfe15f7383f0677a5a6ccb7"
      "7eeb788b7e2f849f8a2a5c1a529053acd05da647");
  CHECK(pieces == concat_hashes(data, kPiece));
  // Canonical bencoding: keys sorted, no "private", no announce, default created by.
  CHECK(*t == "d10:created by9:btd/0.1.04:infod6:lengthi32868e4:name5:a.bin"
              "12:piece lengthi16384e6:pieces60:" + pieces + "ee");
}

TEST_CASE("a well-known hash: one piece of 16 KiB of zeros") {
  auto t = build(single_file(kPiece), std::string(kPiece, '\0'));
  auto doc = bencode::decode(t);
  REQUIRE(doc.ok());
  auto pieces = doc->root().dict_find_dict("info").dict_find_string("pieces");
  REQUIRE(pieces);
  CHECK(to_hex(*pieces) == "897256b6709e1a4da9daba92b6bde39ccfccd8c1");
}

TEST_CASE("the output does not depend on how the bytes are chunked") {
  const std::string data = payload(3 * kPiece + 777);
  const std::string whole = build(single_file(static_cast<std::int64_t>(data.size())), data);

  TorrentBuilder bytewise = make(single_file(static_cast<std::int64_t>(data.size())));
  for (char c : data) bytewise.update(std::string_view(&c, 1));
  auto t1 = bytewise.finish();
  REQUIRE(t1.ok());
  CHECK(*t1 == whole);

  // Odd chunk sizes that straddle piece boundaries, plus empty updates.
  TorrentBuilder chunked = make(single_file(static_cast<std::int64_t>(data.size())));
  std::size_t at = 0;
  for (std::size_t n = 1; at < data.size(); n = n * 3 + 1) {
    const std::size_t take = std::min(n % 20000 + 1, data.size() - at);
    chunked.update(std::string_view(data).substr(at, take));
    chunked.update({});
    at += take;
  }
  auto t2 = chunked.finish();
  REQUIRE(t2.ok());
  CHECK(*t2 == whole);
}

TEST_CASE("multi-file: pieces span file boundaries and files keep their given order") {
  CreateOptions o;
  o.name = "dir";
  o.piece_length = kPiece;
  // 10000 + 0 + 30000 bytes: piece 0 ends 6384 bytes into z.dat, piece 1 crosses no boundary.
  o.files = {CreateFile{{"z.txt"}, 10000}, CreateFile{{"empty"}, 0},
             CreateFile{{"sub", "a.dat"}, 30000}};
  const std::string data = payload(40000);
  TorrentBuilder b = make(o);
  b.update(std::string_view(data).substr(0, 10000));  // fed file by file, as the CLI does
  b.update(std::string_view(data).substr(10000));
  auto t = b.finish();
  REQUIRE(t.ok());

  const std::string pieces = concat_hashes(data, kPiece);
  REQUIRE(pieces.size() == 60);
  CHECK(*t ==
        "d10:created by9:btd/0.1.04:infod5:filesl"
        "d6:lengthi10000e4:pathl5:z.txtee"
        "d6:lengthi0e4:pathl5:emptyee"
        "d6:lengthi30000e4:pathl3:sub5:a.datee"
        "e4:name3:dir12:piece lengthi16384e6:pieces60:" + pieces + "ee");
}

TEST_CASE("private flag, trackers, web seeds, comment and date") {
  CreateOptions o = single_file(5);
  o.is_private = true;
  o.tracker_tiers = {{"http://a/ann", "http://b/ann"}, {}, {"udp://c:80"}};
  o.web_seeds = {"http://seed/a.bin"};
  o.comment = "hi";
  o.created_by = "";
  o.creation_date = 1700000000;
  const std::string t = build(o, "hello");
  CHECK(t ==
        "d8:announce12:http://a/ann"
        "13:announce-listll12:http://a/ann12:http://b/annel10:udp://c:80ee"
        "7:comment2:hi13:creation datei1700000000e"
        "4:infod6:lengthi5e4:name5:a.bin12:piece lengthi16384e6:pieces20:" +
            std::string(sha1("hello").view()) +
            "7:privatei1ee"
            "8:url-listl17:http://seed/a.binee");
}

TEST_CASE("one tracker gives announce only; none gives neither") {
  CreateOptions o = single_file(5);
  o.tracker_tiers = {{}, {"http://a/ann"}};
  const std::string one = build(o, "hello");
  auto doc = bencode::decode(one);
  REQUIRE(doc.ok());
  CHECK(doc->root().dict_find_string("announce") == "http://a/ann");
  CHECK_FALSE(doc->root().dict_find("announce-list"));
  CHECK_FALSE(doc->root().dict_find_dict("info").dict_find("private"));

  const std::string none = build(single_file(5), "hello");
  CHECK(none.find("announce") == std::string::npos);
}

TEST_CASE("piece length 0 is chosen from the total size") {
  CreateOptions o = single_file(100 * 1024 * 1024);
  o.piece_length = 0;
  auto b = TorrentBuilder::create(o);
  REQUIRE(b.ok());
  CHECK(b->piece_length() == 64 * 1024);
}

TEST_CASE("create refuses invalid options") {
  CreateOptions o = single_file(5);
  o.name = "../x";
  auto b = TorrentBuilder::create(o);
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().is(Errc::invalid_argument));
}

TEST_CASE("finish() fails unless exactly total_size bytes were fed") {
  TorrentBuilder short_feed = make(single_file(10));
  short_feed.update("123456789");
  auto r = short_feed.finish();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(Errc::invalid_argument));
  CHECK(r.error().message ==
        "create: got 9 bytes of payload but the files add up to 10 (did a file change size while "
        "it was read?)");
  short_feed.update("0");  // still usable after the failed finish
  CHECK(short_feed.finish().ok());
  CHECK_FALSE(short_feed.finish().ok());  // but only once

  TorrentBuilder long_feed = make(single_file(10));
  long_feed.update("12345678901");
  CHECK(long_feed.bytes_fed() == 11);
  auto l = long_feed.finish();
  REQUIRE_FALSE(l.ok());
  CHECK(l.error().message.find("got 11 bytes") != std::string::npos);
}

// What we create we must be able to load: same bounds, and core/metainfo reads back every field.
static_assert(kMaxCreatePieceLength == kMaxPieceLength);
static_assert(kMaxCreatePieceCount == kMaxPieceCount);
static_assert(kMaxCreateTotalSize == kMaxTotalSize);
static_assert(kMinCreatePieceLength == kMinUsualPieceLength);

TEST_CASE("created torrents round-trip through parse_metainfo") {
  CreateOptions o;
  o.name = "dir";
  o.piece_length = kPiece;
  o.files = {CreateFile{{"z.txt"}, 10000}, CreateFile{{"sub", "a.dat"}, 30000}};
  o.tracker_tiers = {{"http://a/ann"}, {"udp://b:80", "udp://c:80"}};
  o.web_seeds = {"http://seed/"};
  o.is_private = true;
  o.comment = "round trip";
  o.creation_date = 1234567890;
  const std::string data = payload(40000);
  const std::string t = build(o, data);

  auto m = parse_metainfo(t);
  REQUIRE(m.ok());
  auto doc = bencode::decode(t);
  REQUIRE(doc.ok());
  CHECK(m->info_hash == sha1(doc->root().dict_find("info").raw()));
  CHECK(m->name == "dir");
  CHECK(m->multi_file);
  CHECK(m->total_size == 40000);
  CHECK(m->piece_length == kPiece);
  CHECK(m->piece_count == 3);
  CHECK(m->piece_hashes == concat_hashes(data, kPiece));
  REQUIRE(m->files.size() == 2);
  CHECK(m->files[0].path == "dir/z.txt");
  CHECK(m->files[0].size == 10000);
  CHECK(m->files[0].offset == 0);
  CHECK(m->files[1].path == "dir/sub/a.dat");
  CHECK(m->files[1].size == 30000);
  CHECK(m->files[1].offset == 10000);
  CHECK(m->trackers == std::vector<std::vector<std::string>>{{"http://a/ann"},
                                                              {"udp://b:80", "udp://c:80"}});
  CHECK(m->url_list == std::vector<std::string>{"http://seed/"});
  CHECK(m->is_private);
  CHECK(m->comment == "round trip");
  CHECK(m->created_by == "btd/0.1.0");
  CHECK(m->creation_date == 1234567890);
  CHECK(m->warnings.empty());

  const std::string single = build(single_file(5), "hello");
  auto s = parse_metainfo(single);
  REQUIRE(s.ok());
  CHECK_FALSE(s->multi_file);
  CHECK(s->name == "a.bin");
  CHECK(s->total_size == 5);
  REQUIRE(s->files.size() == 1);
  CHECK(s->files[0].path == "a.bin");
  CHECK_FALSE(s->is_private);
  CHECK(s->trackers.empty());
  auto sdoc = bencode::decode(single);
  REQUIRE(sdoc.ok());
  CHECK(s->info_hash == sha1(sdoc->root().dict_find("info").raw()));
}
