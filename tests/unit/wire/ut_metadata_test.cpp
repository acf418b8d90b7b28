#include "core/wire/ut_metadata.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace btd;
using namespace btd::wire;

namespace {

std::string parse_error(std::string_view payload) {
  auto r = parse_ut_metadata(payload);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(Errc::protocol_error));
  return r.error().message;
}

}  // namespace

TEST_CASE("ut_metadata piece geometry: 16 KiB pieces, a short last one") {
  CHECK(metadata_piece_count(0) == 0);
  CHECK(metadata_piece_count(1) == 1);
  CHECK(metadata_piece_count(16384) == 1);
  CHECK(metadata_piece_count(16385) == 2);
  CHECK(metadata_piece_count(31 * 1024 * 1024) == 1920);  // clamped to the limit
  CHECK(kMaxMetadataPieces == 1920);
  CHECK(metadata_piece_size(16385, 0) == 16384);
  CHECK(metadata_piece_size(16385, 1) == 1);
  CHECK(metadata_piece_size(16385, 2) == 0);
  CHECK(metadata_piece_size(40000, 2) == 40000 - 32768);
  CHECK(metadata_piece_size(kMaxMetadataSize + 1, 0) == 0);
}

TEST_CASE("ut_metadata messages encode to BEP 9's bytes") {
  CHECK(encode_ut_metadata_request(0) == "d8:msg_typei0e5:piecei0ee");
  CHECK(encode_ut_metadata_reject(7) == "d8:msg_typei2e5:piecei7ee");
  CHECK(encode_ut_metadata_data(1, 16389, "hello") == "d8:msg_typei1e5:piecei1e10:total_sizei16389eehello");
}

TEST_CASE("ut_metadata messages from the wire decode") {
  SUBCASE("request") {
    auto r = parse_ut_metadata("d8:msg_typei0e5:piecei3ee");
    REQUIRE(r.ok());
    CHECK(r->type == UtMetadataType::request);
    CHECK(r->piece == 3);
  }
  SUBCASE("reject, keys out of order as some clients send them") {
    auto r = parse_ut_metadata("d5:piecei1e8:msg_typei2ee");
    REQUIRE(r.ok());
    CHECK(r->type == UtMetadataType::reject);
    CHECK(r->piece == 1);
  }
  SUBCASE("data: the piece follows the dict") {
    auto r = parse_ut_metadata("d8:msg_typei1e5:piecei1e10:total_sizei16389eehello");
    REQUIRE(r.ok());
    CHECK(r->type == UtMetadataType::data);
    CHECK(r->piece == 1);
    CHECK(r->total_size == 16389);
    CHECK(r->data == "hello");
  }
  SUBCASE("data that is the whole (small) metadata") {
    auto r = parse_ut_metadata("d8:msg_typei1e5:piecei0e10:total_sizei5eed1:ae");
    REQUIRE(r.ok());
    CHECK(r->data == "d1:ae");
  }
  SUBCASE("a full 16 KiB piece round-trips") {
    const std::string block(16384, 'q');
    const std::string payload = encode_ut_metadata_data(0, 20000, block);  // r->data points into it
    auto r = parse_ut_metadata(payload);
    REQUIRE(r.ok());
    CHECK(r->data == block);
  }
  SUBCASE("an unknown msg_type is ignored, not an error (BEP 9)") {
    auto r = parse_ut_metadata("d8:msg_typei9e5:piecei0ee");
    REQUIRE(r.ok());
    CHECK(r->type == UtMetadataType::unknown);
  }
  SUBCASE("unknown keys are ignored") {
    auto r = parse_ut_metadata("d8:msg_typei0e5:piecei0e4:zzzz3:abce");
    REQUIRE(r.ok());
    CHECK(r->type == UtMetadataType::request);
  }
}

TEST_CASE("hostile ut_metadata messages are refused with a reason") {
  CHECK(parse_error("").find("peer ut_metadata message") != std::string::npos);
  CHECK(parse_error("d8:msg_typei0e5:piecei0e").size() > 0);  // truncated dict
  CHECK(parse_error("li0ei0ee").find("dictionary") != std::string::npos);
  CHECK(parse_error("d5:piecei0ee").find("msg_type") != std::string::npos);
  CHECK(parse_error("d8:msg_type1:05:piecei0ee").find("msg_type") != std::string::npos);
  CHECK(parse_error("d8:msg_typei0ee").find("piece") != std::string::npos);
  CHECK(parse_error("d8:msg_typei0e5:piece1:0e").find("piece") != std::string::npos);
  CHECK(parse_error("d8:msg_typei0e5:piecei-1ee").find("piece -1 is out of range") != std::string::npos);
  CHECK(parse_error("d8:msg_typei0e5:piecei1920ee").find("piece 1920 is out of range") != std::string::npos);
  CHECK(parse_error("d8:msg_typei0e5:piecei99999999999999999999ee").size() > 0);
  // Requests and rejects carry nothing after the dict.
  CHECK(parse_error("d8:msg_typei0e5:piecei0eexyz").find("3 unexpected bytes after a request") !=
        std::string::npos);
  CHECK(parse_error("d8:msg_typei2e5:piecei0eex").find("after a reject") != std::string::npos);
  // Data: total_size present, within 1 byte..30 MiB, the piece in range, the exact length.
  CHECK(parse_error("d8:msg_typei1e5:piecei0eeabc").find("no integer total_size") != std::string::npos);
  CHECK(parse_error("d8:msg_typei1e5:piecei0e10:total_sizei0ee").find("total_size 0") != std::string::npos);
  CHECK(parse_error("d8:msg_typei1e5:piecei0e10:total_sizei-5eeabc").find("total_size -5") != std::string::npos);
  CHECK(parse_error("d8:msg_typei1e5:piecei0e10:total_sizei31457281eeabc").find("total_size 31457281") !=
        std::string::npos);
  CHECK(parse_error("d8:msg_typei1e5:piecei1e10:total_sizei3eeabc")
            .find("data for piece 1, but a total_size of 3 bytes has 1 pieces") != std::string::npos);
  CHECK(parse_error("d8:msg_typei1e5:piecei0e10:total_sizei3eeab").find("has 2 bytes, expected 3") !=
        std::string::npos);
  CHECK(parse_error("d8:msg_typei1e5:piecei0e10:total_sizei3eeabcd").find("has 4 bytes, expected 3") !=
        std::string::npos);
  CHECK(parse_error(encode_ut_metadata_data(0, 40000, std::string(16385, 'x'))).find("expected 16384") !=
        std::string::npos);
  // Nesting past what a real message has is refused before it costs anything.
  CHECK(parse_error("d8:msg_typei0e5:piecei0e1:xllllllllllleeeeeeeeeeee").size() > 0);
}

TEST_CASE("exactly 30 MiB of metadata is accepted, its last piece included") {
  const std::uint64_t size = kMaxMetadataSize;
  auto r = parse_ut_metadata(encode_ut_metadata_data(1919, size, std::string(16384, 'z')));
  REQUIRE(r.ok());
  CHECK(r->piece == 1919);
}
