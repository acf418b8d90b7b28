// btd: the composition root. Builds the loop and the adapters, wires them to the engine, runs
// until SIGINT or SIGTERM, and shuts down so that uv_loop_close() succeeds.
#include <sys/stat.h>
#include <uv.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "daemon/config_file.hpp"
#include "daemon/config_reload.hpp"
#include "daemon/daemon_options.hpp"
#include "daemon/log.hpp"
#include "daemon/event_hub.hpp"
#include "daemon/session.hpp"
#include "daemon/service_notifier.hpp"
#include "daemon/session_methods.hpp"
#include "daemon/session_settings.hpp"
#include "daemon/socket_activation.hpp"
#include "rpc/dispatcher.hpp"
#include "rpc/server.hpp"
#include "rpc/socket_path.hpp"

namespace {

using namespace btd::daemon;

// Creates a directory and its parents; the state dir holds resume data, so only we may read it.
bool make_dir(const std::string& path, std::filesystem::perms perms) {
  std::error_code ec;
  const bool created = std::filesystem::create_directories(path, ec);
  if (ec) {
    log_error("cannot create directory " + path + ": " + ec.message());
    return false;
  }
  if (created) std::filesystem::permissions(path, perms, ec);
  return true;
}

struct Shutdown {
  uv_signal_t sigint{};
  uv_signal_t sigterm{};
  btd::rpc::UnixSocketServer* server = nullptr;
  Session* session = nullptr;
  ConfigReloader* reloader = nullptr;
  ServiceNotifier* notifier = nullptr;
  bool requested = false;
};

void on_stop_signal(uv_signal_t* handle, int signum) {
  auto* s = static_cast<Shutdown*>(handle->data);
  if (s->requested) return;
  s->requested = true;
  log_notice(std::string("received ") + (signum == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
  s->notifier->stopping();
  s->server->close();
  // Trackers hear "stopped" (bounded in time) before the signal handles go and the loop ends.
  s->session->stop([s] {
    uv_close(reinterpret_cast<uv_handle_t*>(&s->sigint), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&s->sigterm), nullptr);
    s->notifier->close();
    s->reloader->close();
  });
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = load_daemon_options(std::vector<std::string>(argv + 1, argv + argc), btd::rpc::process_env());
  if (!parsed) {
    std::cerr << "btd: " << parsed.error().message << "\n" << kDaemonUsage;
    return 2;
  }
  const DaemonOptions& options = *parsed;
  if (options.show_help) {
    std::cout << kDaemonUsage;
    return 0;
  }
  if (options.show_version) {
    std::cout << "btd " << BTD_VERSION << "\n";
    return 0;
  }
  set_log_level(options.settings.log_level);

  using std::filesystem::perms;
  if (!make_dir(options.state_dir, perms::owner_all) ||
      !make_dir(options.state_dir + "/torrents", perms::owner_all) ||
      !make_dir(options.download_dir, perms::owner_all | perms::group_read | perms::group_exec))
    return 1;

  uv_loop_t loop;
  uv_loop_init(&loop);
  const auto started = std::chrono::steady_clock::now();

  btd::rpc::Dispatcher dispatcher;
  btd::rpc::UnixSocketServer* server_ptr = nullptr;
  EventHub events([&server_ptr](std::uint64_t connection, const std::string& method, nlohmann::json params) {
    return server_ptr != nullptr && server_ptr->notify(connection, method, std::move(params));
  });
  SessionConfig session_config;
  session_config.state_dir = options.state_dir;
  session_config.download_dir = options.download_dir;
  session_config.listen_port = options.listen_port.value_or(6881);
  session_config.listen_address = options.listen_address;
  session_config.settings = options.settings;
  Session session(&loop, session_config, events);
  session.add_methods(dispatcher);
  add_settings_methods(session, dispatcher);
  add_session_methods(dispatcher, started, [&session] { return session.stats(); });

  btd::rpc::ServerOptions server_options;
  server_options.on_disconnect = [&events](std::uint64_t connection) { events.unsubscribe(connection); };
  // A client that sends requests and never reads holds at most this much of our memory before
  // we stop reading it, and is dropped past the hard limit (one big get-piece answer always fits).
  server_options.write_soft_limit = std::size_t{8} << 20;
  server_options.write_hard_limit = std::size_t{64} << 20;
  btd::rpc::UnixSocketServer server(&loop, dispatcher, server_options);
  server_ptr = &server;
  std::string socket_path = btd::rpc::resolve_server_socket(options.socket, btd::rpc::process_env());
  // btd.socket (systemd socket activation) hands over a listening socket; else btd binds its own.
  const auto inherited = inherited_rpc_socket();
  if (inherited && *inherited && !(*inherited)->path.empty()) socket_path = (*inherited)->path;
  if (auto listening = !inherited   ? btd::Result<void>(inherited.error())
                       : *inherited ? server.listen_fd((*inherited)->fd)
                                    : server.listen(socket_path);
      !listening) {
    log_error(listening.error().message);
    server.close();
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return 1;
  }

  if (auto started_ok = session.start(); !started_ok) {
    log_error("cannot start: " + started_ok.error().message);
    server.close();
    session.stop([] {});
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return 1;
  }

  ServiceNotifier notifier(&loop, [&session] { return service_status_line(session.stats()); });
  ConfigReloader reloader(&loop, options, {[&session] { return session.settings(); },
                                           [&session](const SessionSettings& s) { session.apply_settings(s); }});
  Shutdown shutdown;
  shutdown.reloader = &reloader;
  shutdown.server = &server;
  shutdown.session = &session;
  shutdown.notifier = &notifier;
  uv_signal_init(&loop, &shutdown.sigint);
  uv_signal_init(&loop, &shutdown.sigterm);
  shutdown.sigint.data = shutdown.sigterm.data = &shutdown;
  uv_signal_start(&shutdown.sigint, on_stop_signal, SIGINT);
  uv_signal_start(&shutdown.sigterm, on_stop_signal, SIGTERM);

  log_notice("btd " BTD_VERSION " listening for RPC on " + socket_path + ", for peers on port " +
             std::to_string(session.stats().listen_port.value_or(0)) + ", state in " + options.state_dir +
             ", downloads to " + options.download_dir);
  notifier.ready();
  uv_run(&loop, UV_RUN_DEFAULT);

  const int closed = uv_loop_close(&loop);
  if (closed != 0) {
    log_error(std::string("event loop did not close cleanly: ") + uv_strerror(closed));
    return 1;
  }
  log_notice("stopped");
  return 0;
}
