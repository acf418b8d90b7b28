#include "core/wire/frame_decoder.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "core/wire/big_endian.hpp"
#include "core/wire/handshake.hpp"
#include "core/wire/message.hpp"

using namespace btd;
using namespace btd::wire;
using namespace std::string_literals;

namespace {

// Pops everything complete; fails the test on a decoder error.
std::vector<std::string> drain(FrameDecoder& d) {
  std::vector<std::string> frames;
  for (;;) {
    auto f = d.pop();
    REQUIRE(f.ok());
    if (!*f) return frames;
    frames.emplace_back(**f);
  }
}

std::string stream_of_messages() {
  std::string s;
  encode(s, Unchoke{});
  encode(s, KeepAlive{});
  encode(s, Have{PieceIndex(7)});
  encode(s, Piece{PieceIndex(1), 0, std::string(16384, 'b')});
  encode(s, KeepAlive{});
  encode(s, Request{PieceIndex(2), 16384, 16384});
  return s;
}

const std::vector<std::string> kExpected = {
    "\x01"s, ""s, "\x04\0\0\0\x07"s, "\x07\0\0\0\x01\0\0\0\0"s + std::string(16384, 'b'), ""s,
    "\x06\0\0\0\x02\0\0\x40\0\0\0\x40\0"s,
};

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("several frames in one feed") {
  FrameDecoder d;
  d.feed(stream_of_messages());
  CHECK(drain(d) == kExpected);
  CHECK(d.unconsumed().empty());
}

TEST_CASE("fed byte by byte, frames appear exactly when their last byte arrives") {
  const std::string s = stream_of_messages();
  FrameDecoder d;
  std::vector<std::string> frames;
  for (char c : s) {
    d.feed(std::string_view(&c, 1));
    for (auto& f : drain(d)) frames.push_back(std::move(f));
  }
  CHECK(frames == kExpected);
}

TEST_CASE("fed in uneven chunks, including through prepare and commit") {
  const std::string s = stream_of_messages();
  for (std::size_t chunk : {3u, 7u, 4096u, 10000u}) {
    CAPTURE(chunk);
    FrameDecoder d;
    std::vector<std::string> frames;
    for (std::size_t at = 0; at < s.size(); at += chunk) {
      const std::string_view part = std::string_view(s).substr(at, chunk);
      if ((at / chunk) % 2 == 0) {
        d.feed(part);
      } else {
        char* dst = d.prepare(chunk);
        std::memcpy(dst, part.data(), part.size());
        d.commit(part.size());
      }
      for (auto& f : drain(d)) frames.push_back(std::move(f));
    }
    CHECK(frames == kExpected);
  }
}

TEST_CASE("keep-alive is a zero-length frame") {
  FrameDecoder d;
  d.feed("\0\0\0"s);
  auto none = d.pop();
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  d.feed("\0"s);
  auto ka = d.pop();
  REQUIRE(ka.ok());
  REQUIRE(ka->has_value());
  CHECK((*ka)->empty());
  CHECK(*parse_message(**ka) == Message{KeepAlive{}});
}

TEST_CASE("a 4 GiB length prefix fails at once, without waiting for or allocating the body") {
  FrameDecoder d;
  d.feed("\xff\xff\xff\xff"s);
  auto r = d.pop();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(Errc::protocol_error));
  CHECK(contains(r.error().message, "message of 4294967295 bytes exceeds the limit of 1048576"));
  CHECK(d.buffer_capacity() < 1024 * 1024);
  // The decoder stays failed: more bytes change nothing.
  d.feed("\0\0\0\0"s);
  CHECK_FALSE(d.pop().ok());
}

TEST_CASE("the limit is inclusive and configurable") {
  FrameDecoder d(16);
  CHECK(d.max_message_size() == 16);
  d.feed("\0\0\0\x10"s + std::string(16, 'x'));
  auto ok = d.pop();
  REQUIRE(ok.ok());
  CHECK((*ok)->size() == 16);
  d.feed("\0\0\0\x11"s);
  auto too_big = d.pop();
  REQUIRE_FALSE(too_big.ok());
  CHECK(contains(too_big.error().message, "message of 17 bytes exceeds the limit of 16"));
}

