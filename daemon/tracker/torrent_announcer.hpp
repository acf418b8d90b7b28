#pragma once
// The announces of one torrent: a core TrackerList decides which tracker, when and with which
// event; this class runs each job over HTTP(S) or UDP, feeds the outcome back, and hands the
// peers the trackers give out to on_peers. It owns one timer; the HTTP client and the UDP socket
// are the session's, shared by every torrent, and must outlive the announcer.
//
// Times in status() are unix milliseconds; internally the loop's monotonic clock is used, so a
// change of the wall clock does not move the schedule.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <uv.h>

#include "core/tracker/peer_endpoint.hpp"
#include "core/tracker/tracker_list.hpp"
#include "core/util/sha1.hpp"
#include "daemon/tracker/http_client.hpp"
#include "daemon/tracker/udp_tracker_socket.hpp"

namespace btd::daemon {

struct AnnounceStats {
  std::int64_t uploaded = 0;
  std::int64_t downloaded = 0;
  std::int64_t left = 0;
};

struct TorrentAnnouncerConfig {
  InfoHash info_hash;
  std::string peer_id;  // exactly 20 bytes
  std::uint16_t listen_port = 0;
  std::int32_t numwant = 50;
  std::vector<std::vector<std::string>> tiers;  // BEP 12 announce-list (or {{announce}})
  tracker::TrackerListConfig list;
  tracker::ResponseLimits limits;  // for HTTP replies; UDP ones use the socket's
  std::chrono::milliseconds http_timeout{30'000};
  std::size_t max_http_body = std::size_t{2} << 20;
  // stop() waits this long for the "stopped" announces, then gives up on them.
  std::chrono::milliseconds stop_timeout{5'000};
  // Same for every announce of this torrent (BEP 7 "key"); 0 picks a random one.
  std::uint32_t key = 0;
};

class TorrentAnnouncer {
 public:
  using PeersCallback = std::function<void(std::vector<tracker::PeerEndpoint>)>;
  using StatsProvider = std::function<AnnounceStats()>;

  // Nothing is sent before start(). `http` and `udp` must outlive the announcer.
  TorrentAnnouncer(uv_loop_t* loop, HttpClient& http, UdpTrackerSocket& udp,
                   TorrentAnnouncerConfig config);
  // Calls close(); run the loop afterwards so the close callback frees the timer.
  ~TorrentAnnouncer();
  TorrentAnnouncer(const TorrentAnnouncer&) = delete;
  TorrentAnnouncer& operator=(const TorrentAnnouncer&) = delete;

  // Peers from each successful reply (not from "stopped" ones). May be called from inside the
  // loop's callbacks; it may call any method of this class, including close().
  void set_on_peers(PeersCallback callback);
  // Asked at each announce; without one, the last set_stats() values are sent.
  void set_stats_provider(StatsProvider provider);
  void set_stats(std::int64_t uploaded, std::int64_t downloaded, std::int64_t left);

  // Begins announcing ("started" to the first tracker that answers).
  void start();
  // Short of peers: announce earlier than the interval (never before the min interval).
  void set_want_peers(bool want);
  // The download finished: "completed" is sent at the next chance.
  void completed();
  // Shutdown or removal: sends "stopped" to every tracker that got "started" and calls `done`
  // (once, from the loop, never from inside stop()) when they have all answered or failed, or
  // when stop_timeout has passed; what is still in flight then is cancelled. Nothing else is
  // announced afterwards.
  void stop(std::function<void()> done);
  // Cancels whatever is in flight and closes the timer, without "stopped". Idempotent; no
  // callback runs afterwards.
  void close();

  // One row per tracker, for torrent.status.
  std::vector<tracker::TrackerStatus> status() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace btd::daemon
