#pragma once
// Peers announced to us (announce_peer), answered to get_peers. Bounded per info-hash and in the
// number of info-hashes, so announces cannot grow memory without limit; entries expire 30
// minutes after their last announce, as BEP 5 suggests.
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "core/dht/node_address.hpp"
#include "core/util/sha1.hpp"

namespace btd::dht {

struct PeerStoreLimits {
  std::size_t max_info_hashes = 1000;
  std::size_t max_peers_per_hash = 100;
  std::chrono::seconds ttl{30 * 60};
};

class PeerStore {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit PeerStore(PeerStoreLimits limits = {}) : limits_(limits) {}

  // False when refused: a new info-hash beyond max_info_hashes. A full list drops its oldest.
  bool add(const InfoHash& info_hash, const NodeAddress& peer, TimePoint now);
  // Up to `max` live peers, a random choice when there are more.
  std::vector<NodeAddress> get(const InfoHash& info_hash, std::size_t max, TimePoint now, std::mt19937_64& rng) const;
  void expire(TimePoint now);

  std::size_t info_hash_count() const noexcept { return peers_.size(); }
  std::size_t peer_count() const noexcept;

 private:
  struct Entry {
    NodeAddress address;
    TimePoint added;
  };
  PeerStoreLimits limits_;
  std::map<InfoHash, std::vector<Entry>> peers_;
};

}  // namespace btd::dht
