#include "daemon/daemon_options.hpp"

#include <cstdlib>

#include "core/tracker/peer_endpoint.hpp"
#include "daemon/config_file.hpp"

namespace btd::daemon {

const char* const kDaemonUsage =
    "usage: btd [--config FILE] [--state-dir D] [--download-dir D] [--socket PATH]\n"
    "           [--listen-port N] [--log-level error|warning|notice|info|debug] [--no-dht]\n"
    "           [--no-lsd] [--foreground]\n"
    "btd always runs in the foreground (systemd style); --foreground is accepted for clarity.\n"
    "Settings are read from --config FILE, else /etc/btd/btd.json if it exists; flags override it.\n"
    "SIGHUP re-reads the file and applies rate limits, connection limits and the log level.\n";

std::optional<LogLevel> parse_log_level(const std::string& text) {
  if (text == "error" || text == "err") return LogLevel::error;
  if (text == "warning" || text == "warn") return LogLevel::warning;
  if (text == "notice") return LogLevel::notice;
  if (text == "info") return LogLevel::info;
  if (text == "debug") return LogLevel::debug;
  return std::nullopt;
}

std::optional<std::string> lsd_interface_address(const std::string& text) {
  if (text.empty()) return text;
  auto ip = tracker::normalize_ip_literal(text);
  // LSD is IPv4 only (239.192.152.143): an IPv6 address names no interface for it.
  if (!ip || ip->find(':') != std::string::npos) return std::nullopt;
  return ip;
}

const char* log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::error: return "error";
    case LogLevel::warning: return "warning";
    case LogLevel::notice: return "notice";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
  }
  return "info";
}

std::optional<std::string> resolve_state_dir(const std::optional<std::string>& flag, const EnvLookup& env) {
  if (flag) return flag;
  // An exported but empty variable means "unset", as in the shell's ${VAR:-default}.
  auto get = [&](std::string_view name) -> std::optional<std::string> {
    auto v = env(name);
    if (v && v->empty()) return std::nullopt;
    return v;
  };
  if (auto v = get("BTD_STATE_DIR")) return v;
  if (auto v = get("STATE_DIRECTORY")) {
    // systemd may pass several colon-separated dirs; the first is ours.
    return v->substr(0, v->find(':'));
  }
  if (auto v = get("XDG_STATE_HOME")) return *v + "/btd";
  if (auto v = get("HOME")) return *v + "/.local/state/btd";
  return std::nullopt;
}

Result<DaemonFlags> parse_daemon_flags(const std::vector<std::string>& args) {
  DaemonFlags f;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> value;
    if (auto eq = name.find('='); name.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    auto need_value = [&]() -> std::optional<std::string> {
      if (value) return value;
      if (i + 1 < args.size()) return args[++i];
      return std::nullopt;
    };
    if (name == "--help" || name == "-h") {
      f.show_help = true;
    } else if (name == "--version") {
      f.show_version = true;
    } else if (name == "--no-dht") {
      f.dht = false;  // overrides "dht" in the config file
    } else if (name == "--no-lsd") {
      f.lsd = false;  // overrides "lsd" in the config file
    } else if (name == "--foreground") {
      // Always the case; kept so unit files and scripts can say it.
    } else if (name == "--config" || name == "--state-dir" || name == "--download-dir" ||
               name == "--socket" || name == "--listen-port" || name == "--log-level") {
      auto v = need_value();
      if (!v || v->empty()) return Error(Errc::invalid_argument, "option " + name + " needs a value");
      if (name == "--config") f.config_path = *v;
      else if (name == "--state-dir") f.state_dir = *v;
      else if (name == "--download-dir") f.download_dir = *v;
      else if (name == "--socket") f.socket = *v;
      else if (name == "--listen-port") {
        char* end = nullptr;
        const long port = std::strtol(v->c_str(), &end, 10);
        if (*end != '\0' || port < 0 || port > 65535)
          return Error(Errc::invalid_argument, "--listen-port \"" + *v + "\" is not a port number (0-65535)");
        f.listen_port = static_cast<int>(port);
      } else {
        auto level = parse_log_level(*v);
        if (!level)
          return Error(Errc::invalid_argument, "--log-level \"" + *v +
                                                   "\" is not one of error, warning, notice, info, debug");
        f.log_level = *level;
      }
    } else {
      return Error(Errc::invalid_argument, "unknown option " + name);
    }
  }
  return f;
}

Result<DaemonOptions> resolve_daemon_options(const DaemonFlags& flags, const ConfigFile& file, const EnvLookup& env) {
  DaemonOptions o;
  o.flags = flags;
  o.show_help = flags.show_help;
  o.show_version = flags.show_version;
  auto state = resolve_state_dir(flags.state_dir ? flags.state_dir : file.state_dir, env);
  if (!state)
    return Error(Errc::invalid_argument,
                 "no state directory: pass --state-dir or set BTD_STATE_DIR (HOME is not set either)");
  o.state_dir = *state;
  o.download_dir = flags.download_dir.value_or(file.download_dir.value_or(o.state_dir + "/downloads"));
  o.socket = flags.socket ? flags.socket : file.socket;
  o.listen_port = flags.listen_port ? flags.listen_port : file.listen_port;
  if (file.listen_address) o.listen_address = *file.listen_address;
  SessionSettings& s = o.settings;
  s.log_level = flags.log_level.value_or(file.log_level.value_or(s.log_level));
  s.download_rate_limit = file.download_rate_limit.value_or(s.download_rate_limit);
  s.upload_rate_limit = file.upload_rate_limit.value_or(s.upload_rate_limit);
  s.max_connections = file.max_connections.value_or(s.max_connections);
  s.max_connections_per_torrent = file.max_connections_per_torrent.value_or(s.max_connections_per_torrent);
  s.dht = flags.dht.value_or(file.dht.value_or(s.dht));
  if (file.dht_bootstrap_nodes) s.dht_bootstrap_nodes = *file.dht_bootstrap_nodes;
  s.lsd = flags.lsd.value_or(file.lsd.value_or(s.lsd));
  if (file.lsd_interface) s.lsd_interface = *file.lsd_interface;
  s.pex = file.pex.value_or(s.pex);
  s.encryption = file.encryption.value_or(s.encryption);
  return o;
}

Result<DaemonOptions> parse_daemon_options(const std::vector<std::string>& args, const EnvLookup& env) {
  auto flags = parse_daemon_flags(args);
  if (!flags) return flags.error();
  return resolve_daemon_options(*flags, ConfigFile{}, env);
}

}  // namespace btd::daemon
