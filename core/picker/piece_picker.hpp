#pragma once
// The piece picker of one torrent: which blocks to request from which peer, and the state of
// every block we have asked for. Peer sessions call into it; it never sees a socket or a clock
// (the caller hands in `now`). The algorithm is described in core/picker/NOTES.md.
#include <chrono>
#include <cstdint>
#include <random>
#include <unordered_map>
#include <vector>

#include "core/picker/availability_buckets.hpp"
#include "core/picker/downloading_piece.hpp"
#include "core/picker/peer_key.hpp"
#include "core/picker/peer_view.hpp"
#include "core/picker/piece_geometry.hpp"
#include "core/picker/piece_priority.hpp"
#include "core/util/bitfield.hpp"
#include "core/util/result.hpp"

namespace btd {

struct BlockReceived {
  // The bytes are wanted: keep them in the piece's buffer. False for blocks we already hold,
  // pieces we have or have not started, and anything that is not exactly one block.
  bool accepted = false;
  // Every block of the piece is in: hash it, then call mark_have or mark_failed.
  bool piece_complete = false;
  // Other peers this block was also requested from ('now' pieces, endgame): send them cancel.
  std::vector<PeerKey> cancel;
};

struct TimedOutRequest {
  PeerKey peer;
  BlockRequest block;
};

class PiecePicker {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  // Until this many pieces are verified, new pieces are chosen at random rather than rarest
  // first: a complete piece is worth more than a rare half piece while we have nothing to trade.
  static constexpr std::size_t kRandomPieceCount = 4;
  // Bounds on how many peers one block is requested from at the same time.
  static constexpr std::size_t kMaxNowRequesters = 8;
  static constexpr std::size_t kMaxEndgameRequesters = 3;

  // `seed` drives every random choice, so a test (or a simulated swarm) replays exactly.
  PiecePicker(const PieceGeometry& geometry, std::uint64_t seed);

  const PieceGeometry& geometry() const noexcept { return geometry_; }

  // ---- availability: what connected peers have --------------------------------------------
  Result<void> peer_has(PieceIndex p);
  Result<void> peer_has_bitfield(const Bitfield& pieces);
  // A seed (have_all, or a full bitfield the caller chose to treat as one): O(1).
  void peer_has_all();
  // A peer left: pass its current bitfield, or call peer_lost_all if it was counted by
  // peer_has_all. The caller keeps these paired.
  Result<void> peer_lost(const Bitfield& pieces);
  void peer_lost_all();
  std::uint32_t availability(PieceIndex p) const noexcept;

  // ---- what we have --------------------------------------------------------------------------
  // The piece passed its hash (or was verified on disk).
  Result<void> mark_have(PieceIndex p);
  // The piece failed its hash: every block goes back to missing. Returns the peers that sent
  // its blocks, each once, so the caller can give them a strike.
  Result<std::vector<PeerKey>> mark_failed(PieceIndex p);
  bool is_have(PieceIndex p) const noexcept { return geometry_.valid(p) && have_.get(p); }
  std::size_t have_count() const noexcept { return have_.count(); }
  const Bitfield& have() const noexcept { return have_; }
  // Every piece not skipped is verified.
  bool wanted_complete() const noexcept;

  Result<void> set_priority(PieceIndex p, Priority priority);
  Priority priority(PieceIndex p) const noexcept;

  // ---- requests ------------------------------------------------------------------------------
  // Appends up to max_blocks new requests for `peer` to `out` (fewer for a snubbed peer, which
  // has at most one block outstanding) and records them as sent at `now`. Returns how many.
  std::size_t pick_blocks(const PeerView& peer, std::size_t max_blocks, TimePoint now,
                          std::vector<BlockRequest>& out);

  BlockReceived on_block_received(PeerKey peer, const BlockRequest& block);
  // The peer rejected the request (BEP 6) or we cancelled it: the block is free again.
  // Returns whether the request was outstanding.
  bool on_request_rejected(PeerKey peer, const BlockRequest& block);
  // Returns the number of requests that were outstanding to the peer; they are free again and
  // any pieces the peer owned become shared.
  std::size_t on_peer_disconnected(PeerKey peer);
  // Requests older than `timeout` at `now`: removed from the picker (the blocks are free to be
  // picked again) and returned so the caller can cancel them and count the peer as slow.
  std::vector<TimedOutRequest> timed_out_requests(TimePoint now, Clock::duration timeout);

  std::size_t outstanding(PeerKey peer) const noexcept;
  // Every wanted block is requested or received: duplicates are allowed.
  bool in_endgame() const noexcept;
  std::size_t downloading_count() const noexcept { return downloading_.size(); }

 private:
  enum class Partials : std::uint8_t { own, involved, shared };
  static constexpr std::uint32_t kNotDownloading = UINT32_MAX;

  DownloadingPiece* downloading(PieceIndex p) noexcept;
  DownloadingPiece& start(PieceIndex p, std::optional<PeerKey> owner);
  void remove_downloading(PieceIndex p);
  void release_if_idle(PieceIndex p);
  void release_idle();
  void drop_all_requests(DownloadingPiece& dp);
  // Restores the invariant: p is in high_/normal_ iff it is not had, not started, and of that
  // priority; p is in now_pieces_ iff it is not had and of priority now.
  void refresh(PieceIndex p);

  void request(DownloadingPiece& dp, std::uint32_t block, PeerKey peer, TimePoint now,
               std::vector<BlockRequest>& out);
  void request_done(PeerKey peer);
  std::size_t take_blocks(DownloadingPiece& dp, const PeerView& peer, std::size_t room,
                          std::size_t max_requesters, TimePoint now,
                          std::vector<BlockRequest>& out);

  void pick_now(const PeerView& peer, std::size_t& room, TimePoint now,
                std::vector<BlockRequest>& out);
  void pick_partials(const PeerView& peer, Partials which, std::size_t& room, TimePoint now,
                     std::vector<BlockRequest>& out);
  void pick_new(const PeerView& peer, bool own_whole_pieces, std::size_t& room, TimePoint now,
                std::vector<BlockRequest>& out);
  void pick_endgame(const PeerView& peer, std::size_t& room, TimePoint now,
                    std::vector<BlockRequest>& out);
  void collect_new(const PeerView& peer, std::size_t blocks_wanted, std::vector<PieceIndex>& out);
  std::size_t random_below(std::size_t n);

  PieceGeometry geometry_;
  std::mt19937_64 rng_;
  std::vector<std::uint32_t> count_;  // peers with each piece, not counting seeds_
  std::uint32_t seeds_ = 0;           // peers counted by peer_has_all
  std::vector<Priority> priority_;
  Bitfield have_;
  AvailabilityBuckets high_;
  AvailabilityBuckets normal_;
  std::vector<PieceIndex> now_pieces_;  // in the order they were asked for
  std::vector<DownloadingPiece> downloading_;
  std::vector<std::uint32_t> slot_;  // piece -> index in downloading_, or kNotDownloading
  std::unordered_map<PeerKey, std::uint32_t> outstanding_;
};

}  // namespace btd
