#include "daemon/config_reload.hpp"

#include <csignal>

#include "daemon/config_file.hpp"
#include "daemon/log.hpp"
#include "daemon/session_settings.hpp"

namespace btd::daemon {

ConfigReloader::ConfigReloader(uv_loop_t* loop, DaemonOptions started, Hooks hooks)
    : running_(std::move(started)), file_settings_(running_.settings), hooks_(std::move(hooks)) {
  signal_ = new uv_signal_t;
  uv_signal_init(loop, signal_);
  signal_->data = this;
  uv_signal_start(
      signal_,
      [](uv_signal_t* handle, int) {
        log_notice("received SIGHUP, reloading the config");
        static_cast<ConfigReloader*>(handle->data)->reload();
      },
      SIGHUP);
}

ConfigReloader::~ConfigReloader() { close(); }

void ConfigReloader::close() {
  if (signal_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(signal_), [](uv_handle_t* h) { delete reinterpret_cast<uv_signal_t*>(h); });
  signal_ = nullptr;
}

void ConfigReloader::reload() {
  auto next = reload_daemon_options(running_.flags, rpc::process_env());
  if (!next) {
    log_error("config reload failed, keeping the running settings: " + next.error().message);
    return;
  }
  std::string restart;
  for (const std::string& key : restart_needed(running_, *next)) restart += (restart.empty() ? "" : ", ") + key;
  if (!restart.empty()) log_warning("config: " + restart + " changed; restart btd to apply");
  const SessionSettings current = hooks_.current();
  const SessionSettings wanted = changed_settings(current, file_settings_, next->settings);
  file_settings_ = next->settings;
  if (wanted == current) {
    log_notice("config reloaded from " + next->config_path.value_or("(no file)") + ": no run-time setting changed");
    return;
  }
  hooks_.apply(wanted);
  log_notice("config reloaded from " + next->config_path.value_or("(no file)") + ": " + settings_json(wanted).dump());
}

}  // namespace btd::daemon
