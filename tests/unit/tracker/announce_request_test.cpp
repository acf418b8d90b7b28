#include "core/tracker/announce_request.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace btd;
using namespace btd::tracker;

namespace {

InfoHash counting_hash(std::uint8_t first) {
  InfoHash h;
  for (std::size_t i = 0; i < h.bytes.size(); ++i) h.bytes[i] = static_cast<std::uint8_t>(first + i);
  return h;
}

AnnounceRequest sample_request() {
  AnnounceRequest r;
  r.info_hash = counting_hash(0);
  r.peer_id = "-BD0100-abcdefghijkl";
  r.port = 6881;
  r.uploaded = 10;
  r.downloaded = 20;
  r.left = 30;
  r.key = 0xdeadbeef;
  return r;
}

constexpr std::string_view kHash00to13 =
    "%00%01%02%03%04%05%06%07%08%09%0A%0B%0C%0D%0E%0F%10%11%12%13";

}  // namespace

TEST_CASE("percent-encoding keeps unreserved characters and upper-cases the rest") {
  CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(percent_encode(std::string("\x00\xff /?&=+%", 9)) == "%00%FF%20%2F%3F%26%3D%2B%25");
  CHECK(percent_encode(counting_hash(0).view()) == kHash00to13);
}

TEST_CASE("the announce URL carries every parameter byte-exactly") {
  const std::string url = build_announce_url("http://t.example:6969/announce", sample_request());
  CHECK(url == std::string("http://t.example:6969/announce?info_hash=") + std::string(kHash00to13) +
                   "&peer_id=-BD0100-abcdefghijkl&port=6881&uploaded=10&downloaded=20&left=30"
                   "&compact=1&no_peer_id=1&key=DEADBEEF");
}

TEST_CASE("an info-hash made of unreserved bytes is sent as is") {
  AnnounceRequest r = sample_request();
  // 0x41 'A' .. 0x54 'T': all unreserved.
  r.info_hash = counting_hash(0x41);
  const std::string url = build_announce_url("http://t/announce", r);
  CHECK(url.starts_with("http://t/announce?info_hash=ABCDEFGHIJKLMNOPQRST&peer_id="));
}

TEST_CASE("an existing query gets '&', and a fragment stays last") {
  AnnounceRequest r = sample_request();
  r.compact = false;
  r.no_peer_id = false;
  const std::string tail = "info_hash=" + std::string(kHash00to13) +
                           "&peer_id=-BD0100-abcdefghijkl&port=6881&uploaded=10&downloaded=20"
                           "&left=30&key=DEADBEEF";
  CHECK(build_announce_url("http://t/announce.php?passkey=abc", r) ==
        "http://t/announce.php?passkey=abc&" + tail);
  CHECK(build_announce_url("http://t/announce?", r) == "http://t/announce?" + tail);
  CHECK(build_announce_url("http://t/announce?a=1&", r) == "http://t/announce?a=1&" + tail);
  CHECK(build_announce_url("http://t/announce#frag", r) == "http://t/announce?" + tail + "#frag");
}

TEST_CASE("event, numwant and trackerid appear only when set") {
  AnnounceRequest r = sample_request();
  CHECK(build_announce_url("http://t/a", r).find("event=") == std::string::npos);
  CHECK(build_announce_url("http://t/a", r).find("numwant=") == std::string::npos);
  CHECK(build_announce_url("http://t/a", r).find("trackerid=") == std::string::npos);
  r.event = Event::started;
  r.numwant = 50;
  r.tracker_id = "id 1";
  const std::string url = build_announce_url("http://t/a", r);
  CHECK(url.ends_with("&event=started&numwant=50&key=DEADBEEF&trackerid=id%201"));
  r.event = Event::completed;
  CHECK(build_announce_url("http://t/a", r).find("&event=completed&") != std::string::npos);
  r.event = Event::stopped;
  CHECK(build_announce_url("http://t/a", r).find("&event=stopped&") != std::string::npos);
}

TEST_CASE("scrape URLs follow the announce -> scrape convention") {
  CHECK(scrape_url_from_announce("http://example.com/announce") == "http://example.com/scrape");
  CHECK(scrape_url_from_announce("http://example.com/x/announce") == "http://example.com/x/scrape");
  CHECK(scrape_url_from_announce("http://example.com/announce.php") ==
        "http://example.com/scrape.php");
  CHECK(scrape_url_from_announce("https://example.com/a/announce?x2%0644") ==
        "https://example.com/a/scrape?x2%0644");
  CHECK_FALSE(scrape_url_from_announce("http://example.com/a"));
  CHECK(scrape_url_from_announce("http://example.com/announce?x=2/4") ==
        "http://example.com/scrape?x=2/4");
  CHECK_FALSE(scrape_url_from_announce("http://example.com/x%064announce"));
  CHECK_FALSE(scrape_url_from_announce("http://example.com/announce/"));
  CHECK_FALSE(scrape_url_from_announce("http://announce.example.com"));
  CHECK_FALSE(scrape_url_from_announce("http://example.com?announce"));
  CHECK_FALSE(scrape_url_from_announce("udp://example.com:80/announce"));
}

TEST_CASE("scrape requests repeat info_hash") {
  const std::vector<InfoHash> hashes{counting_hash(0x41), counting_hash(0)};
  CHECK(build_scrape_url("http://t/scrape?k=1", hashes) ==
        "http://t/scrape?k=1&info_hash=ABCDEFGHIJKLMNOPQRST&info_hash=" + std::string(kHash00to13));
}
