#pragma once
// SIGHUP: re-reads the config file under the flags btd started with. Rate limits, connection
// limits and the log level change at once; keys that need a restart are logged, not applied; a
// bad file is logged and the running settings stay.
#include <uv.h>

#include <functional>

#include "daemon/daemon_options.hpp"

namespace btd::daemon {

class ConfigReloader {
 public:
  struct Hooks {
    std::function<SessionSettings()> current;
    std::function<void(const SessionSettings&)> apply;
  };
  ConfigReloader(uv_loop_t* loop, DaemonOptions started, Hooks hooks);
  ~ConfigReloader();
  ConfigReloader(const ConfigReloader&) = delete;
  ConfigReloader& operator=(const ConfigReloader&) = delete;

  // What SIGHUP does; public for tests.
  void reload();
  // Stops listening for SIGHUP; the handle is freed when the loop runs.
  void close();

 private:
  DaemonOptions running_;         // as started: what the restart-only keys are now
  SessionSettings file_settings_;  // the settings the last good load asked for
  Hooks hooks_;
  uv_signal_t* signal_ = nullptr;
};

}  // namespace btd::daemon
