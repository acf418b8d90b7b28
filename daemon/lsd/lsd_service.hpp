#pragma once
// Local service discovery (BEP 14) on a real socket: a UDP socket on port 6771 (shared with other
// clients on the host, SO_REUSEADDR) in the multicast group 239.192.152.143, announcing the
// torrents the session names on core/lsd's schedule and handing the peers other clients announce
// to the session. Our own announces come back through the multicast loop; a random cookie tells
// them apart. IPv4 only. Loop thread only.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/lsd/lsd_schedule.hpp"
#include "core/tracker/peer_endpoint.hpp"
#include "core/util/result.hpp"
#include "core/util/sha1.hpp"

namespace btd::daemon {

struct LsdServiceConfig {
  // The local IPv4 address whose interface joins the group and sends; empty: the kernel's
  // choice (the interface of the route to 239.192.152.143).
  std::string interface_address;
  std::uint16_t group_port = 6771;  // BEP 14's port; tests on a shared host may not change it
  // Received datagrams handled per tick (a second); the rest are dropped unread: a flood on the
  // LAN costs a bounded amount of parsing.
  std::size_t max_received_per_tick = 50;
};

struct LsdServiceStats {
  std::uint64_t announces_sent = 0;
  std::uint64_t announces_received = 0;  // from others, well formed
  std::uint64_t bad_announces = 0;
  std::uint64_t peers_found = 0;         // handed to a torrent
};

class LsdService {
 public:
  // A peer announced a torrent: the session checks the torrent is ours and may use LSD, and
  // says whether it took the peer (then our announce of it is answered soon).
  using OnPeer = std::function<bool(const InfoHash&, const tracker::PeerEndpoint&)>;

  LsdService(uv_loop_t* loop, LsdServiceConfig config, OnPeer on_peer);
  ~LsdService();  // closes what is still open
  LsdService(const LsdService&) = delete;
  LsdService& operator=(const LsdService&) = delete;

  // Binds 0.0.0.0:6771 and joins the group.
  Result<void> start();
  void close();

  // Once a second: `active` are the torrents that may be announced (running, not private);
  // due ones go out in one datagram with `listen_port` as the Port.
  void tick(const std::vector<InfoHash>& active, std::uint16_t listen_port);

  const LsdServiceStats& stats() const noexcept { return stats_; }

  struct Socket;

 private:
  void on_datagram(std::string_view bytes, const sockaddr* from);
  void send(std::string datagram);

  uv_loop_t* loop_;
  LsdServiceConfig config_;
  OnPeer on_peer_;
  Socket* socket_ = nullptr;  // freed in its close callback
  std::string cookie_;
  lsd::AnnounceSchedule schedule_;
  std::size_t received_this_tick_ = 0;
  LsdServiceStats stats_;
};

}  // namespace btd::daemon
