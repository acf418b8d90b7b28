#include "core/wire/message.hpp"

#include <cassert>
#include <limits>

#include "core/wire/big_endian.hpp"

namespace btd::wire {
namespace {

constexpr std::uint8_t id_byte(MessageId id) { return static_cast<std::uint8_t>(id); }

Error wrong_size(std::string_view name, std::size_t got, std::string_view expectation, std::size_t want) {
  return Error(Errc::protocol_error, "peer sent a " + std::string(name) + " message of " + std::to_string(got) +
                                         " bytes, expected " + std::string(expectation) + std::to_string(want) +
                                         " (including the id byte)");
}

// Sizes below include the id byte, as BEP 3 counts them in the length prefix.
Result<Message> exact(std::string_view name, std::string_view p, std::size_t want, Message m) {
  if (p.size() != want) return wrong_size(name, p.size(), "exactly ", want);
  return m;
}

PieceIndex piece_at(std::string_view p, std::size_t at) { return PieceIndex(read_u32(p, at)); }

template <class BlockMessage>
Result<Message> block_triple(std::string_view name, std::string_view p) {
  if (p.size() != 13) return wrong_size(name, p.size(), "exactly ", 13);
  return Message{BlockMessage{piece_at(p, 1), read_u32(p, 5), read_u32(p, 9)}};
}

// Frame size is the id byte plus the payload; the caller's buffers can never reach 4 GiB, and
// our encoders are only handed blocks and bitfields far below that.
void begin_frame(std::string& out, MessageId id, std::size_t payload_size) {
  assert(payload_size < std::numeric_limits<std::uint32_t>::max());
  append_u32(out, static_cast<std::uint32_t>(payload_size + 1));
  out.push_back(static_cast<char>(id_byte(id)));
}

void encode_block_triple(std::string& out, MessageId id, PieceIndex piece, std::uint32_t begin,
                         std::uint32_t length) {
  begin_frame(out, id, 12);
  append_u32(out, piece.get());
  append_u32(out, begin);
  append_u32(out, length);
}

void encode_piece_only(std::string& out, MessageId id, PieceIndex piece) {
  begin_frame(out, id, 4);
  append_u32(out, piece.get());
}

struct Encoder {
  std::string& out;

