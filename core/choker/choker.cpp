#include "core/choker/choker.hpp"

#include <algorithm>

namespace btd {

namespace {

bool contains(const std::vector<PeerKey>& v, PeerKey id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

// NaN and negative rates (a broken meter) rank as zero instead of poisoning the sort.
double sane(double rate) { return rate > 0 ? rate : 0; }

}  // namespace

Choker::Choker(const ChokerConfig& config, std::uint64_t seed) : config_(config), rng_(seed) {}

bool Choker::due(TimePoint now) const noexcept { return !last_run_ || now >= next_due(); }

Choker::TimePoint Choker::next_due() const noexcept {
  return last_run_ ? *last_run_ + config_.recompute_interval : TimePoint{};
}

ChokeDecision Choker::recompute(std::span<const ChokerPeerView> peers, bool seeding,
                                TimePoint now) {
  ChokeDecision d;
  d.unchoke = regular(peers, seeding, now);
  d.optimistic = optimistic(peers, d.unchoke, now);
  d.unchoke.insert(d.unchoke.end(), d.optimistic.begin(), d.optimistic.end());

  std::unordered_map<PeerKey, TimePoint> since;
  for (PeerKey id : d.unchoke) {
    auto it = unchoked_since_.find(id);
    since.emplace(id, it == unchoked_since_.end() ? now : it->second);
  }
  unchoked_since_ = std::move(since);
  last_run_ = now;
  current_ = d;
  return d;
}

std::vector<PeerKey> Choker::regular(std::span<const ChokerPeerView> peers, bool seeding,
                                     TimePoint now) const {
  std::vector<const ChokerPeerView*> candidates;
  for (const ChokerPeerView& p : peers) {
    // Anti-snubbing: a peer that gives us nothing earns no tit-for-tat slot while we download.
    if (p.interested && !(p.snubbed && !seeding)) candidates.push_back(&p);
  }
  const bool crowded = candidates.size() > config_.upload_slots;
  auto rotated_out = [&](const ChokerPeerView* p) {
    if (!seeding || !crowded) return false;
    auto it = unchoked_since_.find(p->id);
    return it != unchoked_since_.end() && now - it->second >= config_.seed_rotation;
  };

  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const ChokerPeerView* a, const ChokerPeerView* b) {
    if (seeding) {
      const bool ra = rotated_out(a), rb = rotated_out(b);
      if (ra != rb) return !ra;
      if (sane(a->upload_rate) != sane(b->upload_rate))
        return sane(a->upload_rate) > sane(b->upload_rate);
    } else if (sane(a->download_rate) != sane(b->download_rate)) {
      return sane(a->download_rate) > sane(b->download_rate);
    }
    // Equal rates: keep whom we already unchoked, so slots do not flap every 10 s; when
    // seeding, fairness comes from rotated_out instead.
    const bool ua = is_unchoked(a->id), ub = is_unchoked(b->id);
    if (ua != ub) return ua;
    return a->id < b->id;
  });

  std::vector<PeerKey> out;
  for (std::size_t i = 0; i < candidates.size() && i < config_.upload_slots; ++i)
    out.push_back(candidates[i]->id);
  return out;
}

std::vector<PeerKey> Choker::optimistic(std::span<const ChokerPeerView> peers,
                                        const std::vector<PeerKey>& regular, TimePoint now) {
  auto eligible = [&](PeerKey id) {
    auto it = std::find_if(peers.begin(), peers.end(),
                           [&](const ChokerPeerView& p) { return p.id == id; });
    return it != peers.end() && it->interested && !contains(regular, id);
  };

  const bool rotate = !optimistic_since_ || now - *optimistic_since_ >= config_.optimistic_interval;
  std::vector<PeerKey> keep;
  if (!rotate) {
    for (PeerKey id : current_.optimistic)
      if (eligible(id) && keep.size() < config_.optimistic_slots) keep.push_back(id);
  }
  if (keep.size() >= config_.optimistic_slots) return keep;
  // A slot freed early (its peer left or earned a regular slot) gives its new holder a full turn.
  if (keep.empty()) optimistic_since_ = now;

  // Weighted draw without replacement among choked interested peers; the previous holders
  // are left out at a rotation when anyone else is waiting, so the slot really moves.
  struct Weighted {
    PeerKey id;
    std::uint64_t weight;
  };
  std::vector<Weighted> pool;
  std::vector<Weighted> previous;
  for (const ChokerPeerView& p : peers) {
    if (!p.interested || contains(regular, p.id) || contains(keep, p.id)) continue;
    const std::uint64_t weight = now - p.connected_at < config_.new_peer_window ? 3 : 1;
    if (rotate && contains(current_.optimistic, p.id)) {
      previous.push_back({p.id, weight});
    } else {
      pool.push_back({p.id, weight});
    }
  }
  auto draw = [&](std::vector<Weighted>& from) {
    while (keep.size() < config_.optimistic_slots && !from.empty()) {
      std::uint64_t total = 0;
      for (const Weighted& w : from) total += w.weight;
      std::uint64_t r = rng_() % total;
      std::size_t i = 0;
      while (r >= from[i].weight) r -= from[i++].weight;
      keep.push_back(from[i].id);
      from.erase(from.begin() + static_cast<std::ptrdiff_t>(i));
    }
  };
  draw(pool);
  draw(previous);
  return keep;
}

}  // namespace btd
