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
        {"dht", rpc::Json{
                    {"enabled", s.dht.enabled},
                    {"port", s.dht.enabled ? rpc::Json(s.dht.port) : rpc::Json()},
                    {"nodes", s.dht.nodes},
                    {"good_nodes", s.dht.good_nodes},
                    {"buckets", s.dht.buckets},
                    {"lookups_done", s.dht.lookups_done},
                    {"lookups_running", s.dht.lookups_running},
                    {"peers_found", s.dht.peers_found},
                    {"announces_received", s.dht.announces_received},
                    {"queries_received", s.dht.queries_received},
                    {"queries_dropped", s.dht.queries_dropped},
                    {"bad_packets", s.dht.bad_packets},
                    {"stored_peers", s.dht.stored_peers},
                }},
        {"lsd", rpc::Json{
                    {"enabled", s.lsd.enabled},
                    {"announces_sent", s.lsd.announces_sent},
                    {"announces_received", s.lsd.announces_received},
                    {"bad_announces", s.lsd.bad_announces},
                    {"peers_found", s.lsd.peers_found},
                }},
    };
  });
}

}  // namespace btd::daemon
