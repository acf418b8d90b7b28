// libFuzzer target: core/peer PeerConnection, the sans-I/O protocol state of one peer, fed
// whatever a peer sends after a valid handshake. The first byte picks the negotiated
// extensions, our choke state, how we answer requests and the torrent's shape; the second the
// read size; the rest is the peer's byte stream. Before the stream we send interested and a few
// block requests (and cancel one), and we keep requesting as blocks arrive.
//
// A model of both request queues, kept from the events alone, must match the connection's
// state after every read: each block, reject or choke resolves a request we really have
// outstanding, each peer request is new, in range and answered once. Also checked: events need
// the extension they belong to, haves are new and in range, payload counts add up, and a
// failed connection stays failed with the same error.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/peer/peer_connection.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

using btd::BlockRequest;
using btd::PeerConnection;
using btd::PieceGeometry;
using btd::PieceIndex;

PieceGeometry geometry(unsigned choice) {
  switch (choice % 4) {
    case 0: return *PieceGeometry::create(10, 32 * 1024, 9 * 32 * 1024 + 1000);
    case 1: return *PieceGeometry::create(1, 16 * 1024, 16 * 1024);
    case 2: return *PieceGeometry::create(9, 16 * 1024, 9 * 16 * 1024);
    default: return *PieceGeometry::create(4, 32 * 1024, 3 * 32 * 1024 + 1);
  }
}

btd::wire::Reserved reserved(bool fast, bool extensions) {
  btd::wire::Reserved r;
  r.set_fast_extension(fast);
  r.set_extension_protocol(extensions);
  return r;
}

bool erase_one(std::vector<BlockRequest>& v, const BlockRequest& b) {
  auto it = std::find(v.begin(), v.end(), b);
  if (it == v.end()) return false;
  v.erase(it);
  return true;
}

bool same_elements(std::vector<BlockRequest> a, std::vector<BlockRequest> b) {
  auto key = [](const BlockRequest& r) { return std::tuple(r.piece.get(), r.begin, r.length); };
  auto less = [&](const BlockRequest& x, const BlockRequest& y) { return key(x) < key(y); };
  std::sort(a.begin(), a.end(), less);
  std::sort(b.begin(), b.end(), less);
  return a == b;
}

struct Run {
  PieceGeometry geo;
  PeerConnection conn;
  bool answer_with_blocks;
  std::vector<BlockRequest> ours;    // model of conn.our_requests()
  std::vector<BlockRequest> theirs;  // model of the peer's queue with us
  std::uint64_t downloaded = 0;
  std::uint64_t uploaded = 0;
  // Walks every block of the torrent, wrapping; starts at the last one, which is short, so a
  // small input can carry a whole block.
  std::uint32_t total_blocks = 0;
  std::uint32_t next_block = 0;
  std::string block_data;

  Run(const PieceGeometry& g, std::uint8_t config)
      : geo(g),
        conn(btd::PeerKey(1), g, reserved(config & 1, config & 4), reserved(config & 2, config & 8)),
        answer_with_blocks(config & 32) {
    for (std::uint32_t p = 0; p < geo.piece_count(); ++p) total_blocks += geo.blocks_in_piece(PieceIndex(p));
    next_block = total_blocks - 1;
  }

  BlockRequest nth_block(std::uint32_t n) const {
    std::uint32_t p = 0;
    for (;;) {
      const std::uint32_t in_piece = geo.blocks_in_piece(PieceIndex(p));
      if (n < in_piece) return geo.block(PieceIndex(p), n);
      n -= in_piece;
      ++p;
    }
  }

  void request_more(PeerConnection::TimePoint now) {
    while (ours.size() < 4) {
      const BlockRequest b = nth_block(next_block);
      next_block = (next_block + 1) % total_blocks;
      if (std::find(ours.begin(), ours.end(), b) != ours.end()) break;
      conn.send_request(b, now);
      ours.push_back(b);
    }
  }

