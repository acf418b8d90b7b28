#include "core/wire/extension_handshake.hpp"

#include <doctest/doctest.h>

#include <string>

#include "core/wire/message.hpp"

using namespace btd;
using namespace btd::wire;
using namespace std::string_literals;

namespace {

std::string parse_error(std::string_view payload, const ExtensionHandshakeLimits& limits = {}) {
  auto r = parse_extension_handshake(payload, limits);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(Errc::protocol_error));
  return r.error().message;
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("decodes a libtorrent-style handshake") {
  // "m" first and "metadata_size" before "p": the order libtorrent writes, not sorted bytewise.
  auto r = parse_extension_handshake(
      "d1:md11:ut_metadatai2e6:ut_pexi1ee13:metadata_sizei31235e1:pi6881e4:reqqi500e1:v16:libtorrent 2.0.8e");
  REQUIRE(r.ok());
  CHECK(r->id_of("ut_metadata") == 2);
  CHECK(r->id_of("ut_pex") == 1);
  CHECK(r->id_of("lt_donthave") == 0);
  CHECK(r->metadata_size == 31235u);
  CHECK(r->p == 6881);
  CHECK(r->reqq == 500u);
  CHECK(r->v == "libtorrent 2.0.8");
  CHECK_FALSE(r->yourip);
}

TEST_CASE("unsorted keys, as sloppy clients send them, are accepted") {
  auto r = parse_extension_handshake("d1:v4:test1:md6:ut_pexi3e11:ut_metadatai1eee");
  REQUIRE(r.ok());
  CHECK(r->v == "test");
  CHECK(r->id_of("ut_pex") == 3);
  CHECK(r->id_of("ut_metadata") == 1);
}

TEST_CASE("id 0 is kept: it disables an extension in an updating handshake") {
  auto r = parse_extension_handshake("d1:md6:ut_pexi0eee");
  REQUIRE(r.ok());
  REQUIRE(r->m.count("ut_pex") == 1);
  CHECK(r->id_of("ut_pex") == 0);
}

TEST_CASE("a later handshake updates the earlier one: m is additive, omitted fields are kept") {
  auto first = parse_extension_handshake("d1:md11:ut_metadatai3e6:ut_pexi1ee13:metadata_sizei500e1:pi6881e1:v4:lt/2e");
  auto second = parse_extension_handshake("d1:md6:ut_pexi0e6:ut_foei7ee1:pi7000ee");
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  const ExtensionHandshake u = updated_extension_handshake(*first, *second);
  CHECK(u.id_of("ut_metadata") == 3);  // not named again: kept
  CHECK(u.id_of("ut_pex") == 0);       // withdrawn
  CHECK(u.id_of("ut_foe") == 7);       // added
  CHECK(u.p == 7000);                  // changed
  CHECK(u.metadata_size == 500);       // omitted: kept
  CHECK(u.v == "lt/2");
}

TEST_CASE("addresses are raw bytes of the right length") {
  auto r = parse_extension_handshake("d4:ipv44:\x7f\0\0\x01" "4:ipv616:0123456789abcdef6:yourip4:\xc0\xa8\x01\x02" "e"s);
  REQUIRE(r.ok());
  CHECK(r->ipv4 == "\x7f\0\0\x01"s);
  CHECK(r->ipv6 == "0123456789abcdef");
  CHECK(r->yourip == "\xc0\xa8\x01\x02"s);
  auto six = parse_extension_handshake("d6:yourip16:0123456789abcdefe");
  REQUIRE(six.ok());
  CHECK(six->yourip == "0123456789abcdef");
}

TEST_CASE("wrong-typed or out-of-range optional fields are ignored") {
  auto r = parse_extension_handshake(
      "d1:md6:ut_pex3:one11:ut_metadatai300e5:validi7e6:negatei-1ee"
      "1:p4:68814:reqqi-5e1:vi42e6:yourip3:abc4:ipv46:123456"
      "13:metadata_size3:big1:xli1eee");
  REQUIRE(r.ok());
  CHECK(r->m.size() == 1);
  CHECK(r->id_of("valid") == 7);
  CHECK_FALSE(r->p);
  CHECK_FALSE(r->reqq);
  CHECK_FALSE(r->v);
  CHECK_FALSE(r->yourip);
  CHECK_FALSE(r->ipv4);
  CHECK_FALSE(r->metadata_size);
  CHECK_FALSE(parse_extension_handshake("d1:pi70000ee")->p);
  CHECK_FALSE(parse_extension_handshake("d1:pi0ee")->p);
  CHECK(parse_extension_handshake("d1:m4:nonee")->m.empty());
}

TEST_CASE("metadata_size: negative and oversized are errors, the limit itself is fine") {
  CHECK(contains(parse_error("d13:metadata_sizei-1ee"), "metadata_size -1 is negative"));
  CHECK(contains(parse_error("d13:metadata_sizei31457281ee"), "metadata_size 31457281 exceeds the limit of 31457280"));
  CHECK(parse_extension_handshake("d13:metadata_sizei31457280ee")->metadata_size == 31457280u);
  ExtensionHandshakeLimits small;
  small.max_metadata_size = 1000;
  CHECK(contains(parse_error("d13:metadata_sizei1001ee", small), "exceeds the limit of 1000"));
}

TEST_CASE("an oversized payload is refused before decoding") {
  ExtensionHandshakeLimits limits;
  limits.max_payload = 10;
  // Not even valid bencoding: the size check must come first.
  CHECK(contains(parse_error("xxxxxxxxxxx", limits), "payload of 11 bytes exceeds the limit of 10"));
  const std::string big = "d1:v" + std::to_string(100 * 1024) + ":" + std::string(100 * 1024, 'a') + "e";
  CHECK(contains(parse_error(big), "exceeds the limit of 102400"));
}

TEST_CASE("malformed or non-dict payloads are protocol errors") {
  CHECK(contains(parse_error("d1:m"), "peer extension handshake:"));
  CHECK(contains(parse_error("li1ee"), "expected a dictionary"));
  CHECK(contains(parse_error(""), "peer extension handshake:"));
  CHECK(contains(parse_error("de" "trailing"), "peer extension handshake:"));
}

TEST_CASE("encodes canonically and round-trips") {
  ExtensionHandshake h;
  h.m = {{"ut_pex", 1}, {"ut_metadata", 2}};
  h.v = "btd 0.1.0";
  h.reqq = 250;
  h.p = 6881;
  h.metadata_size = 31235;
  h.yourip = "\x0a\0\0\x01"s;
  const std::string payload = encode_payload(h);
  CHECK(payload ==
        "d1:md11:ut_metadatai2e6:ut_pexi1ee13:metadata_sizei31235e1:pi6881e4:reqqi250e"
        "1:v9:btd 0.1.06:yourip4:\x0a\0\0\x01" "e"s);
  auto back = parse_extension_handshake(payload);
  REQUIRE(back.ok());
  CHECK(*back == h);
}

TEST_CASE("the full frame is an extended message with id 0") {
  ExtensionHandshake h;
  h.m = {{"ut_metadata", 1}};
  std::string out;
  encode(out, h);
  CHECK(out == "\0\0\0\x1a\x14\x00" "d1:md11:ut_metadatai1eee"s);
  auto m = parse_message(std::string_view(out).substr(4));
  REQUIRE(m.ok());
  CHECK(std::get<Extended>(*m).id == 0);
  CHECK(parse_extension_handshake(std::get<Extended>(*m).payload)->id_of("ut_metadata") == 1);
}
