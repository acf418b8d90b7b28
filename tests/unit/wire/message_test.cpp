#include "core/wire/message.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace btd;
using namespace btd::wire;
using namespace std::string_literals;

namespace {

std::string encoded(const Message& m) {
  std::string out;
  encode(out, m);
  return out;
}

// The frame payload of an encoded message: what FrameDecoder hands to parse_message.
std::string_view payload_of(const std::string& frame) { return std::string_view(frame).substr(4); }

std::string parse_error(std::string_view payload) {
  auto r = parse_message(payload);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(Errc::protocol_error));
  return r.error().message;
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("fixed messages encode byte for byte as BEP 3 and BEP 6 spell them") {
  CHECK(encoded(KeepAlive{}) == "\0\0\0\0"s);
  CHECK(encoded(Choke{}) == "\0\0\0\x01\x00"s);
  CHECK(encoded(Unchoke{}) == "\0\0\0\x01\x01"s);
  CHECK(encoded(Interested{}) == "\0\0\0\x01\x02"s);
  CHECK(encoded(NotInterested{}) == "\0\0\0\x01\x03"s);
  CHECK(encoded(HaveAll{}) == "\0\0\0\x01\x0e"s);
  CHECK(encoded(HaveNone{}) == "\0\0\0\x01\x0f"s);
}

TEST_CASE("messages with fields encode big-endian") {
  CHECK(encoded(Have{PieceIndex(0x01020304)}) == "\0\0\0\x05\x04\x01\x02\x03\x04"s);
  CHECK(encoded(Suggest{PieceIndex(7)}) == "\0\0\0\x05\x0d\0\0\0\x07"s);
  CHECK(encoded(AllowedFast{PieceIndex(256)}) == "\0\0\0\x05\x11\0\0\x01\x00"s);
  CHECK(encoded(BitfieldMsg{"\xff\x80"}) == "\0\0\0\x03\x05\xff\x80"s);
  CHECK(encoded(Request{PieceIndex(1), 0x4000, 0x4000}) == "\0\0\0\x0d\x06\0\0\0\x01\0\0\x40\0\0\0\x40\0"s);
  CHECK(encoded(Cancel{PieceIndex(1), 0x4000, 0x4000}) == "\0\0\0\x0d\x08\0\0\0\x01\0\0\x40\0\0\0\x40\0"s);
  CHECK(encoded(RejectRequest{PieceIndex(2), 0, 0x4000}) == "\0\0\0\x0d\x10\0\0\0\x02\0\0\0\0\0\0\x40\0"s);
  CHECK(encoded(Piece{PieceIndex(3), 0x8000, "abc"}) == "\0\0\0\x0c\x07\0\0\0\x03\0\0\x80\0abc"s);
  CHECK(encoded(Port{6881}) == "\0\0\0\x03\x09\x1a\xe1"s);
  CHECK(encoded(Extended{0, "de"}) == "\0\0\0\x04\x14\x00" "de"s);
  CHECK(encoded(Unknown{0x42, "xy"}) == "\0\0\0\x03\x42xy"s);
}

TEST_CASE("encode appends to what the buffer already holds") {
  std::string out = "prefix";
  encode(out, Have{PieceIndex(1)});
  encode(out, Unchoke{});
  CHECK(out == "prefix\0\0\0\x05\x04\0\0\0\x01\0\0\0\x01\x01"s);
}

TEST_CASE("piece header fast path matches the full piece encoding") {
  const std::string block(16384, 'z');
  std::string header;
  encode_piece_header(header, PieceIndex(9), 32768, static_cast<std::uint32_t>(block.size()));
  CHECK(header.size() == kPieceHeaderSize);
  CHECK(header == "\0\0\x40\x09\x07\0\0\0\x09\0\0\x80\0"s);
  CHECK(header + block == encoded(Piece{PieceIndex(9), 32768, block}));
}

TEST_CASE("parses hand-written frames from the BEPs") {
  CHECK(*parse_message("") == Message{KeepAlive{}});
  CHECK(*parse_message("\x00"s) == Message{Choke{}});
  CHECK(*parse_message("\x01"s) == Message{Unchoke{}});
  CHECK(*parse_message("\x02"s) == Message{Interested{}});
  CHECK(*parse_message("\x03"s) == Message{NotInterested{}});
  CHECK(*parse_message("\x04\xff\xff\xff\xfe"s) == Message{Have{PieceIndex(0xfffffffe)}});
  CHECK(*parse_message("\x06\0\0\0\x01\0\0\x40\0\0\0\x40\0"s) == Message{Request{PieceIndex(1), 16384, 16384}});
  CHECK(*parse_message("\x09\xc8\xd5"s) == Message{Port{51413}});
  CHECK(*parse_message("\x0e"s) == Message{HaveAll{}});
  CHECK(*parse_message("\x0f"s) == Message{HaveNone{}});
  CHECK(*parse_message("\x11\0\0\0\x05"s) == Message{AllowedFast{PieceIndex(5)}});
}

TEST_CASE("parsed views point into the caller's buffer") {
  const std::string frame = "\x07\0\0\0\x02\0\0\0\x10hello"s;
  auto m = parse_message(frame);
  REQUIRE(m.ok());
  const auto& piece = std::get<Piece>(*m);
  CHECK(piece.piece == PieceIndex(2));
  CHECK(piece.begin == 16);
  CHECK(piece.block == "hello");
  CHECK(piece.block.data() == frame.data() + 9);

  const std::string bf = "\x05\xf0\x0f"s;
  auto b = parse_message(bf);
  REQUIRE(b.ok());
  CHECK(std::get<BitfieldMsg>(*b).bytes.data() == bf.data() + 1);
  CHECK(std::get<BitfieldMsg>(*b).bytes == "\xf0\x0f");
}

TEST_CASE("an empty piece block and an empty bitfield are well-formed") {
  CHECK(std::get<Piece>(*parse_message("\x07\0\0\0\x01\0\0\0\0"s)).block.empty());
  CHECK(std::get<BitfieldMsg>(*parse_message("\x05"s)).bytes.empty());
}

TEST_CASE("extended messages carry their own id byte") {
  const std::string frame = "\x14\x02" "d1:ai1ee"s;
  auto m = parse_message(frame);
  REQUIRE(m.ok());
  CHECK(std::get<Extended>(*m) == Extended{2, "d1:ai1ee"});
  CHECK(std::get<Extended>(*parse_message("\x14\x00"s)).payload.empty());
}

TEST_CASE("unknown ids surface with their payload instead of failing") {
  const std::string frame = "\x0a" "abc"s;
  auto m = parse_message(frame);
  REQUIRE(m.ok());
  CHECK(std::get<Unknown>(*m) == Unknown{10, "abc"});
  CHECK(std::get<Unknown>(*parse_message("\xff"s)) == Unknown{255, ""});
  CHECK(std::get<Unknown>(*parse_message("\x15xyz"s)).id == 21);
}

TEST_CASE("every fixed-size message rejects both a short and a long payload") {
  struct Case {
    char id;
    std::size_t size;
    std::string_view name;
  };
  const Case cases[] = {
      {0, 1, "choke"},        {1, 1, "unchoke"},       {2, 1, "interested"},
      {3, 1, "not interested"}, {4, 5, "have"},        {6, 13, "request"},
      {8, 13, "cancel"},      {9, 3, "port"},          {13, 5, "suggest piece"},
      {14, 1, "have all"},    {15, 1, "have none"},    {16, 13, "reject request"},
      {17, 5, "allowed fast"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    std::string good(c.size, '\0');
    good[0] = c.id;
    CHECK(parse_message(good).ok());

    const std::string longer = good + "x";
    const std::string err_long = parse_error(longer);
    CHECK(contains(err_long, std::string(c.name) + " message of " + std::to_string(c.size + 1) + " bytes"));
    CHECK(contains(err_long, "expected exactly " + std::to_string(c.size)));

    if (c.size > 1) {
      const std::string err_short = parse_error(good.substr(0, c.size - 1));
      CHECK(contains(err_short, std::string(c.name) + " message of " + std::to_string(c.size - 1) + " bytes"));
    }
  }
}

TEST_CASE("variable-size messages enforce their minimum") {
  CHECK(contains(parse_error("\x07\0\0\0\x01\0\0\0"s), "piece message of 8 bytes, expected at least 9"));
  CHECK(contains(parse_error("\x07"s), "piece message of 1 bytes"));
  CHECK(contains(parse_error("\x14"s), "extended message of 1 bytes, expected at least 2"));
}

TEST_CASE("every message survives an encode/parse round trip") {
  const Message messages[] = {
      KeepAlive{}, Choke{}, Unchoke{}, Interested{}, NotInterested{},
      Have{PieceIndex(123456)}, BitfieldMsg{"\xaa\x55\x01"}, Request{PieceIndex(4), 16384, 16384},
      Piece{PieceIndex(5), 0, "block data"}, Cancel{PieceIndex(6), 49152, 1024}, Port{65535},
      Suggest{PieceIndex(7)}, HaveAll{}, HaveNone{}, RejectRequest{PieceIndex(8), 0, 16384},
      AllowedFast{PieceIndex(0)}, Extended{3, "d1:xi1ee"}, Unknown{99, "??"},
  };
  for (const Message& m : messages) {
    CAPTURE(message_name(m));
    const std::string frame = encoded(m);
    auto back = parse_message(payload_of(frame));
    REQUIRE(back.ok());
    CHECK(*back == m);
  }
}

TEST_CASE("message names") {
  CHECK(message_name(Have{}) == "have");
  CHECK(message_name(RejectRequest{}) == "reject request");
  CHECK(message_name(KeepAlive{}) == "keep-alive");
}
