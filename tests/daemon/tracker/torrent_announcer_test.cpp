// TorrentAnnouncer end to end: real opentracker over HTTP and UDP, tier failover past dead
// and unsupported trackers, refusals surfaced in status, and "stopped" at shutdown.
#include "daemon/tracker/torrent_announcer.hpp"

#include <doctest/doctest.h>

#include <sys/socket.h>

#include <algorithm>
#include <memory>
#include <optional>

#include "tests/daemon/tracker/opentracker_process.hpp"

namespace btd::daemon {
namespace {

using namespace std::chrono_literals;
using test::OpenTrackerProcess;
using tracker::PeerEndpoint;

struct Fixture {
  uv_loop_t loop{};
  bool closed = false;
  std::unique_ptr<HttpClient> http;
  std::unique_ptr<UdpTrackerSocket> udp;

  explicit Fixture(UdpTrackerOptions udp_options = {}) {
    uv_loop_init(&loop);
    http = std::make_unique<HttpClient>(&loop);
    udp = std::make_unique<UdpTrackerSocket>(&loop, udp_options);
    REQUIRE(udp->open().ok());
  }
  ~Fixture() {
    if (!closed) close();
  }
  int close() {
    closed = true;
    http.reset();
    udp.reset();
    return test::close_loop(&loop);
  }
};

TorrentAnnouncerConfig config_for(const InfoHash& hash, std::uint16_t port,
                                  std::vector<std::vector<std::string>> tiers) {
  TorrentAnnouncerConfig config;
  config.info_hash = hash;
  config.peer_id = "-BT0001-" + std::string(6, 'p') + std::to_string(100000 + port).substr(0, 6);
  REQUIRE(config.peer_id.size() == 20);
  config.listen_port = port;
  config.tiers = std::move(tiers);
  config.http_timeout = 5s;
  return config;
}

struct Peer {
  std::unique_ptr<TorrentAnnouncer> announcer;
  std::vector<PeerEndpoint> peers;
  int peer_batches = 0;

  Peer(Fixture& fx, TorrentAnnouncerConfig config, std::int64_t left) {
    announcer = std::make_unique<TorrentAnnouncer>(&fx.loop, *fx.http, *fx.udp, std::move(config));
    announcer->set_stats(0, 0, left);
    announcer->set_on_peers([this](std::vector<PeerEndpoint> got) {
      ++peer_batches;
      peers = std::move(got);
    });
  }

  bool has(const std::string& ip, std::uint16_t port) const {
    return std::find(peers.begin(), peers.end(), PeerEndpoint{ip, port}) != peers.end();
  }

  // Waits until no tracker is "not contacted" or "updating" any more.
  bool settle(Fixture& fx, std::chrono::milliseconds limit = 10s) {
    return test::run_until(&fx.loop, [&] {
      auto rows = announcer->status();
      return std::none_of(rows.begin(), rows.end(), [](const tracker::TrackerStatus& row) {
        return row.status == "not contacted" || row.status == "updating";
      });
    }, limit);
  }
};

// Two peers announce; the second hears of the first; the first stops; a third no longer hears
// of it.
void swarm_scenario(Fixture& fx, const std::string& url, const InfoHash& hash) {
  Peer a(fx, config_for(hash, 7201, {{url}}), 0);  // a seeder: left 0
  a.announcer->start();
  REQUIRE(a.settle(fx));
  auto rows = a.announcer->status();
  REQUIRE(rows.size() == 1);
  CHECK_MESSAGE(rows[0].status == "working", rows[0].last_error);
  REQUIRE(rows[0].last_announce_ms.has_value());
  // status() speaks unix time.
  CHECK(*rows[0].last_announce_ms > 1'600'000'000'000);
  REQUIRE(rows[0].next_announce_ms.has_value());
  CHECK(*rows[0].next_announce_ms > *rows[0].last_announce_ms);

  Peer b(fx, config_for(hash, 7202, {{url}}), 5000);
  b.announcer->start();
  REQUIRE(test::run_until(&fx.loop, [&] { return b.peer_batches > 0; }));
  CHECK(b.has("127.0.0.1", 7201));
  rows = b.announcer->status();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].status == "working");
  CHECK(rows[0].seeders == std::optional<std::int64_t>(1));  // a said left=0
  CHECK(rows[0].peers.value_or(0) >= 1);

  bool stopped = false;
  const auto start = std::chrono::steady_clock::now();
  a.announcer->stop([&] { stopped = true; });
  CHECK_FALSE(stopped);  // never from inside stop()
  REQUIRE(test::run_until(&fx.loop, [&] { return stopped; }, 10s));
  CHECK(std::chrono::steady_clock::now() - start < 4s);  // answered, not the 5 s bound
  CHECK(a.announcer->status()[0].status == "working");   // the "stopped" was answered

  Peer c(fx, config_for(hash, 7203, {{url}}), 5000);
  c.announcer->start();
  REQUIRE(test::run_until(&fx.loop, [&] { return c.peer_batches > 0; }));
  CHECK(c.has("127.0.0.1", 7202));
  CHECK_FALSE(c.has("127.0.0.1", 7201));  // opentracker forgot a: "stopped" reached it
}

