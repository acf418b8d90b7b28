#include "core/tracker/http_response.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace btd;
using namespace btd::tracker;

namespace {

std::string error_of(std::string_view body) {
  auto r = parse_http_announce_response(body);
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

}  // namespace

TEST_CASE("a compact reply yields peers, counts, intervals and tracker id") {
  const std::string body = std::string("d8:completei5e10:incompletei3e8:intervali900e12:min intervali120e") +
                           "5:peers12:" + std::string("\x0a\x00\x00\x01\x1a\xe1\x7f\x00\x00\x01\x00\x50", 12) +
                           "10:tracker id3:abc15:warning message4:slowe";
  auto r = parse_http_announce_response(body);
  REQUIRE(r.ok());
  CHECK_FALSE(r->failure_reason);
  CHECK(r->complete == 5);
  CHECK(r->incomplete == 3);
  CHECK(r->interval_s == 900);
  CHECK(r->min_interval_s == 120);
  CHECK(r->tracker_id == "abc");
  CHECK(r->warning_message == "slow");
  REQUIRE(r->peers.size() == 2);
  CHECK(r->peers[0] == PeerEndpoint{"10.0.0.1", 6881});
  CHECK(r->peers[1] == PeerEndpoint{"127.0.0.1", 80});
}

TEST_CASE("the dict peer form is accepted, skipping what cannot be dialed") {
  const std::string body =
      "d8:intervali1800e5:peersl"
      "d2:ip8:10.0.0.27:peer id20:aaaaaaaaaaaaaaaaaaaa4:porti6881ee"
      "d2:ip11:example.org4:porti1ee"       // host name: skipped
      "d2:ip7:1.2.3.44:porti0ee"            // port 0: skipped
      "d2:ip7:1.2.3.44:porti70000ee"        // port out of range: skipped
      "i7e"                                 // not a dict: skipped
      "d2:ip11:2001:DB8::14:porti51413ee"
      "ee";
  auto r = parse_http_announce_response(body);
  REQUIRE(r.ok());
  REQUIRE(r->peers.size() == 2);
  CHECK(r->peers[0] == PeerEndpoint{"10.0.0.2", 6881});
  CHECK(r->peers[1] == PeerEndpoint{"2001:db8::1", 51413});
}

TEST_CASE("peers6 adds IPv6 peers after the IPv4 ones") {
  std::string v6(18, '\0');
  v6[15] = '\x01';
  v6[16] = '\x1a';
  v6[17] = '\xe2';
  const std::string body = std::string("d8:intervali60e5:peers6:") +
                           std::string("\x01\x02\x03\x04\x1a\xe1", 6) + "6:peers618:" + v6 + "e";
  auto r = parse_http_announce_response(body);
  REQUIRE(r.ok());
  REQUIRE(r->peers.size() == 2);
  CHECK(r->peers[0] == PeerEndpoint{"1.2.3.4", 6881});
  CHECK(r->peers[1] == PeerEndpoint{"::1", 6882});
}

TEST_CASE("a failure reason is an answer, not a parse error") {
  auto r = parse_http_announce_response("d14:failure reason17:torrent not founde");
  REQUIRE(r.ok());
  CHECK(r->failure_reason == "torrent not found");
  CHECK(r->peers.empty());
  auto odd = parse_http_announce_response("d14:failure reasoni3ee");
  REQUIRE(odd.ok());
  CHECK(odd->failure_reason == "(no reason given)");
}

TEST_CASE("malformed replies are errors that say what is wrong") {
  CHECK(error_of("d5:peers7:abcdefge") ==
        "tracker reply: peers: compact peer list of 7 bytes is not a multiple of 6");
  CHECK(error_of("d6:peers65:abcdee") ==
        "tracker reply: peers6: compact peer list of 5 bytes is not a multiple of 18");
  CHECK(error_of("d5:peersi3ee") == "tracker reply: \"peers\" is an integer, expected a string or a list");
  CHECK(error_of("le") == "tracker reply: the body is a list, expected a dict");
  auto html = parse_http_announce_response("<html>502 Bad Gateway</html>");
  REQUIRE_FALSE(html.ok());
  CHECK(html.error().message.starts_with("tracker reply: "));
}

TEST_CASE("sloppy but harmless replies are accepted") {
  // Unsorted keys and a trailing newline.
  auto r = parse_http_announce_response("d8:intervali300e8:completei1ee\n");
  REQUIRE(r.ok());
  CHECK(r->interval_s == 300);
  CHECK(r->complete == 1);
  // No interval at all: the default; negative counts are ignored.
  auto d = parse_http_announce_response("d8:completei-1ee");
  REQUIRE(d.ok());
  CHECK(d->interval_s == 1800);
  CHECK_FALSE(d->complete);
}

TEST_CASE("the peer count is bounded across peers and peers6") {
  std::string compact;
  for (int i = 1; i <= 5; ++i) compact += std::string("\x0a\x00\x00", 3) + char(i) + "\x1a\xe1";
  std::string v6(18, '\x01');
  const std::string body = "d5:peers30:" + compact + "6:peers618:" + v6 + "e";
  ResponseLimits limits;
  limits.max_peers = 3;
  auto r = parse_http_announce_response(body, limits);
  REQUIRE(r.ok());
  CHECK(r->peers.size() == 3);
  limits.max_peers = 6;
  auto all = parse_http_announce_response(body, limits);
  REQUIRE(all.ok());
  CHECK(all->peers.size() == 6);
  CHECK(all->peers[5].ip == "101:101:101:101:101:101:101:101");
}

TEST_CASE("scrape replies are keyed by raw info-hash") {
  const std::string hash_a(20, 'A');
  const std::string hash_b = std::string("\x00\x01", 2) + std::string(18, '\xff');
  const std::string body = "d5:filesd20:" + hash_a +
                           "d8:completei7e10:downloadedi20e10:incompletei2ee"
                           "3:bad" "d8:completei1ee"   // key is not 20 bytes: skipped
                           "20:" + hash_b + "d8:completei1eee"
                           "e";
  auto r = parse_http_scrape_response(body);
  REQUIRE(r.ok());
  REQUIRE(r->files.size() == 2);
  CHECK(r->files[0].info_hash.view() == hash_a);
  CHECK(r->files[0].complete == 7);
  CHECK(r->files[0].downloaded == 20);
  CHECK(r->files[0].incomplete == 2);
  CHECK(r->files[1].info_hash.view() == hash_b);
  CHECK(r->files[1].complete == 1);
  CHECK(r->files[1].incomplete == 0);

  auto failed = parse_http_scrape_response("d14:failure reason6:nope!!e");
  REQUIRE(failed.ok());
  CHECK(failed->failure_reason == "nope!!");
  auto bad = parse_http_scrape_response("d5:filesi1ee");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "tracker reply: \"files\" is an integer, expected a dict");
}
