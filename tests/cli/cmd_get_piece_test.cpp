#include "cli/cmd_get_piece.hpp"

#include <doctest/doctest.h>

using namespace btd::cli;
using nlohmann::json;

namespace {
// FIPS 180 test vector: SHA-1("abc").
constexpr const char* kAbcSha1 = "a9993e364706816aba3e25717850c26c9cd0d89d";
}  // namespace

TEST_CASE("check_piece_bytes compares the SHA-1 of the bytes with the hex hash") {
  CHECK(check_piece_bytes("abc", kAbcSha1));
  CHECK(check_piece_bytes("abc", "A9993E364706816ABA3E25717850C26C9CD0D89D"));
  CHECK_FALSE(check_piece_bytes("abd", kAbcSha1));
  CHECK_FALSE(check_piece_bytes("", kAbcSha1));
  CHECK(check_piece_bytes("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"));
}

TEST_CASE("check_piece_bytes refuses a malformed hash") {
  CHECK_FALSE(check_piece_bytes("abc", ""));
  CHECK_FALSE(check_piece_bytes("abc", "a9993e364706816aba3e25717850c26c9cd0d89"));    // 39 digits
  CHECK_FALSE(check_piece_bytes("abc", "a9993e364706816aba3e25717850c26c9cd0d89d00"));  // 21 bytes
  CHECK_FALSE(check_piece_bytes("abc", "a9993e364706816aba3e25717850c26c9cd0d8zz"));
}

TEST_CASE("verified_piece_bytes accepts a whole, matching piece") {
  const json answer = json::parse(R"({"id":"0123456789abcdef0123456789abcdef01234567","index":3,
      "offset":0,"length":3,"sha1":"a9993e364706816aba3e25717850c26c9cd0d89d","data":"YWJj"})");
  auto bytes = verified_piece_bytes(answer, 3);
  REQUIRE(bytes.ok());
  CHECK(*bytes == "abc");
}

TEST_CASE("verified_piece_bytes refuses what it cannot check or what fails the check") {
  const json good = json::parse(R"({"index":3,"offset":0,"length":3,
      "sha1":"a9993e364706816aba3e25717850c26c9cd0d89d","data":"YWJj"})");
  auto refused = [&](const char* key, json value) {
    json j = good;
    j[key] = std::move(value);
    return !verified_piece_bytes(j, 3).ok();
  };
  CHECK_FALSE(verified_piece_bytes(good, 4).ok());  // another piece
  CHECK(refused("data", "YWJk"));                   // "abd": hash mismatch
  CHECK(refused("data", "YWJ"));                    // not base64
  CHECK(refused("data", "YWJjZA=="));               // 4 bytes, length says 3
  CHECK(refused("offset", 16384));                  // part of a piece: hash not checkable
  CHECK(refused("length", -3));
  CHECK(refused("sha1", "not hex"));
  CHECK(refused("sha1", 7));
  CHECK(refused("index", "3"));
  CHECK_FALSE(verified_piece_bytes(json::array(), 3).ok());

  json mismatch = good;
  mismatch["data"] = "YWJk";
  auto r = verified_piece_bytes(mismatch, 3);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("SHA-1") != std::string::npos);
  CHECK(r.error().message.find("a9993e36") != std::string::npos);
}
