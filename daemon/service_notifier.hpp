#pragma once
// Tells systemd how btd is doing (sd_notify(3)): READY=1 once the RPC socket listens and the
// torrents are loaded, STATUS= with a one-line summary (refreshed while it changes), WATCHDOG=1
// from a timer at half the interval systemd asks for, so a hung loop gets the service
// restarted, and STOPPING=1 at shutdown. Without NOTIFY_SOCKET (not started by systemd, or not
// Type=notify) it sends nothing and starts no timer. Loop thread only.
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "daemon/session_methods.hpp"

namespace btd::daemon {

// "3 torrents (1 downloading, 2 seeding), down 1.2 MiB/s, up 300 KiB/s, 12 peers".
std::string service_status_line(const SessionStats& stats);
// 0 B/s, 999 B/s, 1.2 KiB/s, 300 KiB/s, 4.0 MiB/s: one decimal below 10, binary units.
std::string format_rate(std::int64_t bytes_per_second);

class ServiceNotifier {
 public:
  // `status` is asked for the STATUS= line whenever one is due.
  ServiceNotifier(uv_loop_t* loop, std::function<std::string()> status);
  ~ServiceNotifier();
  ServiceNotifier(const ServiceNotifier&) = delete;
  ServiceNotifier& operator=(const ServiceNotifier&) = delete;

  // True when systemd listens (NOTIFY_SOCKET is set).
  bool active() const { return active_; }
  // The watchdog ping period, 0 when systemd asked for no watchdog.
  std::uint64_t watchdog_period_ms() const { return watchdog_period_ms_; }

  // READY=1 with the first STATUS=; starts the status refresh.
  void ready();
  // STOPPING=1. The watchdog keeps pinging while the shutdown is under way.
  void stopping();
  // Closes the timers so the loop can end. Idempotent.
  void close();

 private:
  void send(const std::string& message);
  void refresh_status();

  uv_loop_t* loop_;
  std::function<std::string()> status_;
  bool active_ = false;
  bool stopping_ = false;
  std::uint64_t watchdog_period_ms_ = 0;
  uv_timer_t* watchdog_timer_ = nullptr;
  uv_timer_t* status_timer_ = nullptr;
  std::string last_status_;
};

}  // namespace btd::daemon
