#pragma once
// The DHT on real sockets: one UDP socket on the peer port number (what peers learn through the
// BEP 5 port message), a timer driving core/dht's DhtNode, bootstrap nodes resolved with
// uv_getaddrinfo, the node table saved in state_dir/dht.dat (through the StateWriter) and
// reloaded at start, and each public torrent's get_peers lookups and announces on the
// AnnounceSchedule. Loop thread only.
#include <uv.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/dht/announce_schedule.hpp"
#include "core/dht/dht_node.hpp"
#include "core/tracker/peer_endpoint.hpp"
#include "core/util/result.hpp"
#include "daemon/state_writer.hpp"

namespace btd::daemon {

struct DhtServiceConfig {
  std::string state_dir;               // dht.dat lives here
  std::string listen_address = "0.0.0.0";
  std::uint16_t port = 0;              // UDP; the TCP peer port's number
  std::vector<std::string> bootstrap;  // "host:port"
  dht::DhtConfig node;
};

struct DhtServiceStats {
  bool running = false;
  std::uint16_t port = 0;  // UDP, as bound: the TCP port's number unless that was taken
  dht::DhtStats node;
};

class DhtService {
 public:
  // Peers a lookup found for a torrent.
  using OnPeers = std::function<void(const InfoHash&, std::vector<tracker::PeerEndpoint>)>;

  DhtService(uv_loop_t* loop, StateWriter& writer, DhtServiceConfig config, OnPeers on_peers);
  ~DhtService();  // closes what is still open
  DhtService(const DhtService&) = delete;
  DhtService& operator=(const DhtService&) = delete;

  // Binds the socket, loads dht.dat, bootstraps.
  Result<void> start();
  // Saves the node table (queued on the writer) and closes the socket and timer.
  void close();

  // Asks the bootstrap nodes again (a new list from session.set).
  void set_bootstrap(std::vector<std::string> nodes);
  // A node a peer told us about (BEP 5 port message): pinged, added if it answers.
  void add_node(const tracker::PeerEndpoint& node);
  // The torrents that use the DHT now, with their peer counts: due lookups start.
  void update_torrents(const std::vector<dht::ScheduledTorrent>& torrents, std::uint16_t announce_port);

  DhtServiceStats stats() const;

 private:
  struct Impl;
  Impl* impl_;  // deletes itself once its handles are closed and its DNS lookups are back
};

}  // namespace btd::daemon
