#include "core/wire/handshake.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace btd;
using namespace btd::wire;
using namespace std::string_literals;

namespace {

Handshake sample() {
  Handshake h;
  h.reserved.set_extension_protocol(true);
  h.reserved.set_fast_extension(true);
  h.reserved.set_dht(true);
  for (std::size_t i = 0; i < 20; ++i) h.info_hash.bytes[i] = static_cast<std::uint8_t>(0xa0 + i);
  REQUIRE(PeerId::from_bytes("-BD0100-abcdefghijkl", h.peer_id));
  return h;
}

// Written out by hand from BEP 3, BEP 10 (reserved[5] 0x10) and BEP 5/6 (reserved[7] 0x05).
const std::string kSampleBytes =
    "\x13" "BitTorrent protocol"
    "\0\0\0\0\0\x10\0\x05"s +
    "\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab\xac\xad\xae\xaf\xb0\xb1\xb2\xb3"s +
    "-BD0100-abcdefghijkl";

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("encodes the 68-byte handshake byte for byte") {
  std::string out;
  encode(out, sample());
  CHECK(out.size() == kHandshakeSize);
  CHECK(out == kSampleBytes);
}

TEST_CASE("parses a complete handshake and leaves following messages alone") {
  const std::string bytes = kSampleBytes + "\0\0\0\x01\x02"s;
  auto r = parse_handshake(bytes);
  REQUIRE(r.ok());
  CHECK(r->state == HandshakeParse::State::complete);
  CHECK(r->consumed == 68);
  CHECK(r->handshake == sample());
}

TEST_CASE("a handshake split across feeds reports progress, then completes") {
  for (std::size_t cut = 0; cut < kHandshakeSize; ++cut) {
    CAPTURE(cut);
    auto partial = parse_handshake(std::string_view(kSampleBytes).substr(0, cut));
    REQUIRE(partial.ok());
    CHECK(partial->consumed == 0);
    if (cut < kInfoHashEnd) {
      CHECK(partial->state == HandshakeParse::State::need_more);
    } else {
      CHECK(partial->state == HandshakeParse::State::info_hash_known);
      CHECK(partial->handshake.info_hash == sample().info_hash);
      CHECK(partial->handshake.reserved == sample().reserved);
    }
  }
  auto full = parse_handshake(kSampleBytes);
  REQUIRE(full.ok());
  CHECK(full->state == HandshakeParse::State::complete);
}

TEST_CASE("a wrong protocol string fails at the first differing byte and shows what arrived") {
  auto tls = parse_handshake("\x16\x03\x01"s);
  REQUIRE_FALSE(tls.ok());
  CHECK(tls.error().is(Errc::protocol_error));
  CHECK(contains(tls.error().message, "received \"\\x16\\x03\\x01\""));

  auto http = parse_handshake("GET /announce HTTP/1.1\r\n");
  REQUIRE_FALSE(http.ok());
  CHECK(contains(http.error().message, "received \"GET /announce HTTP/1\""));

  std::string almost = kSampleBytes;
  almost[4] = 't';  // "Bittorrent protocol"
  REQUIRE_FALSE(parse_handshake(almost).ok());
  REQUIRE_FALSE(parse_handshake(almost.substr(0, 5)).ok());
  CHECK(parse_handshake(almost.substr(0, 4)).ok());  // not wrong yet
}

TEST_CASE("reserved bit helpers read and write the BEP bits only") {
  Reserved r;
  CHECK_FALSE(r.extension_protocol());
  CHECK_FALSE(r.fast_extension());
  CHECK_FALSE(r.dht());

  r.set_extension_protocol(true);
  CHECK(r.bytes == std::array<std::uint8_t, 8>{0, 0, 0, 0, 0, 0x10, 0, 0});
  r.set_fast_extension(true);
  CHECK(r.bytes[7] == 0x04);
  r.set_dht(true);
  CHECK(r.bytes[7] == 0x05);
  r.set_fast_extension(false);
  CHECK(r.bytes[7] == 0x01);
  CHECK(r.dht());
  CHECK_FALSE(r.fast_extension());

  // A libtorrent handshake: extension protocol, fast, DHT, and bits we do not know (0x80 at [0]).
  Reserved lt;
  lt.bytes = {0x80, 0, 0, 0, 0, 0x10, 0, 0x05};
  CHECK(lt.extension_protocol());
  CHECK(lt.fast_extension());
  CHECK(lt.dht());
  Reserved neighbours;  // bits next to ours must not be mistaken for them
  neighbours.bytes = {0, 0, 0, 0, 0, 0xef, 0, 0xfa};
  CHECK_FALSE(neighbours.extension_protocol());
  CHECK_FALSE(neighbours.fast_extension());
  CHECK_FALSE(neighbours.dht());
}
