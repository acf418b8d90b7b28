#pragma once
// What the picker needs to know about one peer when choosing blocks for it, and nothing more:
// which pieces it has, whether we may request while it chokes us, and how fast and reliable it is.
#include <algorithm>
#include <span>

#include "core/picker/peer_key.hpp"
#include "core/util/bitfield.hpp"
#include "core/util/strong_index.hpp"

namespace btd {

struct PeerView {
  PeerKey id;
  // The peer's pieces; ignored when has_all (a seed that sent have_all, BEP 6). Must outlive
  // the pick_blocks call. Null with has_all false means the peer has nothing.
  const Bitfield* pieces = nullptr;
  bool has_all = false;
  // The peer chokes us: only pieces in allowed_fast may be requested (BEP 6).
  bool choking_us = false;
  std::span<const PieceIndex> allowed_fast;
  // No block arrived for a long time while requests were outstanding (see SnubTimer).
  bool snubbed = false;
  // Among our fastest peers; the caller decides the threshold (e.g. above the median rate).
  bool fast = false;

  bool has(PieceIndex p) const noexcept {
    if (has_all) return true;
    return pieces != nullptr && p.get() < pieces->size() && pieces->get(p);
  }
  bool may_request(PieceIndex p) const noexcept {
    if (!has(p)) return false;
    if (!choking_us) return true;
    return std::find(allowed_fast.begin(), allowed_fast.end(), p) != allowed_fast.end();
  }
};

}  // namespace btd