TEST_CASE("TorrentAnnouncer over HTTP: peers find each other; stop() sends \"stopped\"") {
  const InfoHash hash = sha1("announcer: http swarm");
  OpenTrackerProcess tracker({hash});
  Fixture fx;
  swarm_scenario(fx, tracker.http_announce(), hash);
  CHECK(fx.close() == 0);
}

TEST_CASE("TorrentAnnouncer over UDP: peers find each other; stop() sends \"stopped\"") {
  const InfoHash hash = sha1("announcer: udp swarm");
  OpenTrackerProcess tracker({hash});
  Fixture fx;
  swarm_scenario(fx, tracker.udp_announce(), hash);
  CHECK(fx.close() == 0);
}

TEST_CASE("TorrentAnnouncer: a tracker's refusal shows as an error in status") {
  OpenTrackerProcess tracker({sha1("announcer: some other torrent")});
  Fixture fx;
  {
    Peer a(fx, config_for(sha1("announcer: not whitelisted"), 7211, {{tracker.http_announce()}}),
           1000);
    a.announcer->start();
    REQUIRE(a.settle(fx));
    const auto rows = a.announcer->status();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].status == "error");
    CHECK(rows[0].last_error.find("tracker refused: Requested download is not authorized") !=
          std::string::npos);
    CHECK(a.peer_batches == 0);
  }
  CHECK(fx.close() == 0);
}

TEST_CASE("TorrentAnnouncer: dead and unsupported trackers fail over to the next tier") {
  const InfoHash hash = sha1("announcer: failover");
  OpenTrackerProcess tracker({hash});
  UdpTrackerOptions udp_options;
  udp_options.base_timeout_ms = 50;
  udp_options.max_retransmits = 1;
  Fixture fx(udp_options);
  {
    const std::string dead_http =
        "http://127.0.0.1:" + std::to_string(test::free_port(SOCK_STREAM)) + "/announce";
    const std::string dead_udp =
        "udp://127.0.0.1:" + std::to_string(test::free_port(SOCK_DGRAM)) + "/announce";
    const std::string websocket = "wss://tracker.example.org/announce";
    Peer a(fx, config_for(hash, 7221,
                          {{dead_http}, {websocket}, {dead_udp}, {tracker.http_announce()}}),
           1000);
    a.announcer->start();
    REQUIRE(a.settle(fx));
    const auto rows = a.announcer->status();
    REQUIRE(rows.size() == 4);
    CHECK(rows[0].url == dead_http);
    CHECK(rows[0].status == "error");
    CHECK(rows[0].last_error.find("GET " + dead_http) != std::string::npos);
    CHECK(rows[1].status == "error");
    CHECK(rows[1].last_error.find("unsupported tracker scheme \"wss\"") != std::string::npos);
    CHECK(rows[2].status == "error");
    CHECK(rows[2].last_error.find("did not answer") != std::string::npos);
    CHECK(rows[3].url == tracker.http_announce());
    CHECK_MESSAGE(rows[3].status == "working", rows[3].last_error);
  }
  CHECK(fx.close() == 0);
}

TEST_CASE("TorrentAnnouncer: stop() gives up on a silent tracker after stop_timeout") {
  const InfoHash hash = sha1("announcer: silent at stop");
  auto tracker = std::make_unique<OpenTrackerProcess>(std::vector<InfoHash>{hash});
  Fixture fx;
  {
    auto config = config_for(hash, 7231, {{tracker->udp_announce()}});
    config.stop_timeout = 300ms;
    Peer a(fx, config, 1000);
    a.announcer->start();
    REQUIRE(a.settle(fx));
    REQUIRE_MESSAGE(a.announcer->status()[0].status == "working",
                    a.announcer->status()[0].last_error);
    tracker.reset();  // nobody answers the "stopped" now
    bool stopped = false;
    const auto start = std::chrono::steady_clock::now();
    a.announcer->stop([&] { stopped = true; });
    REQUIRE(test::run_until(&fx.loop, [&] { return stopped; }, 5s));
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(took >= 250ms);
    CHECK(took < 3s);
    CHECK(fx.udp->active_announces() == 0);  // the unanswered "stopped" was cancelled
  }
  CHECK(fx.close() == 0);
}

TEST_CASE("TorrentAnnouncer: stop() before any announce finishes at once; close() is final") {
  Fixture fx;
  {
    Peer a(fx, config_for(sha1("announcer: idle"), 7241, {{"http://127.0.0.1:1/announce"}}), 1);
    bool stopped = false;
    a.announcer->stop([&] { stopped = true; });
    CHECK_FALSE(stopped);
    REQUIRE(test::run_until(&fx.loop, [&] { return stopped; }, 2s));
    CHECK(a.announcer->status()[0].status == "not contacted");

    Peer b(fx, config_for(sha1("announcer: closed"), 7242, {{"http://127.0.0.1:1/announce"}}), 1);
    b.announcer->start();
    b.announcer->close();
    test::run_until(&fx.loop, [] { return false; }, 100ms);
    CHECK(b.announcer->status()[0].status == "not contacted");
    CHECK(fx.http->active_requests() == 0);
  }
  CHECK(fx.close() == 0);
}

}  // namespace
}  // namespace btd::daemon
