// libFuzzer target: the peer wire codecs of core/wire, as a connection uses them. The input is
// what a peer sends: a BEP 3 handshake (if the input starts like one), then length-prefixed
// frames. Checked:
//  - the handshake parser's state matches how many bytes arrived, and a complete handshake
//    re-encodes to the bytes received;
//  - FrameDecoder yields the same frames (and the same error) however the stream is chunked;
//  - every message that parses re-encodes to exactly its frame;
//  - an extension handshake (extended id 0) that parses has values in range and survives
//    encode_payload -> parse unchanged.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/wire/extension_handshake.hpp"
#include "core/wire/frame_decoder.hpp"
#include "core/wire/handshake.hpp"
#include "core/wire/message.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

// Small enough that the fuzzer meets the limit with inputs of a few KiB.
constexpr std::uint32_t kMaxMessage = 4000;

struct Framed {
  std::vector<std::string> frames;
  std::optional<std::string> error;
};

// Feeds `stream` in chunks of the given sizes (cycled; an empty list is one chunk) and pops
// every frame after each chunk, as a socket read loop does.
Framed frame(std::string_view stream, const std::vector<std::size_t>& chunks, bool use_prepare) {
  btd::wire::FrameDecoder decoder(kMaxMessage);
  Framed out;
  std::size_t pos = 0;
  std::size_t k = 0;
  while (pos < stream.size() && !out.error) {
    std::size_t n = chunks.empty() ? stream.size() : chunks[k++ % chunks.size()];
    n = std::min(n, stream.size() - pos);
    if (use_prepare) {
      char* at = decoder.prepare(n + 3);  // ask for more than arrives, as a read would
      std::copy_n(stream.data() + pos, n, at);
      decoder.commit(n);
    } else {
      decoder.feed(stream.substr(pos, n));
    }
    pos += n;
    for (;;) {
      auto f = decoder.pop();
      if (!f) {
        out.error = f.error().message;
        // A failed decoder stays failed with the same error.
        auto again = decoder.pop();
        FUZZ_CHECK(!again && again.error().message == *out.error);
        break;
      }
      if (!*f) break;
      FUZZ_CHECK((*f)->size() <= kMaxMessage);
      out.frames.emplace_back(**f);
    }
    FUZZ_CHECK(out.error || decoder.unconsumed().size() < 4 + kMaxMessage);
  }
  return out;
}

void check_extension_handshake(std::string_view payload) {
  btd::wire::ExtensionHandshakeLimits limits;
  limits.max_payload = 2048;
  limits.max_metadata_size = 1 << 20;
  auto h = btd::wire::parse_extension_handshake(payload, limits);
  if (!h) {
    FUZZ_CHECK(h.error().is(btd::Errc::protocol_error));
    return;
  }
  FUZZ_CHECK(payload.size() <= limits.max_payload);
  if (h->metadata_size) FUZZ_CHECK(*h->metadata_size <= limits.max_metadata_size);
  if (h->reqq) FUZZ_CHECK(*h->reqq > 0);
  if (h->p) FUZZ_CHECK(*h->p > 0);
  if (h->yourip) FUZZ_CHECK(h->yourip->size() == 4 || h->yourip->size() == 16);
  if (h->ipv4) FUZZ_CHECK(h->ipv4->size() == 4);
  if (h->ipv6) FUZZ_CHECK(h->ipv6->size() == 16);
  FUZZ_CHECK(h->m.size() <= 128);

  const std::string encoded = btd::wire::encode_payload(*h);
  btd::wire::ExtensionHandshakeLimits unbounded;
  unbounded.max_payload = 1 << 20;
  auto back = btd::wire::parse_extension_handshake(encoded, unbounded);
  FUZZ_CHECK(back);
  FUZZ_CHECK(*back == *h);

  std::string framed;
  btd::wire::encode(framed, *h);
  FUZZ_CHECK(framed.size() == encoded.size() + 6);
  FUZZ_CHECK(framed.substr(6) == encoded);
}

void check_frame(const std::string& payload) {
  auto m = btd::wire::parse_message(payload);
  if (!m) {
    FUZZ_CHECK(m.error().is(btd::Errc::protocol_error));
    return;
  }
  FUZZ_CHECK(!btd::wire::message_name(*m).empty());
  std::string encoded;
  btd::wire::encode(encoded, *m);
  FUZZ_CHECK(encoded.size() == payload.size() + 4);
  FUZZ_CHECK(encoded.substr(4) == payload);
  auto again = btd::wire::parse_message(std::string_view(encoded).substr(4));
  FUZZ_CHECK(again && *again == *m);
  if (const auto* ext = std::get_if<btd::wire::Extended>(&*m); ext && ext->id == 0) {
    check_extension_handshake(ext->payload);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view stream = btd::fuzz::as_view(data, size);

  auto hs = btd::wire::parse_handshake(stream);
  if (hs) {
    using State = btd::wire::HandshakeParse::State;
    switch (hs->state) {
      case State::need_more: FUZZ_CHECK(stream.size() < btd::wire::kInfoHashEnd); break;
      case State::info_hash_known:
        FUZZ_CHECK(stream.size() >= btd::wire::kInfoHashEnd && stream.size() < btd::wire::kHandshakeSize);
        FUZZ_CHECK(hs->handshake.info_hash.view() ==
                   stream.substr(btd::wire::kInfoHashOffset, btd::Sha1Digest::kSize));
        break;
      case State::complete: {
        FUZZ_CHECK(hs->consumed == btd::wire::kHandshakeSize);
        std::string encoded;
        btd::wire::encode(encoded, hs->handshake);
        FUZZ_CHECK(encoded == stream.substr(0, btd::wire::kHandshakeSize));
        stream.remove_prefix(hs->consumed);
        break;
      }
    }
  } else {
    FUZZ_CHECK(!stream.starts_with(btd::wire::kProtocolString.substr(0, std::min<std::size_t>(stream.size(), 20))));
  }

  // Chunk sizes taken from the stream itself, so the fuzzer explores splits too.
  std::vector<std::size_t> chunks;
  for (std::size_t i = 0; i < std::min<std::size_t>(stream.size(), 8); ++i)
    chunks.push_back(1 + static_cast<unsigned char>(stream[i]) % 29);

  const Framed whole = frame(stream, {}, false);
  const Framed pieces = frame(stream, chunks, false);
  const Framed read_loop = frame(stream, chunks, true);
  FUZZ_CHECK(whole.frames == pieces.frames && whole.error == pieces.error);
  FUZZ_CHECK(whole.frames == read_loop.frames && whole.error == read_loop.error);

  for (const std::string& payload : whole.frames) check_frame(payload);
  return 0;
}
