#pragma once
// The endpoints a torrent may connect to (from trackers, torrent.add_peers, magnet x.pe), with
// the bookkeeping that keeps it from hammering dead addresses: failed attempts back off, banned
// addresses never come back, and the list is bounded.
#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/tracker/peer_endpoint.hpp"

namespace btd {

class PeerCandidates {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  static constexpr std::size_t kMaxCandidates = 2000;
  static constexpr int kMaxFailures = 5;

  // Returns how many were new. `explicit_peer`: the user named it (torrent.add_peers), so it is
  // dialled even when we only seed.
  std::size_t add(const std::vector<tracker::PeerEndpoint>& endpoints, bool explicit_peer = false);
  // Up to `max` endpoints that are neither connected, connecting, banned nor backing off.
  // They are marked connecting.
  std::vector<tracker::PeerEndpoint> take(std::size_t max, TimePoint now, bool explicit_only = false);
  void on_connected(const tracker::PeerEndpoint& ep);
  // A failed attempt or a dropped connection: retry later, with a growing delay.
  void on_failed(const tracker::PeerEndpoint& ep, TimePoint now);
  void on_disconnected(const tracker::PeerEndpoint& ep, TimePoint now);
  void ban(const std::string& ip);
  bool is_banned(const std::string& ip) const { return banned_.count(ip) != 0; }
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  enum class State { idle, connecting, connected };
  struct Entry {
    tracker::PeerEndpoint endpoint;
    State state = State::idle;
    int failures = 0;
    TimePoint retry_at{};
    bool explicit_peer = false;
  };
  std::unordered_map<std::string, Entry> entries_;  // keyed by "ip:port"
  std::vector<std::string> order_;                   // insertion order, for fairness
  std::unordered_set<std::string> banned_;           // by ip
};

}  // namespace btd
