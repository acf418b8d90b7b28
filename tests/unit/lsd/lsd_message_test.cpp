#include "core/lsd/lsd_message.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace btd;
using namespace btd::lsd;

namespace {

InfoHash hash_of(char c) {
  InfoHash h;
  h.bytes.fill(static_cast<std::uint8_t>(c));
  return h;
}

std::string parse_error(std::string_view datagram) {
  auto r = parse_announce(datagram);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(Errc::protocol_error));
  return r.error().message;
}

const std::string kHexA = std::string(40, 'a');  // hash_of('\xaa')

}  // namespace

TEST_CASE("LSD announce: BEP 14's bytes, one Infohash line per torrent, the cookie last") {
  const std::string m = encode_announce("239.192.152.143:6771", 6881, {hash_of('\xaa'), hash_of('\x01')}, "c00k1e");
  CHECK(m == "BT-SEARCH * HTTP/1.1\r\n"
             "Host: 239.192.152.143:6771\r\n"
             "Port: 6881\r\n"
             "Infohash: " + kHexA + "\r\n"
             "Infohash: 0101010101010101010101010101010101010101\r\n"
             "cookie: c00k1e\r\n"
             "\r\n\r\n");
  CHECK(encode_announce("[ff15::efc0:988f]:6771", 1, {hash_of('\xaa')}, "").find("cookie") == std::string::npos);
}

TEST_CASE("LSD announce: round trip, and libtorrent's spelling parses") {
  auto r = parse_announce(encode_announce("239.192.152.143:6771", 51413, {hash_of('\xaa'), hash_of('\x02')}, "xyz"));
  REQUIRE(r.ok());
  CHECK(r->port == 51413);
  CHECK(r->info_hashes == std::vector<InfoHash>{hash_of('\xaa'), hash_of('\x02')});
  CHECK(r->cookie == "xyz");
  // libtorrent 2.0: upper-case hex is fine, header names in any case, LF line ends, extra headers.
  auto lt = parse_announce("BT-SEARCH * HTTP/1.1\nhost: 239.192.152.143:6771\nPORT:  7000 \n"
                           "X-Other: 1\ninfohash: " + std::string(40, 'A') + "\n\n\n");
  REQUIRE(lt.ok());
  CHECK(lt->port == 7000);
  CHECK(lt->info_hashes == std::vector<InfoHash>{hash_of('\xaa')});
  CHECK(lt->cookie.empty());
}

TEST_CASE("LSD announce: repeated hashes count once, lines past 16 are ignored") {
  std::string m = "BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n";
  for (int i = 0; i < 10; ++i) {  // 20 lines, within one datagram
    InfoHash h;
    h.bytes[0] = static_cast<std::uint8_t>(i);
    m += "Infohash: " + h.hex() + "\r\n";
    m += "Infohash: " + h.hex() + "\r\n";
  }
  auto r = parse_announce(m + "\r\n");
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  CHECK(r->info_hashes.size() == 8);  // 16 lines, each hash twice
}

TEST_CASE("LSD announce: malformed datagrams are refused, naming the fault") {
  const std::string ih = "Infohash: " + kHexA + "\r\n";
  CHECK(parse_error("M-SEARCH * HTTP/1.1\r\nPort: 1\r\n" + ih).find("first line") != std::string::npos);
  CHECK(parse_error("BT-SEARCH * HTTP/1.1").find("first line") != std::string::npos);
  CHECK(parse_error("BT-SEARCH * HTTP/1.1\r\n" + ih + "\r\n").find("no Port") != std::string::npos);
  CHECK(parse_error("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n\r\n").find("no Infohash") != std::string::npos);
  CHECK(parse_error("BT-SEARCH * HTTP/1.1\r\nPort: 0\r\n" + ih).find("not 1-65535") != std::string::npos);
  CHECK(parse_error("BT-SEARCH * HTTP/1.1\r\nPort: 65536\r\n" + ih).find("not 1-65535") != std::string::npos);
  CHECK(parse_error("BT-SEARCH * HTTP/1.1\r\nPort: 12a\r\n" + ih).find("not 1-65535") != std::string::npos);
  CHECK(parse_error("BT-SEARCH * HTTP/1.1\r\nPort: 99999999999\r\n" + ih).find("not 1-65535") != std::string::npos);
  CHECK(parse_error("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: abc\r\n").find("40 hex") != std::string::npos);
  CHECK(parse_error("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: " + std::string(40, 'g') + "\r\n")
            .find("40 hex") != std::string::npos);
  CHECK(parse_error("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nno colon here\r\n").find("no colon") != std::string::npos);
  CHECK(parse_error("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n" + ih + "cookie: " + std::string(65, 'c') + "\r\n")
            .find("cookie") != std::string::npos);
  CHECK(parse_error("BT-SEARCH * HTTP/1.1\r\nPort: 1\r\n" + ih + std::string(1400, ' ')).find("1400") != std::string::npos);
}
