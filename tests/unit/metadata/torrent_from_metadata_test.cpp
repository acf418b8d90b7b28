#include "core/metadata/torrent_from_metadata.hpp"

#include <doctest/doctest.h>

#include "core/create/torrent_builder.hpp"

using namespace btd;

namespace {

Metainfo made_torrent(bool is_private) {
  CreateOptions o;
  o.name = "two files";
  o.is_private = is_private;
  o.files.push_back({{"a.bin"}, 1000});
  o.files.push_back({{"sub", "b.bin"}, 30000});
  o.piece_length = 16 * 1024;
  auto b = TorrentBuilder::create(o);
  REQUIRE(b.ok());
  b->update(std::string(31000, 'x'));
  auto bytes = b->finish();
  REQUIRE(bytes.ok());
  auto meta = parse_metainfo(*bytes);
  REQUIRE(meta.ok());
  return std::move(*meta);
}

}  // namespace

TEST_CASE("a magnet's placeholder shows dn, else the hex info-hash, and the magnet's trackers") {
  const Metainfo real = made_torrent(false);
  auto magnet = parse_magnet("magnet:?xt=urn:btih:" + real.info_hash.hex() +
                             "&dn=My+Name&tr=http%3A%2F%2Ft1%2Fannounce&tr=udp%3A%2F%2Ft2%3A80");
  REQUIRE(magnet.ok());
  const Metainfo p = placeholder_metainfo(*magnet);
  CHECK(p.info_hash == real.info_hash);
  CHECK(p.name == "My Name");
  CHECK(p.piece_count == 0);
  CHECK(p.total_size == 0);
  CHECK(p.files.empty());
  CHECK(p.trackers == std::vector<std::vector<std::string>>{{"http://t1/announce"}, {"udp://t2:80"}});
  auto bare = parse_magnet("magnet:?xt=urn:btih:" + real.info_hash.hex());
  REQUIRE(bare.ok());
  CHECK(placeholder_metainfo(*bare).name == real.info_hash.hex());
  CHECK(placeholder_metainfo(*bare).trackers.empty());
}

TEST_CASE("a fetched info dict becomes a .torrent with the magnet's trackers and the same info-hash") {
  const Metainfo real = made_torrent(true);
  auto magnet = parse_magnet("magnet:?xt=urn:btih:" + real.info_hash.hex() +
                             "&dn=ignored&tr=http%3A%2F%2Ft1%2Fannounce&tr=udp%3A%2F%2Ft2%3A80&ws=http%3A%2F%2Fw%2F");
  REQUIRE(magnet.ok());
  auto made = torrent_from_metadata(*magnet, real.info_bytes);
  REQUIRE(made.ok());
  // What is stored is what any .torrent goes through: parsed again, it is the same torrent.
  auto again = parse_metainfo(made->torrent_bytes);
  REQUIRE(again.ok());
  for (const Metainfo* m : {&made->meta, &*again}) {
    CHECK(m->info_hash == real.info_hash);
    CHECK(m->info_bytes == real.info_bytes);
    CHECK(m->name == "two files");  // from the info dict, not dn
    CHECK(m->is_private);
    CHECK(m->piece_count == real.piece_count);
    CHECK(m->total_size == 31000);
    REQUIRE(m->files.size() == 2);
    CHECK(m->files[1].path == real.files[1].path);
    CHECK(m->trackers == std::vector<std::vector<std::string>>{{"http://t1/announce"}, {"udp://t2:80"}});
    CHECK(m->url_list == std::vector<std::string>{"http://w/"});
  }
  CHECK(made->torrent_bytes.find("8:announce18:http://t1/announce13:announce-listll18:http://t1/announceel11:udp://t2:80ee") !=
        std::string::npos);
}

TEST_CASE("a magnet without trackers gives a .torrent without announce keys") {
  const Metainfo real = made_torrent(false);
  auto magnet = parse_magnet("magnet:?xt=urn:btih:" + real.info_hash.hex());
  REQUIRE(magnet.ok());
  auto made = torrent_from_metadata(*magnet, real.info_bytes);
  REQUIRE(made.ok());
  CHECK(made->torrent_bytes == "d4:info" + real.info_bytes + "e");
  CHECK(made->meta.trackers.empty());
  CHECK_FALSE(made->meta.is_private);
}

TEST_CASE("metadata that does not hash to the magnet's info-hash, or is no valid info dict, is refused") {
  const Metainfo real = made_torrent(false);
  auto magnet = parse_magnet("magnet:?xt=urn:btih:" + real.info_hash.hex());
  REQUIRE(magnet.ok());
  std::string other = real.info_bytes;
  other[other.size() / 2] ^= 1;
  auto wrong = torrent_from_metadata(*magnet, other);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().is(Errc::invalid_metainfo));
  CHECK(wrong.error().message.find(real.info_hash.hex()) != std::string::npos);
  // Hashes right, but a list is no info dict: the parser's error comes through.
  const std::string not_a_dict = "li1ee";
  auto hostile = parse_magnet("magnet:?xt=urn:btih:" + sha1(not_a_dict).hex());
  REQUIRE(hostile.ok());
  auto bad = torrent_from_metadata(*hostile, not_a_dict);
  REQUIRE_FALSE(bad.ok());
}
