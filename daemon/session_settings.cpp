// Settings changeable at run time: session.get, session.set and torrent.set (shared/RPC.md),
// and how Session applies them to the network, the engines and the log.
#include "core/util/token_bucket.hpp"
#include "daemon/dht/dht_service.hpp"
#include "daemon/log.hpp"
#include "daemon/net/peer_network.hpp"
#include "daemon/session.hpp"
#include "daemon/session_settings.hpp"
#include "rpc/error_codes.hpp"
#include "rpc/params.hpp"

namespace btd::daemon {

namespace p = rpc::params;
using rpc::Json;
using rpc::RpcError;
using rpc::RpcResult;

namespace {

// The same bounds as the config file.
constexpr std::uint64_t kMaxConnectionsValue = 100000;

RpcResult<std::optional<std::uint64_t>> optional_count(const Json& params, std::string_view name, std::uint64_t min) {
  auto v = p::optional_uint(params, name, kMaxConnectionsValue);
  if (v && *v && **v < min)
    return p::wrong_type(name, "an integer from " + std::to_string(min) + " to " + std::to_string(kMaxConnectionsValue));
  return v;
}

#define BTD_TRY(var, expr)                        \
  auto var##_result = (expr);                     \
  if (!var##_result) return var##_result.error(); \
  auto var = std::move(var##_result.value())

}  // namespace

Json settings_json(const SessionSettings& s) {
  return Json{
      {"download_rate_limit", s.download_rate_limit},
      {"upload_rate_limit", s.upload_rate_limit},
      {"max_connections", s.max_connections},
      {"max_connections_per_torrent", s.max_connections_per_torrent},
      {"log_level", log_level_name(s.log_level)},
      {"dht", s.dht},
      {"dht_bootstrap_nodes", s.dht_bootstrap_nodes},
      {"lsd", s.lsd},
      {"lsd_interface", s.lsd_interface},
      {"pex", s.pex},
      {"encryption", net::encryption_mode_name(s.encryption)},
  };
}

Json torrent_limits_json(const std::string& id, const TorrentLimits& l) {
  return Json{
      {"id", id},
      {"download_rate_limit", l.download_rate_limit},
      {"upload_rate_limit", l.upload_rate_limit},
      {"max_connections", l.max_connections ? Json(*l.max_connections) : Json()},
  };
}

std::vector<std::string> restart_needed(const DaemonOptions& before, const DaemonOptions& after) {
  std::vector<std::string> keys;
  if (before.state_dir != after.state_dir) keys.emplace_back("state_dir");
  if (before.download_dir != after.download_dir) keys.emplace_back("download_dir");
  if (before.socket != after.socket) keys.emplace_back("socket");
  if (before.listen_port != after.listen_port) keys.emplace_back("listen_port");
  if (before.listen_address != after.listen_address) keys.emplace_back("listen_address");
  return keys;
}

SessionSettings changed_settings(const SessionSettings& current, const SessionSettings& before,
                                 const SessionSettings& after) {
  SessionSettings out = current;
  if (before.download_rate_limit != after.download_rate_limit) out.download_rate_limit = after.download_rate_limit;
  if (before.upload_rate_limit != after.upload_rate_limit) out.upload_rate_limit = after.upload_rate_limit;
  if (before.max_connections != after.max_connections) out.max_connections = after.max_connections;
  if (before.max_connections_per_torrent != after.max_connections_per_torrent)
    out.max_connections_per_torrent = after.max_connections_per_torrent;
  if (before.log_level != after.log_level) out.log_level = after.log_level;
  if (before.dht != after.dht) out.dht = after.dht;
  if (before.dht_bootstrap_nodes != after.dht_bootstrap_nodes) out.dht_bootstrap_nodes = after.dht_bootstrap_nodes;
  if (before.lsd != after.lsd) out.lsd = after.lsd;
  if (before.lsd_interface != after.lsd_interface) out.lsd_interface = after.lsd_interface;
  if (before.pex != after.pex) out.pex = after.pex;
  if (before.encryption != after.encryption) out.encryption = after.encryption;
  return out;
}

void Session::apply_settings(const SessionSettings& s) {
  const std::vector<std::string> dht_bootstrap_nodes_before = config_.settings.dht_bootstrap_nodes;
  const std::string lsd_interface_before = config_.settings.lsd_interface;
  const bool pex_changed = config_.settings.pex != s.pex;
  config_.settings = s;
  config_.torrent.max_peers = s.max_connections_per_torrent;
  config_.torrent.pex = s.pex;
  set_log_level(s.log_level);
  if (network_) {
    network_->set_connection_limits(s.max_connections, s.max_connections_per_torrent);
    network_->set_rate_limits(s.download_rate_limit, s.upload_rate_limit);
    network_->set_encryption(s.encryption);
  }
  for (auto& [id, t] : torrents_) {
    apply_torrent_limits(*t);
    if (pex_changed && t->engine) {
      t->engine->set_pex(s.pex, now());  // tells the connected peers
      drain(*t);
    }
  }
  const bool bootstrap_changed = dht_ && dht_bootstrap_nodes_before != s.dht_bootstrap_nodes;
  if (s.dht) start_dht();
  else stop_dht();
  if (bootstrap_changed && dht_) dht_->set_bootstrap(s.dht_bootstrap_nodes);  // a running DHT asks the new ones
  if (!s.lsd || lsd_interface_before != s.lsd_interface) stop_lsd();  // a new interface: a new socket
  if (s.lsd) start_lsd();
}

void Session::apply_torrent_limits(TorrentEntry& t) {
  if (t.engine) t.engine->set_max_peers(t.limits.max_connections.value_or(config_.settings.max_connections_per_torrent));
  if (t.fetch) t.fetch->set_max_peers(t.limits.max_connections.value_or(config_.settings.max_connections_per_torrent));
  if (network_)
    network_->set_torrent_rate_limits(t.meta->info_hash, t.limits.download_rate_limit, t.limits.upload_rate_limit);
}

struct SessionSettingsMethods {
  static void add(Session& s, rpc::Dispatcher& d) {
    d.add_sync("session.get", [&s](const Json& params) -> RpcResult<Json> {
      if (auto bad = p::check_known(params, {})) return *bad;
      return settings_json(s.settings());
    });

    d.add_sync("session.set", [&s](const Json& params) -> RpcResult<Json> {
      if (auto bad = p::check_known(params, {"download_rate_limit", "upload_rate_limit", "max_connections",
                                             "max_connections_per_torrent", "log_level", "dht",
                                             "dht_bootstrap_nodes", "lsd", "lsd_interface", "pex", "encryption"}))
        return *bad;
      // Everything is checked before anything changes: a bad call changes nothing.
      BTD_TRY(down, p::optional_uint(params, "download_rate_limit", TokenBucket::kMaxRate));
      BTD_TRY(up, p::optional_uint(params, "upload_rate_limit", TokenBucket::kMaxRate));
      BTD_TRY(max_connections, optional_count(params, "max_connections", 1));
      BTD_TRY(per_torrent, optional_count(params, "max_connections_per_torrent", 1));
      BTD_TRY(level_name, p::optional_string(params, "log_level"));
      BTD_TRY(dht_on, p::optional_bool(params, "dht", s.settings().dht));
      BTD_TRY(bootstrap, p::optional_string_array(params, "dht_bootstrap_nodes"));
      BTD_TRY(lsd_on, p::optional_bool(params, "lsd", s.settings().lsd));
      BTD_TRY(lsd_interface, p::optional_string(params, "lsd_interface"));
      BTD_TRY(pex_on, p::optional_bool(params, "pex", s.settings().pex));
      BTD_TRY(encryption, p::optional_string(params, "encryption"));
      SessionSettings next = s.settings();
      if (encryption) {
        auto mode = net::parse_encryption_mode(*encryption);
        if (!mode) return p::wrong_type("encryption", net::kEncryptionModeExpected);
        next.encryption = *mode;
      }
      if (bootstrap) {
        const std::string expected = "a list of at most " + std::to_string(dht::kMaxBootstrapNodes) +
                                     " \"host:port\" strings";
        if (bootstrap->size() > dht::kMaxBootstrapNodes) return p::wrong_type("dht_bootstrap_nodes", expected);
        for (const std::string& n : *bootstrap)
          if (!dht::parse_host_port(n))
            return p::wrong_type("dht_bootstrap_nodes", expected + " (\"" + n + "\" is not host:port)");
        next.dht_bootstrap_nodes = *bootstrap;
      }
      next.dht = dht_on;
      next.lsd = lsd_on;
      next.pex = pex_on;
      if (lsd_interface) {
        auto ip = lsd_interface_address(*lsd_interface);
        if (!ip) return p::wrong_type("lsd_interface", kLsdInterfaceExpected);
        next.lsd_interface = *ip;
      }
      if (level_name) {
        auto level = parse_log_level(*level_name);
        if (!level) return p::wrong_type("log_level", "one of \"error\", \"warning\", \"notice\", \"info\", \"debug\"");
        next.log_level = *level;
      }
      if (down) next.download_rate_limit = *down;
      if (up) next.upload_rate_limit = *up;
      if (max_connections) next.max_connections = static_cast<std::size_t>(*max_connections);
      if (per_torrent) next.max_connections_per_torrent = static_cast<std::size_t>(*per_torrent);
      if (!(next == s.settings())) {
        s.apply_settings(next);
        log_notice("settings changed over RPC: " + settings_json(next).dump());
      }
      return settings_json(s.settings());
    });

    d.add_sync("torrent.set", [&s](const Json& params) -> RpcResult<Json> {
      if (auto bad = p::check_known(params, {"id", "download_rate_limit", "upload_rate_limit", "max_connections"}))
        return *bad;
      BTD_TRY(id, p::require_string(params, "id"));
      BTD_TRY(down, p::optional_uint(params, "download_rate_limit", TokenBucket::kMaxRate));
      BTD_TRY(up, p::optional_uint(params, "upload_rate_limit", TokenBucket::kMaxRate));
      BTD_TRY(max_connections, optional_count(params, "max_connections", 0));
      BTD_TRY(t, s.resolve(id));
      TorrentLimits next = t->limits;
      if (down) next.download_rate_limit = *down;
      if (up) next.upload_rate_limit = *up;
      // 0 goes back to the session's per-torrent limit.
      if (max_connections) {
        if (*max_connections == 0) next.max_connections.reset();
        else next.max_connections = static_cast<std::size_t>(*max_connections);
      }
      t->limits = next;
      s.apply_torrent_limits(*t);
      s.save_resume(*t);
      return torrent_limits_json(t->id, t->limits);
    });
  }
};

void add_settings_methods(Session& session, rpc::Dispatcher& dispatcher) {
  SessionSettingsMethods::add(session, dispatcher);
}

}  // namespace btd::daemon
