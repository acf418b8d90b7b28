#include "core/torrent/peer_candidates.hpp"

#include <algorithm>

namespace btd {

std::size_t PeerCandidates::add(const std::vector<tracker::PeerEndpoint>& endpoints, bool explicit_peer) {
  std::size_t added = 0;
  for (const auto& ep : endpoints) {
    if (ep.port == 0 || is_banned(ep.ip) || entries_.size() >= kMaxCandidates) continue;
    const std::string key = tracker::to_string(ep);
    auto [it, inserted] = entries_.try_emplace(key, Entry{ep});
    if (explicit_peer) it->second.explicit_peer = true;
    if (inserted) {
      order_.push_back(key);
      ++added;
    } else if (it->second.state == State::idle) {
      // Being told about a peer again is a hint that it is alive: retry it soon.
      it->second.retry_at = {};
      it->second.failures = std::max(0, it->second.failures - 1);
    }
  }
  return added;
}

std::vector<tracker::PeerEndpoint> PeerCandidates::take(std::size_t max, TimePoint now, bool explicit_only) {
  std::vector<tracker::PeerEndpoint> out;
  for (const auto& key : order_) {
    if (out.size() >= max) break;
    auto it = entries_.find(key);
    if (it == entries_.end()) continue;
    Entry& e = it->second;
    if (e.state != State::idle || e.retry_at > now || is_banned(e.endpoint.ip)) continue;
    if (explicit_only && !e.explicit_peer) continue;
    e.state = State::connecting;
    out.push_back(e.endpoint);
  }
  return out;
}

void PeerCandidates::on_connected(const tracker::PeerEndpoint& ep) {
  const std::string key = tracker::to_string(ep);
  auto [it, inserted] = entries_.try_emplace(key, Entry{ep});
  if (inserted) order_.push_back(key);
  it->second.state = State::connected;
  it->second.failures = 0;
}

void PeerCandidates::on_failed(const tracker::PeerEndpoint& ep, TimePoint now) {
  const std::string key = tracker::to_string(ep);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  e.state = State::idle;
  if (++e.failures >= kMaxFailures) {
    entries_.erase(it);
    order_.erase(std::remove(order_.begin(), order_.end(), key), order_.end());
    return;
  }
  e.retry_at = now + std::chrono::seconds(15) * (1 << e.failures);
}

void PeerCandidates::on_disconnected(const tracker::PeerEndpoint& ep, TimePoint now) {
  const std::string key = tracker::to_string(ep);
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  it->second.state = State::idle;
  it->second.retry_at = now + std::chrono::seconds(30);
}

void PeerCandidates::ban(const std::string& ip) { banned_.insert(ip); }

}  // namespace btd
