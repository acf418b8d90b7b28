#include "core/dht/peer_store.hpp"

#include <algorithm>

namespace btd::dht {

bool PeerStore::add(const InfoHash& info_hash, const NodeAddress& peer, TimePoint now) {
  auto it = peers_.find(info_hash);
  if (it == peers_.end()) {
    if (peers_.size() >= limits_.max_info_hashes) {
      expire(now);
      if (peers_.size() >= limits_.max_info_hashes) return false;
    }
    it = peers_.emplace(info_hash, std::vector<Entry>{}).first;
  }
  std::vector<Entry>& list = it->second;
  auto same = std::find_if(list.begin(), list.end(), [&](const Entry& e) { return e.address == peer; });
  if (same != list.end()) {
    same->added = now;
    return true;
  }
  if (list.size() >= limits_.max_peers_per_hash) {
    auto oldest = std::min_element(list.begin(), list.end(), [](const Entry& a, const Entry& b) { return a.added < b.added; });
    *oldest = Entry{peer, now};
    return true;
  }
  list.push_back(Entry{peer, now});
  return true;
}

std::vector<NodeAddress> PeerStore::get(const InfoHash& info_hash, std::size_t max, TimePoint now,
                                        std::mt19937_64& rng) const {
  std::vector<NodeAddress> out;
  auto it = peers_.find(info_hash);
  if (it == peers_.end()) return out;
  for (const Entry& e : it->second)
    if (now - e.added < limits_.ttl) out.push_back(e.address);
  if (out.size() > max) {
    std::shuffle(out.begin(), out.end(), rng);
    out.resize(max);
  }
  return out;
}

void PeerStore::expire(TimePoint now) {
  for (auto it = peers_.begin(); it != peers_.end();) {
    auto& list = it->second;
    list.erase(std::remove_if(list.begin(), list.end(), [&](const Entry& e) { return now - e.added >= limits_.ttl; }),
               list.end());
    it = list.empty() ? peers_.erase(it) : std::next(it);
  }
}

std::size_t PeerStore::peer_count() const noexcept {
  std::size_t n = 0;
  for (const auto& [hash, list] : peers_) n += list.size();
  return n;
}

}  // namespace btd::dht
