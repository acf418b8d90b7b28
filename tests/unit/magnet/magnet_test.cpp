#include "core/magnet/magnet.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace btd;

namespace {

// SHA-1("abc"), written three ways.
constexpr std::string_view kHexLower = "a9993e364706816aba3e25717850c26c9cd0d89d";
constexpr std::string_view kHexUpper = "A9993E364706816ABA3E25717850C26C9CD0D89D";
constexpr std::string_view kBase32 = "VGMT4NSHA2AWVOR6EVYXQUGCNSONBWE5";

std::string with_hash(std::string_view rest) {
  return "magnet:?xt=urn:btih:" + std::string(kHexLower) + std::string(rest);
}

Error parse_error(std::string_view uri) {
  auto r = parse_magnet(uri);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

std::string message(std::string_view uri) {
  const Error e = parse_error(uri);
  CHECK(e.is(Errc::invalid_magnet));
  return e.message;
}

}  // namespace

TEST_CASE("btih in lower-case hex, upper-case hex and base32 give the same info-hash") {
  auto lower = parse_magnet(with_hash(""));
  REQUIRE(lower.ok());
  CHECK(lower->info_hash.hex() == kHexLower);
  CHECK(lower->info_hash == sha1("abc"));

  auto upper = parse_magnet("MAGNET:?xt=URN:BTIH:" + std::string(kHexUpper));
  REQUIRE(upper.ok());
  CHECK(upper->info_hash.hex() == kHexLower);

  auto b32 = parse_magnet("magnet:?xt=urn:btih:" + std::string(kBase32));
  REQUIRE(b32.ok());
  CHECK(b32->info_hash.hex() == kHexLower);
  auto b32_lower = parse_magnet("magnet:?xt=urn:btih:vgmt4nsha2awvor6evyxqugcnsonbwe5");
  REQUIRE(b32_lower.ok());
  CHECK(b32_lower->info_hash.hex() == kHexLower);
}

TEST_CASE("dn is percent-decoded and '+' is a space") {
  auto m = parse_magnet(with_hash("&dn=Big%20Buck+Bunny%2B%2fx"));
  REQUIRE(m.ok());
  CHECK(m->display_name == "Big Buck Bunny+/x");
  auto none = parse_magnet(with_hash(""));
  REQUIRE(none.ok());
  CHECK(none->display_name.empty());
  CHECK(none->trackers.empty());
  CHECK(none->peers.empty());
  CHECK(none->web_seeds.empty());
  CHECK_FALSE(none->select_only.has_value());
}

TEST_CASE("tr and tr.N are all trackers, decoded, in order, without duplicates") {
  auto m = parse_magnet(with_hash(
      "&tr=http%3A%2F%2Fa.example%2Fannounce&tr.1=udp%3A%2F%2Fb.example%3A80"
      "&tr.2=http%3A%2F%2Fa.example%2Fannounce&tr=&tr=http://c.example/a+b"));
  REQUIRE(m.ok());
  REQUIRE(m->trackers.size() == 3);
  CHECK(m->trackers[0] == "http://a.example/announce");
  CHECK(m->trackers[1] == "udp://b.example:80");
  CHECK(m->trackers[2] == "http://c.example/a+b");  // '+' in a URL is not a space
}

TEST_CASE("indexed xt and unknown parameters") {
  auto m = parse_magnet("magnet:?kt=a+b&xt.1=urn:btih:" + std::string(kHexLower) +
                        "&xl=1234&&mt=x&ws=http%3A%2F%2Fseed.example%2Ff");
  REQUIRE(m.ok());
  CHECK(m->info_hash.hex() == kHexLower);
  REQUIRE(m->web_seeds.size() == 1);
  CHECK(m->web_seeds[0] == "http://seed.example/f");
}

TEST_CASE("the first btih xt wins and btmh is ignored next to a btih") {
  const std::string other(40, 'b');
  auto m = parse_magnet("magnet:?xt=urn:btmh:1220" + std::string(64, 'c') +
                        "&xt=urn:btih:" + std::string(kHexLower) + "&xt=urn:btih:" + other);
  REQUIRE(m.ok());
  CHECK(m->info_hash.hex() == kHexLower);
}

TEST_CASE("x.pe peers: IPv4, bracketed IPv6 and host names") {
  auto m = parse_magnet(with_hash("&x.pe=10.0.0.1:6881&x.pe=%5B2001:db8::1%5D:51413"
                                  "&x.pe=[::ffff:1.2.3.4]:1&x.pe=peer.example.org:065535"
                                  "&x.pe.1=10.0.0.1:6881"));
  REQUIRE(m.ok());
  REQUIRE(m->peers.size() == 4);
  CHECK(m->peers[0] == "10.0.0.1:6881");
  CHECK(m->peers[1] == "[2001:db8::1]:51413");
  CHECK(m->peers[2] == "[::ffff:1.2.3.4]:1");
  CHECK(m->peers[3] == "peer.example.org:65535");
}

TEST_CASE("x.pe with a bad port or host is refused, naming the value") {
  CHECK(message(with_hash("&x.pe=1.2.3.4:99999")) ==
        "magnet: x.pe \"1.2.3.4:99999\" has an invalid port");
  CHECK(message(with_hash("&x.pe=1.2.3.4:0")) == "magnet: x.pe \"1.2.3.4:0\" has an invalid port");
  CHECK(message(with_hash("&x.pe=1.2.3.4:0000065536")).find("invalid port") != std::string::npos);
  CHECK(message(with_hash("&x.pe=1.2.3.4:")) == "magnet: x.pe \"1.2.3.4:\" has an invalid port");
  CHECK(message(with_hash("&x.pe=1.2.3.4:8a")) == "magnet: x.pe \"1.2.3.4:8a\" has an invalid port");
  CHECK(message(with_hash("&x.pe=1.2.3.4")).find("invalid port") != std::string::npos);
  CHECK(message(with_hash("&x.pe=2001:db8::1:80")).find("[addr]:port") != std::string::npos);
  CHECK(message(with_hash("&x.pe=[2001:db8::1:80")).find("unterminated") != std::string::npos);
  CHECK(message(with_hash("&x.pe=[1.2.3.4]:80")).find("invalid host") != std::string::npos);
  CHECK(message(with_hash("&x.pe=:80")).find("invalid host") != std::string::npos);
  CHECK(message(with_hash("&x.pe=a%2Fb:80")).find("invalid host") != std::string::npos);
}

TEST_CASE("xt missing, not BitTorrent, or v2-only") {
  CHECK(message("magnet:?dn=x&tr=http%3A%2F%2Fa") == "magnet: xt is missing");
  CHECK(message("magnet:?") == "magnet: xt is missing");
  CHECK(message("magnet:?xt=urn:sha1:YNCKHTQCWBTRNJIV4WNAE52SJUQCZO5C") ==
        "magnet: xt \"urn:sha1:YNCKHTQCWBTRNJIV4WNAE52SJUQCZO5C\" is not a BitTorrent info-hash "
        "(expected urn:btih:...)");
  CHECK(message("magnet:?xt=urn:btmh:1220" + std::string(64, 'c')) ==
        "magnet: v2-only magnet (urn:btmh) is not supported");
}

TEST_CASE("bad hex and bad base32 info-hashes") {
  CHECK(message("magnet:?xt=urn:btih:xyz") ==
        "magnet: xt \"urn:btih:xyz\" is not a 40-char hex or 32-char base32 info-hash");
  // 40 chars, one not hex.
  CHECK(message("magnet:?xt=urn:btih:g9993e364706816aba3e25717850c26c9cd0d89d").find(
            "is not a 40-char hex") != std::string::npos);
  // 39 and 41 hex chars.
  CHECK_FALSE(parse_magnet("magnet:?xt=urn:btih:" + std::string(kHexLower.substr(1))).ok());
  CHECK_FALSE(parse_magnet("magnet:?xt=urn:btih:" + std::string(kHexLower) + "0").ok());
  // 32 chars with '1' and '8', which are not in the base32 alphabet.
  CHECK(message("magnet:?xt=urn:btih:1GMT4NSHA2AWVOR6EVYXQUGCNSONBWE8").find(
            "32-char base32") != std::string::npos);
  CHECK_FALSE(parse_magnet("magnet:?xt=urn:btih:").ok());
}

TEST_CASE("bad percent-encoding names the field and the spot") {
  CHECK(message(with_hash("&tr=http%zz")) == "magnet: bad percent-encoding in tr at \"%zz\"");
  CHECK(message(with_hash("&dn=abc%4")) == "magnet: bad percent-encoding in dn at \"%4\"");
  CHECK(message(with_hash("&ws=abc%")) == "magnet: bad percent-encoding in ws at \"%\"");
  CHECK(message("magnet:?xt=urn%3Abtih%3G" + std::string(kHexLower)) ==
        "magnet: bad percent-encoding in xt at \"%3G\"");
  // Percent-encoded xt is accepted.
  auto m = parse_magnet("magnet:?xt=urn%3Abtih%3A" + std::string(kHexLower));
  REQUIRE(m.ok());
  CHECK(m->info_hash.hex() == kHexLower);
}

TEST_CASE("not a magnet URI") {
  const std::string expected = "magnet: not a magnet URI (must start with \"magnet:?\")";
  CHECK(message("http://example.com/?xt=urn:btih:" + std::string(kHexLower)) == expected);
  CHECK(message("magnet:xt=urn:btih:" + std::string(kHexLower)) == expected);
  CHECK(message("magnet") == expected);
  CHECK(message("magnet:") == expected);
  CHECK(message("") == expected);
  CHECK(parse_magnet("MaGnEt:?xt=urn:btih:" + std::string(kHexLower)).ok());
}

TEST_CASE("URIs longer than 64 KiB are refused before parsing") {
  std::string uri = with_hash("&dn=");
  uri.resize(kMaxMagnetBytes, 'a');
  CHECK(parse_magnet(uri).ok());
  uri.push_back('a');
  const Error e = parse_error(uri);
  CHECK(e.is(Errc::limit_exceeded));
  CHECK(e.message.find("65537 bytes") != std::string::npos);
}

TEST_CASE("so (BEP 53) keeps the raw list and checks its shape") {
  auto m = parse_magnet(with_hash("&so=0,2,4-6"));
  REQUIRE(m.ok());
  REQUIRE(m->select_only.has_value());
  CHECK(*m->select_only == "0,2,4-6");
  for (const char* bad : {"", "1,,2", "a", "1-", "-3", "1-2-3", "3,"}) {
    CAPTURE(bad);
    CHECK(message(with_hash(std::string("&so=") + bad)).find("magnet: so ") == 0);
  }
}

TEST_CASE("error messages escape control bytes and cut long values") {
  CHECK(message("magnet:?xt=urn:btih:%01%22") ==
        "magnet: xt \"urn:btih:\\x01\\x22\" is not a 40-char hex or 32-char base32 info-hash");
  const std::string msg = message(with_hash("&x.pe=" + std::string(300, 'h') + ":0"));
  CHECK(msg.size() < 200);
  CHECK(msg.find("...\"") != std::string::npos);
}

TEST_CASE("make_magnet percent-encodes and parse_magnet reads it back") {
  const InfoHash hash = sha1("abc");
  const std::vector<std::string> trackers = {"http://t.example/announce?k=a&b=1",
                                             "udp://u.example:6969"};
  const std::string uri = make_magnet(hash, "A name & 100% +more/ü", trackers);
  CHECK(uri ==
        "magnet:?xt=urn:btih:a9993e364706816aba3e25717850c26c9cd0d89d"
        "&dn=A%20name%20%26%20100%25%20%2Bmore%2F%C3%BC"
        "&tr=http%3A%2F%2Ft.example%2Fannounce%3Fk%3Da%26b%3D1&tr=udp%3A%2F%2Fu.example%3A6969");
  auto m = parse_magnet(uri);
  REQUIRE(m.ok());
  CHECK(m->info_hash == hash);
  CHECK(m->display_name == "A name & 100% +more/ü");
  CHECK(m->trackers == trackers);

  CHECK(make_magnet(hash, "", {}) == "magnet:?xt=urn:btih:a9993e364706816aba3e25717850c26c9cd0d89d");
}
