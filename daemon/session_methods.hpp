#pragma once
// RPC methods about the session as a whole (shared/RPC.md): session.stats.
#include <chrono>
#include <functional>
#include <optional>

#include "rpc/dispatcher.hpp"

namespace btd::daemon {

// What session.stats reports, gathered by whoever owns the engine. Figures that do not exist
// yet are absent rather than invented.
struct SessionStats {
  std::optional<int> listen_port;  // the peer listener's port, once it listens
  std::int64_t torrents = 0;
  std::int64_t download_rate = 0;
  std::int64_t upload_rate = 0;
  std::int64_t downloaded = 0;
  std::int64_t uploaded = 0;
  std::int64_t peers = 0;
  // The DHT (BEP 5): whether it runs, and its figures while it does.
  struct Dht {
    bool enabled = false;
    std::int64_t port = 0;
    std::int64_t nodes = 0, good_nodes = 0, buckets = 0;
    std::int64_t lookups_done = 0, lookups_running = 0, peers_found = 0;
    std::int64_t announces_received = 0, queries_received = 0, queries_dropped = 0, bad_packets = 0;
    std::int64_t stored_peers = 0;
  } dht;
  // Local service discovery (BEP 14): whether it runs, and what it sent and heard.
  struct Lsd {
    bool enabled = false;
    std::int64_t announces_sent = 0, announces_received = 0, bad_announces = 0, peers_found = 0;
  } lsd;
  // Torrents by state, for systemd's STATUS= line.
  std::int64_t downloading = 0, seeding = 0, paused = 0, checking = 0, errored = 0;
};

void add_session_methods(rpc::Dispatcher& dispatcher, std::chrono::steady_clock::time_point started,
                         std::function<SessionStats()> stats);

}  // namespace btd::daemon
