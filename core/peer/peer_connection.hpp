#pragma once
// One peer connection's protocol state after the handshake, sans-I/O (BEP 3, BEP 6, BEP 10).
//
// The owner (core/torrent) feeds it the bytes that arrived and gets back validated events;
// everything it wants to say goes through the send_* methods, which append wire bytes to an
// outbound buffer the daemon drains to the socket. It never decides policy (what to request,
// whom to unchoke): the torrent does, with the picker and the choker. It enforces the protocol:
// a peer that breaks it gets an error from on_bytes and must be closed, never trusted.
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

#include "core/picker/peer_key.hpp"
#include "core/picker/piece_geometry.hpp"
#include "core/util/bitfield.hpp"
#include "core/util/result.hpp"
#include "core/wire/extension_handshake.hpp"
#include "core/wire/frame_decoder.hpp"
#include "core/wire/handshake.hpp"
#include "core/wire/message.hpp"

namespace btd {

struct PeerConnectionLimits {
  std::size_t max_message_size = std::size_t{1} << 20;  // larger frames: protocol error
  std::size_t max_peer_requests = 2000;                  // requests the peer may have queued with us
  std::uint32_t max_request_length = 128 * 1024;         // longer block requests: protocol error
};

// ---- events: what the peer told us, validated --------------------------------------------
// Choke, unchoke, interested and not interested are reported when they change the state (a
// repeated choke is reported again only when it dropped requests).
namespace peer_event {
// Without BEP 6 a choke silently drops every request we had outstanding (BEP 3): `dropped` lists
// them so the torrent can give them back to the picker. With BEP 6 it is empty; the peer rejects
// each request explicitly instead (Rejected events).
struct Choked { std::vector<BlockRequest> dropped; };
struct Unchoked {};
struct Interested {};
struct NotInterested {};
struct Have { PieceIndex piece; };         // new piece (duplicates are not reported)
struct BitfieldReceived {};                // peer_pieces() now holds it (also for have_all/none)
struct Request { BlockRequest block; };   // in range, within limits; answer with send_block or send_reject
struct Cancel { BlockRequest block; };    // the peer withdrew a request it had queued
// `data` points into the connection's receive buffer: copy it (or hand it to the disk) before the
// next on_bytes call, which may overwrite it.
struct Block { BlockRequest block; std::string_view data; };
struct Rejected { BlockRequest block; };  // BEP 6 reject for a request we sent
struct AllowedFast { PieceIndex piece; };
struct Suggest { PieceIndex piece; };
struct ExtensionHandshake { wire::ExtensionHandshake handshake; };
struct Extended { std::uint8_t id; std::string_view payload; };  // an extension message (id != 0)
struct DhtPort { std::uint16_t port; };
}  // namespace peer_event

using PeerEvent = std::variant<peer_event::Choked, peer_event::Unchoked, peer_event::Interested,
                               peer_event::NotInterested, peer_event::Have,
                               peer_event::BitfieldReceived, peer_event::Request,
                               peer_event::Cancel, peer_event::Block, peer_event::Rejected,
                               peer_event::AllowedFast, peer_event::Suggest,
                               peer_event::ExtensionHandshake, peer_event::Extended,
                               peer_event::DhtPort>;

// An order on blocks, for sets of them.
struct BlockRequestLess {
  bool operator()(const BlockRequest& a, const BlockRequest& b) const noexcept {
    return std::tuple(a.piece.get(), a.begin, a.length) < std::tuple(b.piece.get(), b.begin, b.length);
  }
};

class PeerConnection {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  // `ours` and `theirs` are the reserved bytes of the two handshakes: BEP 6 and BEP 10 are
  // used only when both sides set them.
  PeerConnection(PeerKey key, const PieceGeometry& geometry, wire::Reserved ours,
                 wire::Reserved theirs, PeerConnectionLimits limits = {});

  PeerKey key() const noexcept { return key_; }
  bool fast_extension() const noexcept { return fast_; }
  bool extension_protocol() const noexcept { return extensions_; }

  // Feeds received bytes. Appends events in arrival order. An error means the peer broke the
  // protocol (message too large, wrong length, index out of range, bad bitfield bytes
  // messages, spare bits set, a BEP 6 message without BEP 6, a block we never requested...):
  // close the connection. Events already appended before the error are still valid. After an
  // error every later call returns the same error.
  //
  // "First message" for bitfield/have_all/have_none ignores keep-alives, extended messages, port
  // and unknown ids: Transmission sends its BEP 10 handshake before its bitfield.
  Result<void> on_bytes(std::string_view bytes, TimePoint now, std::vector<PeerEvent>& events);

