#pragma once
// The choker of one torrent: which interested peers we upload to. Tit-for-tat while we
// download, fastest upload with round-robin rotation while we seed, plus an optimistic unchoke
// that rotates every 30 s. Time is handed in; randomness comes from a seed. The rules are
// described in core/choker/NOTES.md.
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/picker/peer_key.hpp"

namespace btd {

struct ChokerPeerView {
  PeerKey id;
  bool interested = false;   // the peer wants our data; nobody else is ever unchoked
  bool snubbed = false;      // it has sent us nothing for a long time although we asked
  double download_rate = 0;  // bytes/s it sends us
  double upload_rate = 0;    // bytes/s we send it
  std::chrono::steady_clock::time_point connected_at{};
};

struct ChokerConfig {
  std::size_t upload_slots = 4;       // regular slots (tit-for-tat or fastest upload)
  std::size_t optimistic_slots = 1;
  std::chrono::seconds recompute_interval{10};
  std::chrono::seconds optimistic_interval{30};
  // Peers connected this recently are three times as likely to get the optimistic slot: they
  // have nothing to trade yet, and this is how they get their first pieces.
  std::chrono::seconds new_peer_window{60};
  // Seeding: a peer unchoked this long gives its slot to one that waits (round-robin).
  std::chrono::seconds seed_rotation{60};
};

struct ChokeDecision {
  // Every peer that should be unchoked now; all others should be choked. The caller sends
  // choke/unchoke only to peers whose state changes.
  std::vector<PeerKey> unchoke;
  // The subset of `unchoke` that holds the optimistic slots.
  std::vector<PeerKey> optimistic;
};

class Choker {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  Choker(const ChokerConfig& config, std::uint64_t seed);

  // True when recompute_interval has passed since the last recompute (or it never ran).
  bool due(TimePoint now) const noexcept;
  TimePoint next_due() const noexcept;

  ChokeDecision recompute(std::span<const ChokerPeerView> peers, bool seeding, TimePoint now);
  const ChokeDecision& current() const noexcept { return current_; }

 private:
  std::vector<PeerKey> regular(std::span<const ChokerPeerView> peers, bool seeding,
                               TimePoint now) const;
  std::vector<PeerKey> optimistic(std::span<const ChokerPeerView> peers,
                                  const std::vector<PeerKey>& regular, TimePoint now);
  bool is_unchoked(PeerKey id) const noexcept { return unchoked_since_.count(id) != 0; }

  ChokerConfig config_;
  std::mt19937_64 rng_;
  std::optional<TimePoint> last_run_;
  std::optional<TimePoint> optimistic_since_;
  ChokeDecision current_;
  std::unordered_map<PeerKey, TimePoint> unchoked_since_;
};

}  // namespace btd
