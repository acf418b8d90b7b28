#include "core/picker/piece_picker.hpp"

#include <algorithm>
#include <string>

namespace btd {

namespace {

Error piece_out_of_range(const char* what, PieceIndex p, std::uint32_t count) {
  return Error(Errc::invalid_argument, std::string(what) + ": piece " + std::to_string(p.get()) +
                                           " out of range, the torrent has " +
                                           std::to_string(count) + " pieces");
}

Error bitfield_size_mismatch(const char* what, std::size_t bits, std::uint32_t count) {
  return Error(Errc::protocol_error, std::string(what) + ": bitfield of " + std::to_string(bits) +
                                         " pieces for a torrent of " + std::to_string(count));
}

}  // namespace

PiecePicker::PiecePicker(const PieceGeometry& geometry, std::uint64_t seed)
    : geometry_(geometry),
      rng_(seed),
      count_(geometry.piece_count(), 0),
      priority_(geometry.piece_count(), Priority::normal),
      have_(geometry.piece_count()),
      high_(geometry.piece_count()),
      normal_(geometry.piece_count()),
      slot_(geometry.piece_count(), kNotDownloading) {
  for (PieceIndex p{0}; p.get() < geometry.piece_count(); ++p) normal_.insert(p, 0);
}

// ---- availability ---------------------------------------------------------------------------

Result<void> PiecePicker::peer_has(PieceIndex p) {
  if (!geometry_.valid(p)) return piece_out_of_range("have", p, geometry_.piece_count());
  std::uint32_t& c = count_[p.get()];
  if (c == UINT32_MAX) return {};
  ++c;
  high_.update(p, c);
  normal_.update(p, c);
  return {};
}

Result<void> PiecePicker::peer_has_bitfield(const Bitfield& pieces) {
  if (pieces.size() != geometry_.piece_count())
    return bitfield_size_mismatch("peer bitfield", pieces.size(), geometry_.piece_count());
  for (PieceIndex p{0}; p.get() < pieces.size(); ++p)
    if (pieces.get(p)) (void)peer_has(p);
  return {};
}

void PiecePicker::peer_has_all() {
  // Adding one to every piece does not change their order, so seeds are a single counter.
  if (seeds_ != UINT32_MAX) ++seeds_;
}

Result<void> PiecePicker::peer_lost(const Bitfield& pieces) {
  if (pieces.size() != geometry_.piece_count())
    return bitfield_size_mismatch("lost peer bitfield", pieces.size(), geometry_.piece_count());
  for (PieceIndex p{0}; p.get() < pieces.size(); ++p) {
    if (!pieces.get(p)) continue;
    std::uint32_t& c = count_[p.get()];
    if (c == 0) continue;
    --c;
    high_.update(p, c);
    normal_.update(p, c);
  }
  return {};
}

void PiecePicker::peer_lost_all() {
  if (seeds_ > 0) --seeds_;
}

std::uint32_t PiecePicker::availability(PieceIndex p) const noexcept {
  if (!geometry_.valid(p)) return 0;
  const std::uint64_t a = std::uint64_t{count_[p.get()]} + seeds_;
  return a > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(a);
}

// ---- what we have ---------------------------------------------------------------------------

Result<void> PiecePicker::mark_have(PieceIndex p) {
  if (!geometry_.valid(p)) return piece_out_of_range("mark_have", p, geometry_.piece_count());
  if (DownloadingPiece* dp = downloading(p)) {
    drop_all_requests(*dp);
    remove_downloading(p);
  }
  have_.set(p);
  refresh(p);
  return {};
}

Result<std::vector<PeerKey>> PiecePicker::mark_failed(PieceIndex p) {
  if (!geometry_.valid(p)) return piece_out_of_range("mark_failed", p, geometry_.piece_count());
  if (have_.get(p)) {
    return Error(Errc::invalid_argument, "mark_failed: piece " + std::to_string(p.get()) +
                                             " is already verified");
  }
  DownloadingPiece* dp = downloading(p);
  if (dp == nullptr) return std::vector<PeerKey>{};
  drop_all_requests(*dp);
  std::vector<PeerKey> senders = dp->reset();
  remove_downloading(p);
  refresh(p);
  return senders;
}

bool PiecePicker::wanted_complete() const noexcept {
  if (!now_pieces_.empty() || !high_.empty() || !normal_.empty()) return false;
  return std::none_of(downloading_.begin(), downloading_.end(), [&](const DownloadingPiece& dp) {
    return priority_[dp.piece().get()] != Priority::skip;
  });
}

Result<void> PiecePicker::set_priority(PieceIndex p, Priority priority) {
  if (!geometry_.valid(p)) return piece_out_of_range("set_priority", p, geometry_.piece_count());
  if (priority_[p.get()] == priority) return {};
  priority_[p.get()] = priority;
  refresh(p);
  return {};
}

Priority PiecePicker::priority(PieceIndex p) const noexcept {
  return geometry_.valid(p) ? priority_[p.get()] : Priority::skip;
}

// ---- bookkeeping ----------------------------------------------------------------------------

DownloadingPiece* PiecePicker::downloading(PieceIndex p) noexcept {
  if (!geometry_.valid(p) || slot_[p.get()] == kNotDownloading) return nullptr;
  return &downloading_[slot_[p.get()]];
}

DownloadingPiece& PiecePicker::start(PieceIndex p, std::optional<PeerKey> owner) {
  slot_[p.get()] = static_cast<std::uint32_t>(downloading_.size());
  downloading_.emplace_back(p, geometry_.blocks_in_piece(p));
  downloading_.back().owner = owner;
  refresh(p);
  return downloading_.back();
}

void PiecePicker::remove_downloading(PieceIndex p) {
  const std::uint32_t i = slot_[p.get()];
  if (i == kNotDownloading) return;
  if (i + 1 != downloading_.size()) {
    downloading_[i] = std::move(downloading_.back());
    slot_[downloading_[i].piece().get()] = i;
  }
  downloading_.pop_back();
  slot_[p.get()] = kNotDownloading;
}

void PiecePicker::release_if_idle(PieceIndex p) {
  DownloadingPiece* dp = downloading(p);
  if (dp == nullptr || !dp->idle()) return;
  remove_downloading(p);
  refresh(p);
}

void PiecePicker::release_idle() {
  // Backwards, so the swap in remove_downloading only moves entries already looked at.
  for (std::size_t i = downloading_.size(); i-- > 0;) {
    if (i < downloading_.size() && downloading_[i].idle()) {
      const PieceIndex p = downloading_[i].piece();
      remove_downloading(p);
      refresh(p);
    }
  }
}

void PiecePicker::drop_all_requests(DownloadingPiece& dp) {
  for (std::uint32_t i = 0; i < dp.block_count(); ++i) {
    const std::vector<Requester> requesters = dp.block(i).requesters;
    for (const Requester& r : requesters) {
      dp.drop_request(i, r.peer);
      request_done(r.peer);
    }
  }
}

void PiecePicker::refresh(PieceIndex p) {
  const std::uint32_t i = p.get();
  const bool untouched = !have_.get(p) && slot_[i] == kNotDownloading;
  const Priority prio = priority_[i];
  if (untouched && prio == Priority::high) high_.insert(p, count_[i]); else high_.erase(p);
  if (untouched && prio == Priority::normal) normal_.insert(p, count_[i]); else normal_.erase(p);

  const bool want_now = !have_.get(p) && prio == Priority::now;
  auto it = std::find(now_pieces_.begin(), now_pieces_.end(), p);
  if (want_now && it == now_pieces_.end()) now_pieces_.push_back(p);
  if (!want_now && it != now_pieces_.end()) now_pieces_.erase(it);
}

void PiecePicker::request(DownloadingPiece& dp, std::uint32_t block, PeerKey peer, TimePoint now,
                          std::vector<BlockRequest>& out) {
  dp.add_request(block, peer, now);
  ++outstanding_[peer];
  out.push_back(geometry_.block(dp.piece(), block));
}

void PiecePicker::request_done(PeerKey peer) {
  auto it = outstanding_.find(peer);
  if (it == outstanding_.end()) return;
  if (--it->second == 0) outstanding_.erase(it);
}

std::size_t PiecePicker::outstanding(PeerKey peer) const noexcept {
  auto it = outstanding_.find(peer);
  return it == outstanding_.end() ? 0 : it->second;
}

std::size_t PiecePicker::random_below(std::size_t n) {
  // mt19937_64's output sequence is fixed by the standard, unlike the std distributions, so a
  // seed replays the same choices with any standard library. The modulo bias is negligible.
  return n == 0 ? 0 : static_cast<std::size_t>(rng_() % n);
}

// ---- picking --------------------------------------------------------------------------------

std::size_t PiecePicker::take_blocks(DownloadingPiece& dp, const PeerView& peer, std::size_t room,
                                     std::size_t max_requesters, TimePoint now,
                                     std::vector<BlockRequest>& out) {
  std::size_t taken = 0;
  for (std::uint32_t i = 0; i < dp.block_count() && taken < room; ++i) {
    if (dp.block(i).status != BlockStatus::missing) continue;
    request(dp, i, peer.id, now, out);
    ++taken;
  }
  if (max_requesters <= 1) return taken;
  for (std::uint32_t i = 0; i < dp.block_count() && taken < room; ++i) {
    const BlockState& b = dp.block(i);
    if (b.status != BlockStatus::requested || b.requesters.size() >= max_requesters ||
        dp.is_requester(i, peer.id))
      continue;
    request(dp, i, peer.id, now, out);
    ++taken;
  }
  return taken;
}

std::size_t PiecePicker::pick_blocks(const PeerView& peer, std::size_t max_blocks, TimePoint now,
                                     std::vector<BlockRequest>& out) {
  const bool whole_pieces = peer.fast && !peer.snubbed;
  if (!whole_pieces) {
    // A peer that slowed down (or was snubbed) must not keep others off its pieces.
    for (DownloadingPiece& dp : downloading_)
      if (dp.owner == peer.id) dp.owner.reset();
  }

  std::size_t room = max_blocks;
  if (peer.snubbed) room = outstanding(peer.id) == 0 ? std::min<std::size_t>(room, 1) : 0;
  if (room == 0) return 0;
  const std::size_t before = out.size();

  if (peer.snubbed) {
    // One block at a time, never a 'now' block while anyone else could serve it, never a
    // piece of its own: a snubbed peer can only hold up one block.
    pick_new(peer, false, room, now, out);
    pick_partials(peer, Partials::shared, room, now, out);
  } else {
    pick_now(peer, room, now, out);
    if (whole_pieces) {
      pick_partials(peer, Partials::own, room, now, out);
      pick_new(peer, true, room, now, out);
      pick_partials(peer, Partials::shared, room, now, out);
    } else {
      pick_partials(peer, Partials::involved, room, now, out);
      pick_partials(peer, Partials::shared, room, now, out);
      pick_new(peer, false, room, now, out);
    }
  }
  if (room > 0 && in_endgame()) pick_endgame(peer, room, now, out);
  // Last resort, so a 'now' piece that only snubbed peers have is still fetched.
  if (peer.snubbed && room > 0) pick_now(peer, room, now, out);
  return out.size() - before;
}

void PiecePicker::pick_now(const PeerView& peer, std::size_t& room, TimePoint now,
                           std::vector<BlockRequest>& out) {
  // Copy: start() below may not touch now_pieces_, but take no chances with iterator lifetime.
  const std::vector<PieceIndex> pieces = now_pieces_;
  for (PieceIndex p : pieces) {
    if (room == 0) return;
    if (!peer.may_request(p)) continue;
    DownloadingPiece* dp = downloading(p);
    if (dp == nullptr) dp = &start(p, std::nullopt);
    room -= take_blocks(*dp, peer, room, kMaxNowRequesters, now, out);
  }
}

void PiecePicker::pick_partials(const PeerView& peer, Partials which, std::size_t& room,
                                TimePoint now, std::vector<BlockRequest>& out) {
  for (Priority prio : {Priority::high, Priority::normal}) {
    for (DownloadingPiece& dp : downloading_) {
      if (room == 0) return;
      const PieceIndex p = dp.piece();
      if (priority_[p.get()] != prio || dp.missing() == 0 || !peer.may_request(p)) continue;
      switch (which) {
        case Partials::own:
          if (dp.owner != peer.id) continue;
          break;
        case Partials::involved:
          if (dp.owner.has_value() || !dp.involves(peer.id)) continue;
          break;
        case Partials::shared:
          if (dp.owner.has_value() && dp.owner != peer.id) continue;
          break;
      }
      room -= take_blocks(dp, peer, room, 1, now, out);
    }
  }
}

void PiecePicker::pick_new(const PeerView& peer, bool own_whole_pieces, std::size_t& room,
                           TimePoint now, std::vector<BlockRequest>& out) {
  std::vector<PieceIndex> chosen;
  collect_new(peer, room, chosen);
  for (PieceIndex p : chosen) {
    if (room == 0) return;
    DownloadingPiece& dp = start(p, own_whole_pieces ? std::optional<PeerKey>(peer.id)
                                                     : std::nullopt);
    room -= take_blocks(dp, peer, room, 1, now, out);
  }
}

void PiecePicker::collect_new(const PeerView& peer, std::size_t blocks_wanted,
                              std::vector<PieceIndex>& out) {
  std::size_t blocks = 0;
  // Returns true once enough pieces are chosen.
  auto consider = [&](PieceIndex p) {
    if (!peer.may_request(p)) return false;
    out.push_back(p);
    blocks += geometry_.blocks_in_piece(p);
    return blocks >= blocks_wanted;
  };

  if (peer.choking_us) {
    // Only the allowed-fast set (a handful of pieces) is eligible: rank just those.
    std::vector<PieceIndex> candidates;
    for (PieceIndex p : peer.allowed_fast) {
      if ((high_.contains(p) || normal_.contains(p)) &&
          std::find(candidates.begin(), candidates.end(), p) == candidates.end())
        candidates.push_back(p);
    }
    std::sort(candidates.begin(), candidates.end(), [&](PieceIndex a, PieceIndex b) {
      const bool ha = high_.contains(a), hb = high_.contains(b);
      if (ha != hb) return ha;
      return count_[a.get()] < count_[b.get()];
    });
    for (PieceIndex p : candidates)
      if (consider(p)) return;
    return;
  }

  const bool random_mode = have_.count() < kRandomPieceCount && !peer.snubbed;
  for (const AvailabilityBuckets* set : {&high_, &normal_}) {
    if (set->empty()) continue;
    if (random_mode) {
      // Walk the whole set as one sequence, starting at a random position.
      const std::size_t total = set->size();
      std::size_t skip = random_below(total);
      std::size_t first_bucket = 0;
      while (skip >= set->bucket(first_bucket).size()) skip -= set->bucket(first_bucket++).size();
      std::size_t b = first_bucket;
      std::size_t j = skip;
      for (std::size_t seen = 0; seen < total; ++seen, ++j) {
        while (j >= set->bucket(b).size()) {
          b = (b + 1) % set->bucket_count();
          j = 0;
        }
        if (consider(set->bucket(b)[j])) return;
      }
    } else {
      // Rarest first; a random starting point inside each bucket picks among equals.
      for (std::size_t b = 0; b < set->bucket_count(); ++b) {
        const auto bucket = set->bucket(b);
        if (bucket.empty()) continue;
        const std::size_t offset = random_below(bucket.size());
        for (std::size_t j = 0; j < bucket.size(); ++j)
          if (consider(bucket[(offset + j) % bucket.size()])) return;
      }
    }
  }
}

bool PiecePicker::in_endgame() const noexcept {
  if (!high_.empty() || !normal_.empty()) return false;
  for (PieceIndex p : now_pieces_)
    if (slot_[p.get()] == kNotDownloading) return false;
  bool in_flight = false;
  for (const DownloadingPiece& dp : downloading_) {
    if (priority_[dp.piece().get()] == Priority::skip) continue;
    if (dp.missing() > 0) return false;
    if (!dp.complete()) in_flight = true;
  }
  return in_flight;
}

void PiecePicker::pick_endgame(const PeerView& peer, std::size_t& room, TimePoint now,
                               std::vector<BlockRequest>& out) {
  // First one duplicate per block across all pieces, then a second: spread before piling up.
  for (std::size_t limit = 2; limit <= kMaxEndgameRequesters; ++limit) {
    for (DownloadingPiece& dp : downloading_) {
      if (room == 0) return;
      const PieceIndex p = dp.piece();
      if (priority_[p.get()] == Priority::skip || dp.complete() || !peer.may_request(p)) continue;
      for (std::uint32_t i = 0; i < dp.block_count() && room > 0; ++i) {
        const BlockState& b = dp.block(i);
        if (b.status != BlockStatus::requested || b.requesters.size() >= limit ||
            dp.is_requester(i, peer.id))
          continue;
        request(dp, i, peer.id, now, out);
        --room;
      }
    }
  }
}

// ---- answers from peers ---------------------------------------------------------------------

BlockReceived PiecePicker::on_block_received(PeerKey peer, const BlockRequest& block) {
  BlockReceived result;
  if (!geometry_.is_block(block) || have_.get(block.piece)) return result;
  const std::uint32_t i = block.begin / kBlockSize;
  // Only pieces we have started: a peer sending blocks nobody asked for must not make us
  // allocate block records (or the caller buffers) for pieces of its choosing. A late answer
  // to a timed-out request is still taken while its piece is in progress.
  DownloadingPiece* dp = downloading(block.piece);
  if (dp == nullptr) return result;
  const bool was_requester = dp->is_requester(i, peer);
  if (!dp->receive(i, peer, result.cancel)) return result;  // a duplicate we already hold
  if (was_requester) request_done(peer);
  for (PeerKey other : result.cancel) request_done(other);
  result.accepted = true;
  result.piece_complete = dp->complete();
  return result;
}

bool PiecePicker::on_request_rejected(PeerKey peer, const BlockRequest& block) {
  if (!geometry_.is_block(block)) return false;
  DownloadingPiece* dp = downloading(block.piece);
  if (dp == nullptr || !dp->drop_request(block.begin / kBlockSize, peer)) return false;
  request_done(peer);
  release_if_idle(block.piece);
  return true;
}

std::size_t PiecePicker::on_peer_disconnected(PeerKey peer) {
  std::size_t dropped = 0;
  for (DownloadingPiece& dp : downloading_) {
    if (dp.owner == peer) dp.owner.reset();
    for (std::uint32_t i = 0; i < dp.block_count(); ++i)
      if (dp.drop_request(i, peer)) ++dropped;
  }
  outstanding_.erase(peer);
  release_idle();
  return dropped;
}

std::vector<TimedOutRequest> PiecePicker::timed_out_requests(TimePoint now,
                                                             Clock::duration timeout) {
  std::vector<TimedOutRequest> expired;
  for (DownloadingPiece& dp : downloading_) {
    for (std::uint32_t i = 0; i < dp.block_count(); ++i) {
      const std::vector<Requester> requesters = dp.block(i).requesters;
      for (const Requester& r : requesters) {
        if (now - r.since < timeout) continue;
        dp.drop_request(i, r.peer);
        request_done(r.peer);
        expired.push_back(TimedOutRequest{r.peer, geometry_.block(dp.piece(), i)});
      }
    }
  }
  release_idle();
  return expired;
}

}  // namespace btd