  void operator()(const KeepAlive&) const { append_u32(out, 0); }
  void operator()(const Choke&) const { begin_frame(out, MessageId::choke, 0); }
  void operator()(const Unchoke&) const { begin_frame(out, MessageId::unchoke, 0); }
  void operator()(const Interested&) const { begin_frame(out, MessageId::interested, 0); }
  void operator()(const NotInterested&) const { begin_frame(out, MessageId::not_interested, 0); }
  void operator()(const HaveAll&) const { begin_frame(out, MessageId::have_all, 0); }
  void operator()(const HaveNone&) const { begin_frame(out, MessageId::have_none, 0); }
  void operator()(const Have& m) const { encode_piece_only(out, MessageId::have, m.piece); }
  void operator()(const Suggest& m) const { encode_piece_only(out, MessageId::suggest, m.piece); }
  void operator()(const AllowedFast& m) const { encode_piece_only(out, MessageId::allowed_fast, m.piece); }
  void operator()(const BitfieldMsg& m) const {
    begin_frame(out, MessageId::bitfield, m.bytes.size());
    out.append(m.bytes);
  }
  void operator()(const Request& m) const { encode_block_triple(out, MessageId::request, m.piece, m.begin, m.length); }
  void operator()(const Cancel& m) const { encode_block_triple(out, MessageId::cancel, m.piece, m.begin, m.length); }
  void operator()(const RejectRequest& m) const {
    encode_block_triple(out, MessageId::reject_request, m.piece, m.begin, m.length);
  }
  void operator()(const Piece& m) const {
    assert(m.block.size() <= std::numeric_limits<std::uint32_t>::max() - 9);
    encode_piece_header(out, m.piece, m.begin, static_cast<std::uint32_t>(m.block.size()));
    out.append(m.block);
  }
  void operator()(const Port& m) const {
    begin_frame(out, MessageId::port, 2);
    append_u16(out, m.port);
  }
  void operator()(const Extended& m) const {
    begin_frame(out, MessageId::extended, m.payload.size() + 1);
    out.push_back(static_cast<char>(m.id));
    out.append(m.payload);
  }
  void operator()(const Unknown& m) const {
    begin_frame(out, static_cast<MessageId>(m.id), m.payload.size());
    out.append(m.payload);
  }
};

struct Namer {
  std::string_view operator()(const KeepAlive&) const { return "keep-alive"; }
  std::string_view operator()(const Choke&) const { return "choke"; }
  std::string_view operator()(const Unchoke&) const { return "unchoke"; }
  std::string_view operator()(const Interested&) const { return "interested"; }
  std::string_view operator()(const NotInterested&) const { return "not interested"; }
  std::string_view operator()(const Have&) const { return "have"; }
  std::string_view operator()(const BitfieldMsg&) const { return "bitfield"; }
  std::string_view operator()(const Request&) const { return "request"; }
  std::string_view operator()(const Piece&) const { return "piece"; }
  std::string_view operator()(const Cancel&) const { return "cancel"; }
  std::string_view operator()(const Port&) const { return "port"; }
  std::string_view operator()(const Suggest&) const { return "suggest piece"; }
  std::string_view operator()(const HaveAll&) const { return "have all"; }
  std::string_view operator()(const HaveNone&) const { return "have none"; }
  std::string_view operator()(const RejectRequest&) const { return "reject request"; }
  std::string_view operator()(const AllowedFast&) const { return "allowed fast"; }
  std::string_view operator()(const Extended&) const { return "extended"; }
  std::string_view operator()(const Unknown&) const { return "unknown"; }
};

}  // namespace

Result<Message> parse_message(std::string_view p) {
  if (p.empty()) return Message{KeepAlive{}};
  const auto id = static_cast<std::uint8_t>(p[0]);
  switch (static_cast<MessageId>(id)) {
    case MessageId::choke: return exact("choke", p, 1, Choke{});
    case MessageId::unchoke: return exact("unchoke", p, 1, Unchoke{});
    case MessageId::interested: return exact("interested", p, 1, Interested{});
    case MessageId::not_interested: return exact("not interested", p, 1, NotInterested{});
    case MessageId::have_all: return exact("have all", p, 1, HaveAll{});
    case MessageId::have_none: return exact("have none", p, 1, HaveNone{});
    case MessageId::have:
      if (p.size() != 5) return wrong_size("have", p.size(), "exactly ", 5);
      return Message{Have{piece_at(p, 1)}};
    case MessageId::suggest:
      if (p.size() != 5) return wrong_size("suggest piece", p.size(), "exactly ", 5);
      return Message{Suggest{piece_at(p, 1)}};
    case MessageId::allowed_fast:
      if (p.size() != 5) return wrong_size("allowed fast", p.size(), "exactly ", 5);
      return Message{AllowedFast{piece_at(p, 1)}};
    case MessageId::bitfield:
      return Message{BitfieldMsg{p.substr(1)}};
    case MessageId::request: return block_triple<Request>("request", p);
    case MessageId::cancel: return block_triple<Cancel>("cancel", p);
    case MessageId::reject_request: return block_triple<RejectRequest>("reject request", p);
    case MessageId::piece:
      if (p.size() < 9) return wrong_size("piece", p.size(), "at least ", 9);
      return Message{Piece{piece_at(p, 1), read_u32(p, 5), p.substr(9)}};
    case MessageId::port:
      if (p.size() != 3) return wrong_size("port", p.size(), "exactly ", 3);
      return Message{Port{read_u16(p, 1)}};
    case MessageId::extended:
      if (p.size() < 2) return wrong_size("extended", p.size(), "at least ", 2);
      return Message{Extended{static_cast<std::uint8_t>(p[1]), p.substr(2)}};
  }
  return Message{Unknown{id, p.substr(1)}};
}

void encode(std::string& out, const Message& message) { std::visit(Encoder{out}, message); }

void encode_piece_header(std::string& out, PieceIndex piece, std::uint32_t begin, std::uint32_t block_length) {
  assert(block_length <= std::numeric_limits<std::uint32_t>::max() - 9);
  append_u32(out, block_length + 9);
  out.push_back(static_cast<char>(id_byte(MessageId::piece)));
  append_u32(out, piece.get());
  append_u32(out, begin);
}

std::string_view message_name(const Message& message) { return std::visit(Namer{}, message); }

}  // namespace btd::wire