  // ---- state ------------------------------------------------------------------------------
  bool am_choking() const noexcept { return am_choking_; }
  bool am_interested() const noexcept { return am_interested_; }
  bool peer_choking() const noexcept { return peer_choking_; }
  bool peer_interested() const noexcept { return peer_interested_; }
  const Bitfield& peer_pieces() const noexcept { return peer_pieces_; }
  bool peer_is_seed() const noexcept { return peer_pieces_.all(); }
  // Requests we sent and have not had answered (block, cancel sent, or rejected).
  const std::vector<BlockRequest>& our_requests() const noexcept { return our_requests_; }
  // Requests the peer has queued with us.
  std::size_t peer_request_count() const noexcept { return peer_requests_.size(); }
  // Whether this block is still queued: not answered, rejected or cancelled.
  bool peer_requested(const BlockRequest& block) const { return peer_requests_.count(block) != 0; }
  const std::optional<wire::ExtensionHandshake>& peer_extensions() const noexcept { return peer_ext_; }
  // Pieces the peer lets us request while it chokes us (BEP 6 allowed fast), in arrival order.
  const std::vector<PieceIndex>& allowed_fast_from_peer() const noexcept { return allowed_fast_from_peer_; }
  // Pieces we granted with send_allowed_fast: requests for them are served even while choking.
  const std::vector<PieceIndex>& allowed_fast_to_peer() const noexcept { return allowed_fast_to_peer_; }
  std::uint64_t payload_downloaded() const noexcept { return payload_down_; }
  std::uint64_t payload_uploaded() const noexcept { return payload_up_; }
  // When the peer last made progress: a complete message (a keep-alive too), or every
  // kActivityBytes of a message still arriving. Bytes trickled one at a time into a message that
  // never completes do not count, so such a peer goes idle and is dropped (a slowloris).
  TimePoint last_received() const noexcept { return last_received_; }
  static constexpr std::size_t kActivityBytes = 4096;
  TimePoint last_sent() const noexcept { return last_sent_; }

  // ---- sending: each appends to outbound() ------------------------------------------------
  // First message after the handshake: have_all/have_none when BEP 6 applies and fits,
  // otherwise a bitfield (nothing at all when we have no piece and BEP 6 is off).
  void send_bitfield(const Bitfield& ours, TimePoint now);
  void send_extension_handshake(const wire::ExtensionHandshake& ours, TimePoint now);  // BEP 10 only
  void send_have(PieceIndex piece, TimePoint now);
  // Choking drops the peer's queued requests: with BEP 6 each gets a reject (BEP 6 says so),
  // except requests for pieces we granted as allowed fast, which stay queued.
  // send_choke and send_unchoke send only on change.
  void send_choke(TimePoint now);
  void send_unchoke(TimePoint now);
  void send_interested(bool interested, TimePoint now);  // sends only on change
  // A block already outstanding is not requested twice.
  void send_request(const BlockRequest& block, TimePoint now);
  // Sent only for an outstanding request; a block for it that still arrives is then ignored.
  void send_cancel(const BlockRequest& block, TimePoint now);
  // Answers a queued peer request; ignored if the request was cancelled meanwhile (returns false),
  // or if data.size() is not the requested length.
  bool send_block(const BlockRequest& block, std::string_view data, TimePoint now);
  // Drops a queued peer request; the reject message goes out only with BEP 6 (BEP 3 has none).
  void send_reject(const BlockRequest& block, TimePoint now);
  void send_allowed_fast(PieceIndex piece, TimePoint now);  // BEP 6 only; once per piece
  void send_keepalive(TimePoint now);
  void send_extended(std::uint8_t id, std::string_view payload, TimePoint now);  // BEP 10 only
  void send_port(std::uint16_t dht_port, TimePoint now);  // BEP 5

  // Bytes waiting to go to the socket. The daemon moves them out (swap) and writes them.
  std::string& outbound() noexcept { return outbound_; }

 private:
  Result<void> on_message(const wire::Message& message, TimePoint now, std::vector<PeerEvent>& events);
  Result<void> on_bitfield(std::string_view bytes, std::vector<PeerEvent>& events);
  // A bitfield, have_all or have_none after the first: the pieces it adds, reported as haves.
  Result<void> on_pieces_update(const wire::Message& message, std::vector<PeerEvent>& events);
  Result<void> on_request(const BlockRequest& block, TimePoint now, std::vector<PeerEvent>& events);
  Result<void> on_block(const BlockRequest& block, std::string_view data, std::vector<PeerEvent>& events);
  Result<void> on_extended(std::uint8_t id, std::string_view payload, std::vector<PeerEvent>& events);
  void on_choke(std::vector<PeerEvent>& events);
  Result<void> check_piece(std::string_view message, PieceIndex piece) const;
  void remember_cancelled(const BlockRequest& block);
  void put(const wire::Message& message, TimePoint now);

  PeerKey key_;
  PieceGeometry geometry_;
  PeerConnectionLimits limits_;
  bool fast_ = false;
  bool extensions_ = false;
  wire::FrameDecoder decoder_;
  bool pieces_announced_ = false;  // a bitfield/have_all/have_none was received
  bool am_choking_ = true;
  bool am_interested_ = false;
  bool peer_choking_ = true;
  bool peer_interested_ = false;
  Bitfield peer_pieces_;
  std::vector<BlockRequest> our_requests_;
  // Ordered, so a peer repeating or cancelling requests against a full queue costs a lookup
  // per message, not a scan of up to max_peer_requests entries.
  std::set<BlockRequest, BlockRequestLess> peer_requests_;
  std::optional<wire::ExtensionHandshake> peer_ext_;
  std::vector<PieceIndex> allowed_fast_from_peer_;
  std::vector<PieceIndex> allowed_fast_to_peer_;
  // Requests we cancelled (or a choke dropped) whose blocks may still be in flight: such a block
  // is ignored instead of being taken for an unsolicited one. Bounded, oldest forgotten first.
  std::deque<BlockRequest> recently_cancelled_;
  std::optional<Error> failed_;
  std::uint64_t payload_down_ = 0;
  std::uint64_t payload_up_ = 0;
  TimePoint last_received_{};
  std::size_t bytes_since_activity_ = 0;  // received since last_received_ moved
  TimePoint last_sent_{};
  std::string outbound_;
};

}  // namespace btd
