#include "daemon/service_notifier.hpp"

#include <systemd/sd-daemon.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <utility>

#include "daemon/log.hpp"

namespace btd::daemon {

namespace {

// STATUS= is refreshed this often (only sent when the line changed).
constexpr std::uint64_t kStatusPeriodMs = 5000;

void on_timer_closed(uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); }

void close_timer(uv_timer_t*& timer) {
  if (timer == nullptr) return;
  uv_timer_stop(timer);
  uv_close(reinterpret_cast<uv_handle_t*>(timer), on_timer_closed);
  timer = nullptr;
}

std::string plural(std::int64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

}  // namespace

std::string format_rate(std::int64_t bytes_per_second) {
  static const char* const units[] = {"B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"};
  if (bytes_per_second < 0) bytes_per_second = 0;
  double value = static_cast<double>(bytes_per_second);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0 || value >= 10)
    std::snprintf(buf, sizeof buf, "%.0f %s", value, units[unit]);
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", value, units[unit]);
  return buf;
}

std::string service_status_line(const SessionStats& s) {
  std::string line = plural(s.torrents, "torrent", "torrents");
  std::string states;
  auto add = [&states](std::int64_t n, const char* name) {
    if (n <= 0) return;
    if (!states.empty()) states += ", ";
    states += std::to_string(n) + " " + name;
  };
  add(s.downloading, "downloading");
  add(s.seeding, "seeding");
  add(s.checking, "checking");
  add(s.paused, "paused");
  add(s.errored, "with errors");
  if (!states.empty()) line += " (" + states + ")";
  line += ", down " + format_rate(s.download_rate) + ", up " + format_rate(s.upload_rate) + ", " +
          plural(s.peers, "peer", "peers");
  return line;
}

ServiceNotifier::ServiceNotifier(uv_loop_t* loop, std::function<std::string()> status)
    : loop_(loop), status_(std::move(status)) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  active_ = socket != nullptr && socket[0] != '\0';
  if (!active_) return;

  // sd_watchdog_enabled() also checks WATCHDOG_PID, so a child that inherited the variables
  // does not ping on our behalf.
  std::uint64_t usec = 0;
  if (int r = sd_watchdog_enabled(0, &usec); r < 0) {
    log_warning("ignoring the watchdog settings systemd passed (WATCHDOG_USEC): " + std::string(std::strerror(-r)));
  } else if (r > 0 && usec > 0) {
    // Half the interval, as sd_watchdog_enabled(3) advises; at least 1 ms so libuv repeats.
    watchdog_period_ms_ = std::max<std::uint64_t>(usec / 2 / 1000, 1);
    watchdog_timer_ = new uv_timer_t;
    uv_timer_init(loop_, watchdog_timer_);
    watchdog_timer_->data = this;
    uv_timer_start(
        watchdog_timer_, [](uv_timer_t* t) { static_cast<ServiceNotifier*>(t->data)->send("WATCHDOG=1"); },
        watchdog_period_ms_, watchdog_period_ms_);
    // Only the loop's real work keeps it alive; the pings stop when the loop ends.
    uv_unref(reinterpret_cast<uv_handle_t*>(watchdog_timer_));
    log_info("systemd watchdog: pinging every " + std::to_string(watchdog_period_ms_) + " ms");
  }
}

ServiceNotifier::~ServiceNotifier() { close(); }

void ServiceNotifier::send(const std::string& message) {
  if (!active_) return;
  // unset_environment = 0: a later reload still needs the socket.
  if (int r = sd_notify(0, message.c_str()); r < 0)
    log_debug("sd_notify(" + message.substr(0, message.find('=')) + ") failed: " + std::strerror(-r));
}

void ServiceNotifier::ready() {
  if (!active_) return;
  last_status_ = status_();
  send("READY=1\nSTATUS=" + last_status_);
  if (status_timer_ != nullptr || stopping_) return;
  status_timer_ = new uv_timer_t;
  uv_timer_init(loop_, status_timer_);
  status_timer_->data = this;
  uv_timer_start(
      status_timer_, [](uv_timer_t* t) { static_cast<ServiceNotifier*>(t->data)->refresh_status(); },
      kStatusPeriodMs, kStatusPeriodMs);
  uv_unref(reinterpret_cast<uv_handle_t*>(status_timer_));
}

void ServiceNotifier::refresh_status() {
  std::string line = status_();
  if (line == last_status_) return;
  last_status_ = std::move(line);
  send("STATUS=" + last_status_);
}

void ServiceNotifier::stopping() {
  if (stopping_) return;
  stopping_ = true;
  close_timer(status_timer_);
  send("STOPPING=1\nSTATUS=shutting down");
}

void ServiceNotifier::close() {
  close_timer(status_timer_);
  close_timer(watchdog_timer_);
}

}  // namespace btd::daemon
