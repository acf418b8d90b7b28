#include "core/peer/peer_connection.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>

#include "core/picker/request_queue_depth.hpp"

namespace btd {
namespace {

// Every request we may have outstanding can be cancelled at once (endgame, time-outs) and all
// of them may already be on the wire towards us, twice over if we re-request and cancel again
// before they land: two full request windows. A block older than this after its cancel is
// treated as unsolicited. (256 was less than one window: in endgame against four libtorrent
// seeds a block crossing an old cancel closed every peer and stalled the download for 30 s.)
constexpr std::size_t kRecentlyCancelledLimit = 2 * kMaxRequestQueueDepth;
// BEP 6 suggests granting about 10 allowed-fast pieces; more from a peer is ignored so a
// flood of allowed_fast messages cannot grow our state or cost quadratic lookups.
constexpr std::size_t kMaxAllowedFastFromPeer = 64;

std::uint32_t frame_limit(std::size_t max_message_size) {
  return static_cast<std::uint32_t>(
      std::min<std::size_t>(max_message_size, std::numeric_limits<std::uint32_t>::max()));
}

Error protocol(std::string message) { return Error(Errc::protocol_error, std::move(message)); }

std::string describe(const BlockRequest& b) {
  return "piece " + std::to_string(b.piece.get()) + ", offset " + std::to_string(b.begin) + ", " +
         std::to_string(b.length) + " bytes";
}

template <class T>
bool contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// Removes the first element equal to x; true when there was one.
template <class Container, class T>
bool erase_one(Container& c, const T& x) {
  auto it = std::find(c.begin(), c.end(), x);
  if (it == c.end()) return false;
  c.erase(it);
  return true;
}

}  // namespace

PeerConnection::PeerConnection(PeerKey key, const PieceGeometry& geometry, wire::Reserved ours,
                               wire::Reserved theirs, PeerConnectionLimits limits)
    : key_(key),
      geometry_(geometry),
      limits_(limits),
      fast_(ours.fast_extension() && theirs.fast_extension()),
      extensions_(ours.extension_protocol() && theirs.extension_protocol()),
      decoder_(frame_limit(limits.max_message_size)),
      peer_pieces_(geometry.piece_count()) {}

// ---- receiving ------------------------------------------------------------------------------

Result<void> PeerConnection::on_bytes(std::string_view bytes, TimePoint now,
                                      std::vector<PeerEvent>& events) {
  if (failed_) return *failed_;
  decoder_.feed(bytes);
  bytes_since_activity_ += bytes.size();
  for (;;) {
    auto frame = decoder_.pop();
    if (!frame.ok()) {
      failed_ = frame.error();
      return *failed_;
    }
    if (!frame->has_value()) break;
    last_received_ = now;
    bytes_since_activity_ = 0;
    auto message = wire::parse_message(**frame);
    if (!message.ok()) {
      failed_ = message.error();
      return *failed_;
    }
    if (auto handled = on_message(*message, now, events); !handled.ok()) {
      failed_ = handled.error();
      return *failed_;
    }
  }
  // A large message arriving slowly (a block at a low rate limit) is progress too.
  if (bytes_since_activity_ >= kActivityBytes) {
    last_received_ = now;
    bytes_since_activity_ = 0;
  }
  return {};
}

Result<void> PeerConnection::check_piece(std::string_view message, PieceIndex piece) const {
  if (geometry_.valid(piece)) return {};
  return protocol("peer sent " + std::string(message) + " for piece " + std::to_string(piece.get()) +
                  ", but the torrent has only " + std::to_string(geometry_.piece_count()) + " pieces");
}

Result<void> PeerConnection::on_message(const wire::Message& message, TimePoint now,
                                        std::vector<PeerEvent>& events) {
  const std::string_view name = wire::message_name(message);

  const bool needs_fast = std::holds_alternative<wire::HaveAll>(message) ||
                          std::holds_alternative<wire::HaveNone>(message) ||
                          std::holds_alternative<wire::RejectRequest>(message) ||
                          std::holds_alternative<wire::AllowedFast>(message) ||
                          std::holds_alternative<wire::Suggest>(message);
  if (needs_fast && !fast_) {
    return protocol("peer sent " + std::string(name) +
                    " but the fast extension (BEP 6) was not negotiated in the handshake");
  }
  // BEP 3 puts the bitfield first, but real clients do not always: Transmission sends it after
  // its extension handshake, and aria2 sends a later bitfield instead of a run of haves. Pieces
  // are only ever added, so a bitfield merges with what the peer announced before, and a
  // later one is reported as haves for the pieces it adds: nothing is reset or forgotten.
  const bool announces_pieces = std::holds_alternative<wire::BitfieldMsg>(message) ||
                                std::holds_alternative<wire::HaveAll>(message) ||
                                std::holds_alternative<wire::HaveNone>(message);
  if (announces_pieces && pieces_announced_) return on_pieces_update(message, events);
  if (announces_pieces) pieces_announced_ = true;

  return std::visit(
      [&](const auto& m) -> Result<void> {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, wire::KeepAlive> || std::is_same_v<T, wire::Unknown>) {
          return {};  // BEP 3: unknown ids are ignored
        } else if constexpr (std::is_same_v<T, wire::Choke>) {
          on_choke(events);
          return {};
        } else if constexpr (std::is_same_v<T, wire::Unchoke>) {
          if (peer_choking_) events.push_back(peer_event::Unchoked{});
          peer_choking_ = false;
          return {};
        } else if constexpr (std::is_same_v<T, wire::Interested>) {
          if (!peer_interested_) events.push_back(peer_event::Interested{});
          peer_interested_ = true;
          return {};
        } else if constexpr (std::is_same_v<T, wire::NotInterested>) {
          if (peer_interested_) events.push_back(peer_event::NotInterested{});
          peer_interested_ = false;
          return {};
        } else if constexpr (std::is_same_v<T, wire::Have>) {
          if (auto ok = check_piece("have", m.piece); !ok.ok()) return ok;
          if (peer_pieces_.get(m.piece)) return {};
          peer_pieces_.set(m.piece);
          events.push_back(peer_event::Have{m.piece});
          return {};
        } else if constexpr (std::is_same_v<T, wire::BitfieldMsg>) {
          return on_bitfield(m.bytes, events);
        } else if constexpr (std::is_same_v<T, wire::HaveAll> || std::is_same_v<T, wire::HaveNone>) {
          if (std::is_same_v<T, wire::HaveAll>) peer_pieces_.fill(true);  // have_none keeps earlier haves
          events.push_back(peer_event::BitfieldReceived{});
          return {};
        } else if constexpr (std::is_same_v<T, wire::Request>) {
          return on_request(BlockRequest{m.piece, m.begin, m.length}, now, events);
        } else if constexpr (std::is_same_v<T, wire::Cancel>) {
          const BlockRequest block{m.piece, m.begin, m.length};
          if (peer_requests_.erase(block) != 0) events.push_back(peer_event::Cancel{block});
          return {};
        } else if constexpr (std::is_same_v<T, wire::Piece>) {
          // The block's length is its data's; a size that does not fit 32 bits matches nothing.
          const auto length = static_cast<std::uint32_t>(
              std::min<std::size_t>(m.block.size(), std::numeric_limits<std::uint32_t>::max()));
          return on_block(BlockRequest{m.piece, m.begin, length}, m.block, events);
        } else if constexpr (std::is_same_v<T, wire::RejectRequest>) {
          // Some clients reject requests we already cancelled: not an error, nothing to report.
          const BlockRequest block{m.piece, m.begin, m.length};
          if (erase_one(our_requests_, block)) events.push_back(peer_event::Rejected{block});
          return {};
        } else if constexpr (std::is_same_v<T, wire::AllowedFast>) {
          if (auto ok = check_piece("allowed fast", m.piece); !ok.ok()) return ok;
          if (contains(allowed_fast_from_peer_, m.piece) ||
              allowed_fast_from_peer_.size() >= kMaxAllowedFastFromPeer) {
            return {};
          }
          allowed_fast_from_peer_.push_back(m.piece);
          events.push_back(peer_event::AllowedFast{m.piece});
          return {};
        } else if constexpr (std::is_same_v<T, wire::Suggest>) {
          if (auto ok = check_piece("suggest piece", m.piece); !ok.ok()) return ok;
          events.push_back(peer_event::Suggest{m.piece});
          return {};
        } else if constexpr (std::is_same_v<T, wire::Port>) {
          events.push_back(peer_event::DhtPort{m.port});
          return {};
        } else if constexpr (std::is_same_v<T, wire::Extended>) {
          return on_extended(m.id, m.payload, events);
        } else {
          static_assert(!sizeof(T), "every wire message must be handled");
        }
      },
      message);
}

