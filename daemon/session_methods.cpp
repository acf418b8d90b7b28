#include "daemon/session_methods.hpp"

namespace btd::daemon {

void add_session_methods(rpc::Dispatcher& dispatcher, std::chrono::steady_clock::time_point started,
                         std::function<SessionStats()> stats) {
  dispatcher.add_sync("session.stats", [started, stats](const rpc::Json&) -> rpc::RpcResult<rpc::Json> {
    const SessionStats s = stats();
    const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
    return rpc::Json{
        {"version", BTD_VERSION},
        {"uptime_s", uptime},
        {"listen_port", s.listen_port ? rpc::Json(*s.listen_port) : rpc::Json()},
        {"torrents", s.torrents},
        {"download_rate", s.download_rate},
        {"upload_rate", s.upload_rate},
        {"downloaded", s.downloaded},
        {"uploaded", s.uploaded},
        {"peers", s.peers},
    };
  });
}

}  // namespace btd::daemon
