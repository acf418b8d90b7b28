#include "core/dht/announce_schedule.hpp"

#include <set>

namespace btd::dht {

std::vector<InfoHash> AnnounceSchedule::due(const std::vector<ScheduledTorrent>& torrents, TimePoint now) {
  std::set<InfoHash> present;
  std::vector<InfoHash> out;
  for (const ScheduledTorrent& t : torrents) {
    present.insert(t.info_hash);
    Entry& e = entries_[t.info_hash];
    if (e.running) continue;
    bool is_due = !e.ever;
    if (!is_due) {
      const auto wait = e.responded == 0             ? config_.retry
                        : t.peers == 0                  ? config_.no_peers_interval
                        : t.peers < config_.few_peers   ? config_.few_peers_interval
                                                        : config_.interval;
      is_due = now - e.last >= wait;
    }
    if (!is_due) continue;
    e.running = true;
    out.push_back(t.info_hash);
  }
  for (auto it = entries_.begin(); it != entries_.end();)
    it = present.count(it->first) ? std::next(it) : entries_.erase(it);
  return out;
}

void AnnounceSchedule::done(const InfoHash& info_hash, std::size_t responded, TimePoint now) {
  auto it = entries_.find(info_hash);
  if (it == entries_.end()) return;
  it->second.running = false;
  it->second.ever = true;
  it->second.last = now;
  it->second.responded = responded;
}

}  // namespace btd::dht
