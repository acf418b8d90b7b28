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
  // Torrents by state, for systemd's STATUS= line.
  std::int64_t downloading = 0, seeding = 0, paused = 0, checking = 0, errored = 0;
};

void add_session_methods(rpc::Dispatcher& dispatcher, std::chrono::steady_clock::time_point started,
                         std::function<SessionStats()> stats);

}  // namespace btd::daemon
