#pragma once
// Peer wire messages (BEP 3, the BEP 5 port, BEP 6 fast extension, BEP 10 extended) as plain
// structs in one variant, parsed from and encoded to the length-prefixed frames of the stream.
//
// Parsing is zero-copy: string_views in a parsed message (bitfield bytes, piece blocks, extended
// payloads) point into the caller's frame buffer and live only as long as it does.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "core/util/result.hpp"
#include "core/util/strong_index.hpp"

namespace btd::wire {

enum class MessageId : std::uint8_t {
  choke = 0,
  unchoke = 1,
  interested = 2,
  not_interested = 3,
  have = 4,
  bitfield = 5,
  request = 6,
  piece = 7,
  cancel = 8,
  port = 9,             // BEP 5
  suggest = 13,         // BEP 6 from here to allowed_fast
  have_all = 14,
  have_none = 15,
  reject_request = 16,
  allowed_fast = 17,
  extended = 20,        // BEP 10
};

struct KeepAlive { bool operator==(const KeepAlive&) const = default; };
struct Choke { bool operator==(const Choke&) const = default; };
struct Unchoke { bool operator==(const Unchoke&) const = default; };
struct Interested { bool operator==(const Interested&) const = default; };
struct NotInterested { bool operator==(const NotInterested&) const = default; };
struct HaveAll { bool operator==(const HaveAll&) const = default; };
struct HaveNone { bool operator==(const HaveNone&) const = default; };

struct Have {
  PieceIndex piece;
  bool operator==(const Have&) const = default;
};

// Raw bitfield bytes, high bit first. Whether the length matches the torrent's piece count and
// the spare bits are zero is the session's check: only it knows the piece count.
struct BitfieldMsg {
  std::string_view bytes;
  bool operator==(const BitfieldMsg&) const = default;
};

// Request, Cancel and RejectRequest name the same block triple.
struct Request {
  PieceIndex piece;
  std::uint32_t begin = 0;
  std::uint32_t length = 0;
  bool operator==(const Request&) const = default;
};

struct Cancel {
  PieceIndex piece;
  std::uint32_t begin = 0;
  std::uint32_t length = 0;
  bool operator==(const Cancel&) const = default;
};

struct RejectRequest {
  PieceIndex piece;
  std::uint32_t begin = 0;
  std::uint32_t length = 0;
  bool operator==(const RejectRequest&) const = default;
};

struct Piece {
  PieceIndex piece;
  std::uint32_t begin = 0;
  std::string_view block;
  bool operator==(const Piece&) const = default;
};

struct Port {
  std::uint16_t port = 0;
  bool operator==(const Port&) const = default;
};

struct Suggest {
  PieceIndex piece;
  bool operator==(const Suggest&) const = default;
};

struct AllowedFast {
  PieceIndex piece;
  bool operator==(const AllowedFast&) const = default;
};

// BEP 10: `id` 0 is the extension handshake, any other id is one the receiver assigned in its
// own handshake's "m" dictionary.
struct Extended {
  std::uint8_t id = 0;
  std::string_view payload;
  bool operator==(const Extended&) const = default;
};

// An id this codec does not know. BEP 3 says to ignore it; the session decides.
struct Unknown {
  std::uint8_t id = 0;
  std::string_view payload;
  bool operator==(const Unknown&) const = default;
};

using Message = std::variant<KeepAlive, Choke, Unchoke, Interested, NotInterested, Have, BitfieldMsg,
                             Request, Piece, Cancel, Port, Suggest, HaveAll, HaveNone, RejectRequest,
                             AllowedFast, Extended, Unknown>;

// Bytes of a piece message before its block: length prefix, id, index, begin.
inline constexpr std::size_t kPieceHeaderSize = 13;

// `frame_payload` is one frame without its 4-byte length prefix (as FrameDecoder yields it); an
// empty payload is a keep-alive. Every known id has its length checked exactly; a violation is
// Errc::protocol_error naming the message and the length received.
Result<Message> parse_message(std::string_view frame_payload);

// Appends the length prefix, the id and the payload.
void encode(std::string& out, const Message& message);

// Appends only the 13-byte header of a piece message carrying `block_length` bytes, so the block
// can be sent from its own buffer (a scatter write) instead of being copied behind it.
void encode_piece_header(std::string& out, PieceIndex piece, std::uint32_t begin, std::uint32_t block_length);

// "have", "piece", "extended", ... for logs and error messages.
std::string_view message_name(const Message& message);

}  // namespace btd::wire
