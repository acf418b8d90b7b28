#pragma once
// When each torrent asks the DHT for peers (and announces itself): at once when it starts, then
// every 15 minutes, every 5 while it has few peers, every minute while it has none, and again
// after 10 seconds when a lookup reached no node at all (the table was still empty, say). One
// lookup per torrent at a time.
#include <chrono>
#include <cstddef>
#include <map>
#include <vector>

#include "core/util/sha1.hpp"

namespace btd::dht {

struct AnnounceScheduleConfig {
  std::chrono::seconds interval{15 * 60};
  std::chrono::seconds few_peers_interval{5 * 60};
  std::chrono::seconds no_peers_interval{60};
  std::chrono::seconds retry{10};
  std::size_t few_peers = 10;
};

struct ScheduledTorrent {
  InfoHash info_hash;
  std::size_t peers = 0;  // connected now
};

class AnnounceSchedule {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit AnnounceSchedule(AnnounceScheduleConfig config = {}) : config_(config) {}

  // `torrents` are all that should use the DHT now (others are forgotten). Returns those whose
  // lookup is due; they count as running until done().
  std::vector<InfoHash> due(const std::vector<ScheduledTorrent>& torrents, TimePoint now);
  // Their lookup ended after reaching `responded` nodes (or could not start: 0).
  void done(const InfoHash& info_hash, std::size_t responded, TimePoint now);
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct Entry {
    bool running = false;
    bool ever = false;
    TimePoint last{};
    std::size_t responded = 0;
  };
  AnnounceScheduleConfig config_;
  std::map<InfoHash, Entry> entries_;
};

}  // namespace btd::dht
