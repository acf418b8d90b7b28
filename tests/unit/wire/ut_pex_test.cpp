#include "core/wire/ut_pex.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace btd;
using namespace btd::wire;
using namespace std::string_literals;

namespace {

std::string parse_error(std::string_view payload) {
  auto r = parse_ut_pex(payload);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(Errc::protocol_error));
  return r.error().message;
}

// A bencoded string of raw bytes.
std::string bstr(const std::string& raw) { return std::to_string(raw.size()) + ":" + raw; }

}  // namespace

TEST_CASE("ut_pex encodes libtorrent's six keys with compact entries and one flag byte per added peer") {
  PexMessage m;
  m.added.push_back({{"1.2.3.4", 6881}, kPexFlagReachable | kPexFlagSeed});
  m.added.push_back({{"::1", 0x1234}, kPexFlagEncryption});
  m.dropped.push_back({"10.0.0.1", 80});
  const std::string expected = "d5:added6:\x01\x02\x03\x04\x1a\xe1" "7:added.f1:\x12" "6:added618:"s +
                               std::string(15, '\0') + "\x01\x12\x34" "8:added6.f1:\x01" +
                               "7:dropped6:\x0a\x00\x00\x01\x00\x50"s + "8:dropped60:" + "e";
  CHECK(encode_ut_pex(m) == expected);
  CHECK(encode_ut_pex({}) == "d5:added0:7:added.f0:6:added60:8:added6.f0:7:dropped0:8:dropped60:e");
}

TEST_CASE("ut_pex round trip keeps peers, flags and dropped peers of both families") {
  PexMessage m;
  m.added.push_back({{"192.168.1.20", 51413}, kPexFlagReachable});
  m.added.push_back({{"10.1.2.3", 1}, 0});
  m.added.push_back({{"2001:db8::7", 6881}, kPexFlagUtp | kPexFlagSeed});
  m.dropped.push_back({"8.8.4.4", 443});
  m.dropped.push_back({"fe80::1", 9});
  auto r = parse_ut_pex(encode_ut_pex(m));
  REQUIRE(r.ok());
  CHECK(*r == m);
}

TEST_CASE("ut_pex parsing: unknown keys and unsorted keys are fine, missing lists are empty") {
  auto r = parse_ut_pex("d7:dropped6:\x01\x01\x01\x01\x00\x01" "1:xi5e5:added6:\x02\x02\x02\x02\x00\x02" "e"s);
  REQUIRE(r.ok());
  REQUIRE(r->added.size() == 1);
  CHECK(r->added[0].endpoint == tracker::PeerEndpoint{"2.2.2.2", 2});
  CHECK(r->added[0].flags == 0);  // no added.f
  REQUIRE(r->dropped.size() == 1);
  CHECK(r->dropped[0] == tracker::PeerEndpoint{"1.1.1.1", 1});
  auto empty = parse_ut_pex("de");
  REQUIRE(empty.ok());
  CHECK(empty->added.empty());
  CHECK(empty->dropped.empty());
}

TEST_CASE("ut_pex parsing: flags of the wrong length are ignored, port 0 peers are skipped") {
  const std::string two = "\x01\x02\x03\x04\x00\x00" "\x05\x06\x07\x08\x00\x07"s;
  auto r = parse_ut_pex("d5:added" + bstr(two) + "7:added.f1:\x10" "e");
  REQUIRE(r.ok());
  REQUIRE(r->added.size() == 1);  // the port-0 entry is gone
  CHECK(r->added[0].endpoint == tracker::PeerEndpoint{"5.6.7.8", 7});
  CHECK(r->added[0].flags == 0);
  // With the right length, the flag stays with its own peer even when an earlier one is skipped.
  auto aligned = parse_ut_pex("d5:added" + bstr(two) + "7:added.f2:\x02\x10" "e");
  REQUIRE(aligned.ok());
  REQUIRE(aligned->added.size() == 1);
  CHECK(aligned->added[0].flags == 0x10);
}

TEST_CASE("ut_pex parsing: at most max_entries peers per list are decoded") {
  std::string many;
  for (int i = 0; i < 500; ++i) many += "\x0a\x00"s + static_cast<char>(i >> 8) + static_cast<char>(i) + "\x1a\xe1";
  PexLimits limits;
  limits.max_entries = 200;
  auto r = parse_ut_pex("d5:added" + bstr(many) + "7:dropped" + bstr(many) + "e", limits);
  REQUIRE(r.ok());
  CHECK(r->added.size() == 200);
  CHECK(r->dropped.size() == 200);
  CHECK(r->added.back().endpoint == tracker::PeerEndpoint{"10.0.0.199", 6881});
}

TEST_CASE("ut_pex parsing refuses malformed messages, naming what is wrong") {
  CHECK(parse_error("le").find("dictionary") != std::string::npos);
  CHECK(parse_error("d5:added").find("ut_pex") != std::string::npos);
  CHECK(parse_error("d5:addedi5ee").find("\"added\" is not a string") != std::string::npos);
  CHECK(parse_error("d5:added5:12345e").find("not a multiple of 6") != std::string::npos);
  CHECK(parse_error("d6:added66:123456e").find("not a multiple of 18") != std::string::npos);
  CHECK(parse_error("d8:dropped6le" "e").find("\"dropped6\" is not a string") != std::string::npos);
  CHECK(parse_error("d7:added.fi1ee").find("\"added.f\" is not a string") != std::string::npos);
  CHECK(parse_error("d5:added6:\x01\x02\x03\x04\x00\x01" "e trailing"s).find("ut_pex") != std::string::npos);
  CHECK(parse_error(std::string(17 * 1024, 'd')).find("exceeds the limit") != std::string::npos);
}