void PeerConnection::on_choke(std::vector<PeerEvent>& events) {
  const bool was_choking = peer_choking_;
  peer_choking_ = true;
  peer_event::Choked choked;
  if (!fast_) {
    // BEP 3: the peer discards our requests when it chokes; blocks still in flight for them are
    // not unsolicited, so remember them like cancelled ones.
    choked.dropped = std::move(our_requests_);
    our_requests_.clear();
    for (const auto& b : choked.dropped) remember_cancelled(b);
  }
  if (!was_choking || !choked.dropped.empty()) events.push_back(std::move(choked));
}

Result<void> PeerConnection::on_pieces_update(const wire::Message& message, std::vector<PeerEvent>& events) {
  Bitfield update(geometry_.piece_count());
  if (const auto* b = std::get_if<wire::BitfieldMsg>(&message)) {
    auto parsed = Bitfield::from_bytes(b->bytes, geometry_.piece_count());
    if (!parsed.ok()) return protocol("peer sent an invalid bitfield: " + parsed.error().message);
    update = std::move(*parsed);
  } else if (std::holds_alternative<wire::HaveAll>(message)) {
    update.fill(true);
  }
  for (std::uint32_t i = 0; i < update.size(); ++i) {
    if (!update.get(i) || peer_pieces_.get(i)) continue;
    peer_pieces_.set(i);
    events.push_back(peer_event::Have{PieceIndex{i}});
  }
  return {};
}