TEST_CASE("the handshake is read from the same buffer, and what follows it is kept") {
  Handshake h;
  h.reserved.set_extension_protocol(true);
  std::string wire;
  encode(wire, h);
  encode(wire, HaveAll{});
  FrameDecoder d;
  d.feed(std::string_view(wire).substr(0, 30));
  CHECK(parse_handshake(d.unconsumed())->state == HandshakeParse::State::need_more);
  d.feed(std::string_view(wire).substr(30, 40));  // the handshake and 2 bytes of the next frame
  auto parsed = parse_handshake(d.unconsumed());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->state == HandshakeParse::State::complete);
  CHECK(parsed->handshake.reserved.extension_protocol());
  d.consume(parsed->consumed);
  CHECK(d.unconsumed() == "\0\0"s);
  CHECK(drain(d).empty());
  d.feed(std::string_view(wire).substr(70));
  CHECK(drain(d) == std::vector<std::string>{"\x0e"s});
}

TEST_CASE("a long stream in small reads keeps the buffer bounded") {
  // 2000 16 KiB blocks arriving in 1000-byte reads: without consuming by offset and compacting,
  // the buffer would grow with the stream.
  std::string one;
  encode(one, Piece{PieceIndex(0), 0, std::string(16384, 'q')});
  FrameDecoder d;
  std::size_t frames = 0;
  std::string pending;
  for (int i = 0; i < 2000; ++i) {
    pending += one;
    while (pending.size() >= 1000) {
      d.feed(std::string_view(pending).substr(0, 1000));
      pending.erase(0, 1000);
      frames += drain(d).size();
    }
  }
  d.feed(pending);
  frames += drain(d).size();
  CHECK(frames == 2000);
  CHECK(d.buffer_capacity() <= 64 * 1024);
}

TEST_CASE("popped views stay valid until the next feed") {
  FrameDecoder d;
  d.feed("\0\0\0\x02" "ab" "\0\0\0\x03" "cde"s);
  auto a = d.pop();
  auto b = d.pop();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(a->has_value());
  REQUIRE(b->has_value());
  CHECK(**a == "ab");
  CHECK(**b == "cde");
  CHECK(d.unconsumed().empty());
}

TEST_CASE("frames at the size limit, in socket-sized reads, hold one frame and a read, not twice the limit") {
  // A peer parking a frame just under 1 MiB on each connection must cost about 1 MiB, not the
  // 2 MiB that doubling the buffer would reach.
  FrameDecoder d;
  const std::uint32_t max = FrameDecoder::kDefaultMaxMessageSize;
  std::string frame;
  encode(frame, Extended{1, std::string(max - 2, 'e')});
  std::string stream;
  for (int i = 0; i < 5; ++i) stream += frame;
  encode(stream, Have{PieceIndex(3)});
  std::size_t frames = 0;
  std::size_t largest = 0;
  for (std::size_t at = 0; at < stream.size(); at += 65536) {
    d.feed(std::string_view(stream).substr(at, 65536));
    largest = std::max(largest, d.buffer_capacity());
    for (auto& f : drain(d)) {
      CHECK((f.size() == max || f == "\x04\0\0\0\x03"s));
      ++frames;
    }
  }
  CHECK(frames == 6);
  CHECK(largest <= 4 + std::size_t{max} + 64 * 1024);
}

TEST_CASE("odd frame sizes and read sizes near the limit decode exactly") {
  // Frames of 60%, 100% and 3% of the limit interleaved, read in 50000-byte chunks: the
  // compactions forced by the size bound must never lose or reorder a byte.
  FrameDecoder d(100000);
  std::string stream;
  std::vector<std::string> want;
  for (int i = 0; i < 20; ++i) {
    for (std::size_t size : {std::size_t{60000}, std::size_t{100000}, std::size_t{3000}}) {
      std::string payload(size, static_cast<char>('a' + i));
      payload[0] = static_cast<char>(20);
      payload[size - 1] = static_cast<char>(i);
      append_u32(stream, static_cast<std::uint32_t>(size));
      stream += payload;
      want.push_back(payload);
    }
  }
  std::vector<std::string> got;
  for (std::size_t at = 0; at < stream.size(); at += 50000) {
    d.feed(std::string_view(stream).substr(at, 50000));
    CHECK(d.buffer_capacity() <= 4 + 100000 + 64 * 1024);
    for (auto& f : drain(d)) got.push_back(std::move(f));
  }
  CHECK(got == want);
}
