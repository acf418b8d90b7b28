#include "daemon/tracker/torrent_announcer.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <random>
#include <utility>

#include "core/tracker/announce_request.hpp"
#include "core/tracker/http_response.hpp"

namespace btd::daemon {

namespace {

struct TimerBox {
  uv_timer_t timer;
  TorrentAnnouncer::Impl* impl = nullptr;
};

void on_timer_closed(uv_handle_t* handle) { delete static_cast<TimerBox*>(handle->data); }

enum class Transport : std::uint8_t { http, udp };

// "HTTP" -> "http"; empty when the URL has no "scheme://".
std::string scheme_of(const std::string& url) {
  const auto end = url.find("://");
  if (end == std::string::npos) return {};
  std::string scheme = url.substr(0, end);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return scheme;
}

std::int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct TorrentAnnouncer::Impl : std::enable_shared_from_this<TorrentAnnouncer::Impl> {
  struct InFlight {
    Transport transport;
    std::uint64_t request_id;  // the HTTP client's or the UDP socket's
    tracker::Event event;
  };

  uv_loop_t* loop = nullptr;
  HttpClient* http = nullptr;
  UdpTrackerSocket* udp = nullptr;
  TorrentAnnouncerConfig config;
  std::mt19937 rng{std::random_device{}()};
  std::optional<tracker::TrackerList> list;
  TimerBox* timer = nullptr;
  PeersCallback on_peers;
  StatsProvider stats_provider;
  AnnounceStats stats;
  std::map<std::uint64_t, InFlight> in_flight;  // by TrackerList job id
  bool started = false;
  bool want_peers = false;
  bool stopping = false;
  bool closed = false;
  std::int64_t stop_deadline_ms = 0;
  std::function<void()> stop_done;

  std::int64_t now() const { return static_cast<std::int64_t>(uv_now(loop)); }

  static void on_timer(uv_timer_t* handle);
  void pump();
  void schedule();
  void arm(std::int64_t at_ms);
  void run(const tracker::AnnounceJob& job);
  void on_http(std::uint64_t job_id, Result<std::string> body);
  void on_udp(std::uint64_t job_id, Result<tracker::AnnounceResponse> reply);
  void on_reply(std::uint64_t job_id, tracker::Event event, const tracker::AnnounceResponse& reply);
  void on_error(std::uint64_t job_id, const std::string& error);
  void cancel_in_flight();
  void finish_stop();
  void close();
};

void TorrentAnnouncer::Impl::on_timer(uv_timer_t* handle) {
  auto self = static_cast<TimerBox*>(handle->data)->impl->shared_from_this();
  if (self->stopping) {
    if (self->list->stopped() || self->now() >= self->stop_deadline_ms) {
      self->finish_stop();
    } else {
      self->schedule();
    }
    return;
  }
  self->pump();
}

void TorrentAnnouncer::Impl::pump() {
  if (closed || (!started && !stopping)) return;
  // Bounded: outside shutdown poll() hands out one job at a time and a job that fails at once
  // moves the round on; in shutdown, one "stopped" per tracker.
  while (!closed) {
    auto job = list->poll(now(), want_peers);
    if (!job) break;
    run(*job);
  }
  schedule();
}

void TorrentAnnouncer::Impl::schedule() {
  if (closed || timer == nullptr) return;
  if (stopping) {
    arm(list->stopped() ? now() : stop_deadline_ms);
    return;
  }
  if (auto next = list->next_poll_ms(want_peers)) {
    arm(*next);
  } else {
    uv_timer_stop(&timer->timer);
  }
}

void TorrentAnnouncer::Impl::arm(std::int64_t at_ms) {
  const std::int64_t delay = std::max<std::int64_t>(0, at_ms - now());
  uv_timer_start(&timer->timer, on_timer, static_cast<std::uint64_t>(delay), 0);
}

void TorrentAnnouncer::Impl::run(const tracker::AnnounceJob& job) {
  if (stats_provider) stats = stats_provider();
  tracker::AnnounceRequest request;
  request.info_hash = config.info_hash;
  request.peer_id = config.peer_id;
  request.port = config.listen_port;
  request.uploaded = stats.uploaded;
  request.downloaded = stats.downloaded;
  request.left = stats.left;
  request.event = job.event;
  request.numwant = job.event == tracker::Event::stopped ? 0 : config.numwant;
  request.key = config.key;
  request.tracker_id = job.tracker_id;

  const std::string scheme = scheme_of(job.url);
  std::weak_ptr<Impl> weak = weak_from_this();
  const std::uint64_t job_id = job.id;
  if (scheme == "http" || scheme == "https") {
    auto id = http->get(tracker::build_announce_url(job.url, request), config.http_timeout,
                        config.max_http_body, [weak, job_id](Result<std::string> body) {
                          if (auto self = weak.lock()) self->on_http(job_id, std::move(body));
                        });
    if (!id) {
      list->on_announce_error(job_id, id.error().message, now());
      return;
    }
    in_flight[job_id] = InFlight{Transport::http, *id, job.event};
  } else if (scheme == "udp") {
    auto id = udp->announce(job.url, std::move(request),
                            [weak, job_id](Result<tracker::AnnounceResponse> reply) {
                              if (auto self = weak.lock()) self->on_udp(job_id, std::move(reply));
                            });
    if (!id) {
      list->on_announce_error(job_id, id.error().message, now());
      return;
    }
    in_flight[job_id] = InFlight{Transport::udp, *id, job.event};
  } else {
    list->on_announce_error(job_id,
                            "unsupported tracker scheme \"" + scheme +
                                "\" (btd announces over http, https and udp)",
                            now());
  }
}

void TorrentAnnouncer::Impl::on_http(std::uint64_t job_id, Result<std::string> body) {
  auto it = in_flight.find(job_id);
  if (it == in_flight.end() || closed) return;
  const tracker::Event event = it->second.event;
  in_flight.erase(it);
  if (!body) {
    on_error(job_id, body.error().message);
    return;
  }
  auto reply = tracker::parse_http_announce_response(*body, config.limits);
  if (!reply) {
    on_error(job_id, "unusable tracker reply: " + reply.error().message);
    return;
  }
  on_reply(job_id, event, *reply);
}

void TorrentAnnouncer::Impl::on_udp(std::uint64_t job_id,
                                    Result<tracker::AnnounceResponse> reply) {
  auto it = in_flight.find(job_id);
  if (it == in_flight.end() || closed) return;
  const tracker::Event event = it->second.event;
  in_flight.erase(it);
  if (!reply) {
    on_error(job_id, reply.error().message);
    return;
  }
  on_reply(job_id, event, *reply);
}

void TorrentAnnouncer::Impl::on_reply(std::uint64_t job_id, tracker::Event event,
                                      const tracker::AnnounceResponse& reply) {
  auto keep = shared_from_this();
  list->on_announce_reply(job_id, reply, now());
  pump();
  // Handed out after the state change, so the callback sees a settled announcer.
  if (!closed && !reply.failure_reason && event != tracker::Event::stopped &&
      !reply.peers.empty() && on_peers) {
    on_peers(reply.peers);
  }
}

void TorrentAnnouncer::Impl::on_error(std::uint64_t job_id, const std::string& error) {
  list->on_announce_error(job_id, error, now());
  pump();
}

void TorrentAnnouncer::Impl::cancel_in_flight() {
  for (const auto& [job_id, job] : in_flight) {
    if (job.transport == Transport::http) {
      http->cancel(job.request_id);
    } else {
      udp->cancel(job.request_id);
    }
  }
  in_flight.clear();
}

void TorrentAnnouncer::Impl::finish_stop() {
  cancel_in_flight();
  if (timer != nullptr) uv_timer_stop(&timer->timer);
  auto done = std::move(stop_done);
  stop_done = nullptr;
  if (done) done();
}

void TorrentAnnouncer::Impl::close() {
  if (closed) return;
  closed = true;
  cancel_in_flight();
  stop_done = nullptr;
  on_peers = nullptr;
  if (timer != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(&timer->timer), on_timer_closed);
    timer = nullptr;
  }
}

TorrentAnnouncer::TorrentAnnouncer(uv_loop_t* loop, HttpClient& http, UdpTrackerSocket& udp,
                                   TorrentAnnouncerConfig config)
    : impl_(std::make_shared<Impl>()) {
  Impl& self = *impl_;
  self.loop = loop;
  self.http = &http;
  self.udp = &udp;
  self.config = std::move(config);
  while (self.config.key == 0) self.config.key = static_cast<std::uint32_t>(self.rng());
  auto* rng = &self.rng;
  self.list.emplace(
      self.config.tiers,
      [rng](std::size_t bound) {
        return std::uniform_int_distribution<std::size_t>(0, bound - 1)(*rng);
      },
      self.config.list);
  self.timer = new TimerBox{};
  self.timer->impl = &self;
  self.timer->timer.data = self.timer;
  uv_timer_init(loop, &self.timer->timer);
}

TorrentAnnouncer::~TorrentAnnouncer() { close(); }

void TorrentAnnouncer::set_on_peers(PeersCallback callback) { impl_->on_peers = std::move(callback); }

void TorrentAnnouncer::set_stats_provider(StatsProvider provider) {
  impl_->stats_provider = std::move(provider);
}

void TorrentAnnouncer::set_stats(std::int64_t uploaded, std::int64_t downloaded,
                                 std::int64_t left) {
  impl_->stats = AnnounceStats{uploaded, downloaded, left};
}

void TorrentAnnouncer::start() {
  Impl& self = *impl_;
  if (self.closed || self.stopping || self.started) return;
  self.started = true;
  self.arm(self.now());  // from the loop, so no callback runs inside start()
}

void TorrentAnnouncer::set_want_peers(bool want) {
  Impl& self = *impl_;
  if (self.want_peers == want) return;
  self.want_peers = want;
  if (self.started && !self.stopping && !self.closed) self.schedule();
}

void TorrentAnnouncer::completed() {
  Impl& self = *impl_;
  self.list->on_download_completed();
  if (self.started && !self.stopping && !self.closed) self.schedule();
}

void TorrentAnnouncer::stop(std::function<void()> done) {
  Impl& self = *impl_;
  if (self.closed) return;
  self.stop_done = std::move(done);
  if (!self.stopping) {
    // The loop's clock is cached per iteration; stop() may come from outside the loop, late.
    uv_update_time(self.loop);
    self.stopping = true;
    self.stop_deadline_ms = self.now() + self.config.stop_timeout.count();
    self.list->stop();
  }
  // Jobs go out now; `done` only ever runs from the timer.
  self.pump();
}

void TorrentAnnouncer::close() { impl_->close(); }

std::vector<tracker::TrackerStatus> TorrentAnnouncer::status() const {
  auto rows = impl_->list->status();
  const std::int64_t offset = wall_clock_ms() - impl_->now();
  for (auto& row : rows) {
    if (row.last_announce_ms) *row.last_announce_ms += offset;
    if (row.next_announce_ms) *row.next_announce_ms += offset;
  }
  return rows;
}

}  // namespace btd::daemon