Result<void> PeerConnection::on_bitfield(std::string_view bytes, std::vector<PeerEvent>& events) {
  auto parsed = Bitfield::from_bytes(bytes, geometry_.piece_count());
  if (!parsed.ok()) return protocol("peer sent an invalid bitfield: " + parsed.error().message);
  for (std::uint32_t i = 0; i < peer_pieces_.size(); ++i)
    if (peer_pieces_.get(i)) parsed->set(i);  // haves that came before it
  peer_pieces_ = std::move(*parsed);
  events.push_back(peer_event::BitfieldReceived{});
  return {};
}

Result<void> PeerConnection::on_request(const BlockRequest& block, TimePoint now,
                                        std::vector<PeerEvent>& events) {
  if (auto ok = check_piece("request", block.piece); !ok.ok()) return ok;
  if (block.length == 0) return protocol("peer sent a request of 0 bytes (" + describe(block) + ")");
  if (block.length > limits_.max_request_length) {
    return protocol("peer sent a request of " + std::to_string(block.length) + " bytes (" +
                    describe(block) + "), above the limit of " +
                    std::to_string(limits_.max_request_length));
  }
  const std::uint32_t piece_size = geometry_.piece_size(block.piece);
  if (std::uint64_t{block.begin} + block.length > piece_size) {
    return protocol("peer sent a request past the end of the piece (" + describe(block) +
                    "; the piece has " + std::to_string(piece_size) + " bytes)");
  }
  if (am_choking_ && !contains(allowed_fast_to_peer_, block.piece)) {
    // BEP 6: a request while choked is rejected explicitly; BEP 3 has no reject, the request
    // is simply not served.
    if (fast_) put(wire::RejectRequest{block.piece, block.begin, block.length}, now);
    return {};
  }
  if (peer_requests_.count(block) != 0) return {};
  if (peer_requests_.size() >= limits_.max_peer_requests) {
    return protocol("peer queued more than " + std::to_string(limits_.max_peer_requests) +
                    " requests (the next one: " + describe(block) + ")");
  }
  peer_requests_.insert(block);
  events.push_back(peer_event::Request{block});
  return {};
}

Result<void> PeerConnection::on_block(const BlockRequest& block, std::string_view data,
                                      std::vector<PeerEvent>& events) {
  if (erase_one(our_requests_, block)) {
    payload_down_ += data.size();
    events.push_back(peer_event::Block{block, data});
    return {};
  }
  if (erase_one(recently_cancelled_, block)) return {};  // it crossed our cancel on the wire
  return protocol("peer sent a block we did not request (" + describe(block) + ")");
}