  void handle(const btd::PeerEvent& event, PeerConnection::TimePoint now, std::vector<BlockRequest>& to_answer) {
    namespace ev = btd::peer_event;
    if (const auto* block = std::get_if<ev::Block>(&event)) {
      FUZZ_CHECK(erase_one(ours, block->block));
      FUZZ_CHECK(block->data.size() == block->block.length);
      FUZZ_CHECK(geo.is_block(block->block));
      downloaded += block->data.size();
    } else if (const auto* rejected = std::get_if<ev::Rejected>(&event)) {
      FUZZ_CHECK(conn.fast_extension());
      FUZZ_CHECK(erase_one(ours, rejected->block));
    } else if (const auto* choked = std::get_if<ev::Choked>(&event)) {
      if (conn.fast_extension()) FUZZ_CHECK(choked->dropped.empty());
      for (const auto& b : choked->dropped) FUZZ_CHECK(erase_one(ours, b));
    } else if (const auto* request = std::get_if<ev::Request>(&event)) {
      const BlockRequest& b = request->block;
      FUZZ_CHECK(geo.valid(b.piece));
      FUZZ_CHECK(b.length > 0 && b.length <= btd::PeerConnectionLimits{}.max_request_length);
      FUZZ_CHECK(std::uint64_t{b.begin} + b.length <= geo.piece_size(b.piece));
      FUZZ_CHECK(std::find(theirs.begin(), theirs.end(), b) == theirs.end());
      FUZZ_CHECK(!conn.am_choking() || std::find(conn.allowed_fast_to_peer().begin(),
                                                 conn.allowed_fast_to_peer().end(),
                                                 b.piece) != conn.allowed_fast_to_peer().end());
      theirs.push_back(b);
      to_answer.push_back(b);
    } else if (const auto* cancel = std::get_if<ev::Cancel>(&event)) {
      FUZZ_CHECK(erase_one(theirs, cancel->block));
      erase_one(to_answer, cancel->block);
    } else if (const auto* have = std::get_if<ev::Have>(&event)) {
      FUZZ_CHECK(geo.valid(have->piece));
      FUZZ_CHECK(conn.peer_pieces().get(have->piece));
    } else if (const auto* fast = std::get_if<ev::AllowedFast>(&event)) {
      FUZZ_CHECK(conn.fast_extension() && geo.valid(fast->piece));
    } else if (const auto* suggest = std::get_if<ev::Suggest>(&event)) {
      FUZZ_CHECK(conn.fast_extension() && geo.valid(suggest->piece));
    } else if (std::holds_alternative<ev::ExtensionHandshake>(event)) {
      FUZZ_CHECK(conn.extension_protocol() && conn.peer_extensions());
    } else if (const auto* ext = std::get_if<ev::Extended>(&event)) {
      FUZZ_CHECK(conn.extension_protocol() && ext->id != 0);
    }
    (void)now;
  }

  void answer(const std::vector<BlockRequest>& requests, PeerConnection::TimePoint now) {
    for (const BlockRequest& b : requests) {
      if (answer_with_blocks) {
        block_data.assign(b.length, 'x');
        FUZZ_CHECK(conn.send_block(b, block_data, now));
        uploaded += b.length;
      } else {
        conn.send_reject(b, now);
      }
      FUZZ_CHECK(erase_one(theirs, b));
    }
  }

  void check_state() {
    FUZZ_CHECK(same_elements(conn.our_requests(), ours));
    FUZZ_CHECK(conn.peer_request_count() == theirs.size());
    FUZZ_CHECK(conn.peer_request_count() <= btd::PeerConnectionLimits{}.max_peer_requests);
    FUZZ_CHECK(conn.payload_downloaded() == downloaded);
    FUZZ_CHECK(conn.payload_uploaded() == uploaded);
    FUZZ_CHECK(conn.peer_pieces().size() == geo.piece_count());
    FUZZ_CHECK(conn.allowed_fast_from_peer().size() <= 64);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t config = data[0];
  const std::size_t chunk = 1 + data[1] % 64;
  const std::string_view stream = btd::fuzz::as_view(data + 2, size - 2);

  Run run(geometry(config >> 6), config);
  auto now = PeerConnection::TimePoint{} + std::chrono::seconds(1);
  if (config & 16) run.conn.send_unchoke(now);
  if (run.conn.fast_extension()) run.conn.send_allowed_fast(PieceIndex(0), now);
  run.conn.send_interested(true, now);
  run.request_more(now);
  // A cancelled request: its block may still arrive and must then be ignored, not reported.
  run.conn.send_cancel(run.ours.back(), now);
  run.ours.pop_back();
  run.check_state();

  std::vector<btd::PeerEvent> events;
  std::vector<BlockRequest> to_answer;
  std::optional<std::string> failure;
  for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
    now += std::chrono::milliseconds(10);
    events.clear();
    to_answer.clear();
    const auto received_before = run.conn.last_received();
    auto r = run.conn.on_bytes(stream.substr(pos, chunk), now, events);
    // Events before an error are still valid.
    for (const auto& e : events) run.handle(e, now, to_answer);
    if (!r) {
      failure = r.error().message;
      FUZZ_CHECK(r.error().is(btd::Errc::protocol_error));
      break;
    }
    // Only whole messages (or a large part of one) count as activity: a peer trickling bytes of
    // a frame it never finishes must still time out (the slowloris rule).
    FUZZ_CHECK(run.conn.last_received() == now || run.conn.last_received() == received_before);
    if (!events.empty()) FUZZ_CHECK(run.conn.last_received() == now);
    run.answer(to_answer, now);
    run.request_more(now);
    run.check_state();
    run.conn.outbound().clear();
  }

  if (failure) {
    events.clear();
    auto again = run.conn.on_bytes(std::string_view("\0\0\0\0", 4), now, events);
    FUZZ_CHECK(!again && again.error().message == *failure);
    FUZZ_CHECK(events.empty());
  }
  return 0;
}