Result<void> PeerConnection::on_extended(std::uint8_t id, std::string_view payload,
                                         std::vector<PeerEvent>& events) {
  if (!extensions_) {
    return protocol("peer sent an extended message (id " + std::to_string(id) +
                    ") but the extension protocol (BEP 10) was not negotiated in the handshake");
  }
  if (id != 0) {
    events.push_back(peer_event::Extended{id, payload});
    return {};
  }
  auto handshake = wire::parse_extension_handshake(payload);
  if (!handshake.ok()) {
    return protocol("peer sent an invalid extension handshake: " + handshake.error().message);
  }
  // A second handshake updates the first (BEP 10), e.g. withdraws ut_pex with id 0.
  peer_ext_ = peer_ext_ ? wire::updated_extension_handshake(*peer_ext_, std::move(*handshake)) : std::move(*handshake);
  events.push_back(peer_event::ExtensionHandshake{*peer_ext_});
  return {};
}

void PeerConnection::remember_cancelled(const BlockRequest& block) {
  recently_cancelled_.push_back(block);
  if (recently_cancelled_.size() > kRecentlyCancelledLimit) recently_cancelled_.pop_front();
}

// ---- sending --------------------------------------------------------------------------------

void PeerConnection::put(const wire::Message& message, TimePoint now) {
  wire::encode(outbound_, message);
  last_sent_ = now;
}

void PeerConnection::send_bitfield(const Bitfield& ours, TimePoint now) {
  if (fast_ && ours.all()) {
    put(wire::HaveAll{}, now);
  } else if (fast_ && ours.none()) {
    put(wire::HaveNone{}, now);
  } else if (!ours.none()) {
    put(wire::BitfieldMsg{ours.bytes()}, now);
  }
  // BEP 3: a peer with nothing may skip the bitfield.
}

void PeerConnection::send_extension_handshake(const wire::ExtensionHandshake& ours, TimePoint now) {
  if (!extensions_) return;
  wire::encode(outbound_, ours);
  last_sent_ = now;
}

void PeerConnection::send_have(PieceIndex piece, TimePoint now) { put(wire::Have{piece}, now); }

void PeerConnection::send_choke(TimePoint now) {
  if (am_choking_) return;
  am_choking_ = true;
  put(wire::Choke{}, now);
  for (auto it = peer_requests_.begin(); it != peer_requests_.end();) {
    if (fast_ && contains(allowed_fast_to_peer_, it->piece)) {
      ++it;
      continue;
    }
    if (fast_) put(wire::RejectRequest{it->piece, it->begin, it->length}, now);
    it = peer_requests_.erase(it);
  }
}

void PeerConnection::send_unchoke(TimePoint now) {
  if (!am_choking_) return;
  am_choking_ = false;
  put(wire::Unchoke{}, now);
}

void PeerConnection::send_interested(bool interested, TimePoint now) {
  if (am_interested_ == interested) return;
  am_interested_ = interested;
  if (interested) {
    put(wire::Interested{}, now);
  } else {
    put(wire::NotInterested{}, now);
  }
}

void PeerConnection::send_request(const BlockRequest& block, TimePoint now) {
  if (contains(our_requests_, block)) return;
  our_requests_.push_back(block);
  put(wire::Request{block.piece, block.begin, block.length}, now);
}

void PeerConnection::send_cancel(const BlockRequest& block, TimePoint now) {
  if (!erase_one(our_requests_, block)) return;
  remember_cancelled(block);
  put(wire::Cancel{block.piece, block.begin, block.length}, now);
}

bool PeerConnection::send_block(const BlockRequest& block, std::string_view data, TimePoint now) {
  if (data.size() != block.length) return false;
  if (peer_requests_.erase(block) == 0) return false;
  payload_up_ += data.size();
  wire::encode_piece_header(outbound_, block.piece, block.begin, block.length);
  outbound_.append(data);
  last_sent_ = now;
  return true;
}

void PeerConnection::send_reject(const BlockRequest& block, TimePoint now) {
  if (peer_requests_.erase(block) == 0) return;
  if (fast_) put(wire::RejectRequest{block.piece, block.begin, block.length}, now);
}

void PeerConnection::send_allowed_fast(PieceIndex piece, TimePoint now) {
  if (!fast_ || !geometry_.valid(piece) || contains(allowed_fast_to_peer_, piece)) return;
  allowed_fast_to_peer_.push_back(piece);
  put(wire::AllowedFast{piece}, now);
}

void PeerConnection::send_keepalive(TimePoint now) { put(wire::KeepAlive{}, now); }

void PeerConnection::send_extended(std::uint8_t id, std::string_view payload, TimePoint now) {
  if (!extensions_) return;
  put(wire::Extended{id, payload}, now);
}

void PeerConnection::send_port(std::uint16_t dht_port, TimePoint now) {
  put(wire::Port{dht_port}, now);
}

}  // namespace btd
