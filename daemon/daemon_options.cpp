#include "daemon/daemon_options.hpp"

#include <cstdlib>

namespace btd::daemon {

const char* const kDaemonUsage =
    "usage: btd [--config FILE] [--state-dir D] [--download-dir D] [--socket PATH]\n"
    "           [--listen-port N] [--log-level error|warning|notice|info|debug] [--foreground]\n"
    "btd always runs in the foreground (systemd style); --foreground is accepted for clarity.\n";

std::optional<LogLevel> parse_log_level(const std::string& text) {
  if (text == "error" || text == "err") return LogLevel::error;
  if (text == "warning" || text == "warn") return LogLevel::warning;
  if (text == "notice") return LogLevel::notice;
  if (text == "info") return LogLevel::info;
  if (text == "debug") return LogLevel::debug;
  return std::nullopt;
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

Result<DaemonOptions> parse_daemon_options(const std::vector<std::string>& args, const EnvLookup& env) {
  DaemonOptions o;
  std::optional<std::string> state_flag;
  std::optional<std::string> download_flag;
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
      o.show_help = true;
    } else if (name == "--version") {
      o.show_version = true;
    } else if (name == "--foreground") {
      // Always the case; kept so unit files and scripts can say it.
    } else if (name == "--config" || name == "--state-dir" || name == "--download-dir" ||
               name == "--socket" || name == "--listen-port" || name == "--log-level") {
      auto v = need_value();
      if (!v || v->empty()) return Error(Errc::invalid_argument, "option " + name + " needs a value");
      if (name == "--config") o.config_path = *v;
      else if (name == "--state-dir") state_flag = *v;
      else if (name == "--download-dir") download_flag = *v;
      else if (name == "--socket") o.socket = *v;
      else if (name == "--listen-port") {
        char* end = nullptr;
        const long port = std::strtol(v->c_str(), &end, 10);
        if (*end != '\0' || port < 0 || port > 65535)
          return Error(Errc::invalid_argument, "--listen-port \"" + *v + "\" is not a port number (0-65535)");
        o.listen_port = static_cast<int>(port);
      } else {
        auto level = parse_log_level(*v);
        if (!level)
          return Error(Errc::invalid_argument, "--log-level \"" + *v +
                                                   "\" is not one of error, warning, notice, info, debug");
        o.log_level = *level;
      }
    } else {
      return Error(Errc::invalid_argument, "unknown option " + name);
    }
  }
  auto state = resolve_state_dir(state_flag, env);
  if (!state)
    return Error(Errc::invalid_argument,
                 "no state directory: pass --state-dir or set BTD_STATE_DIR (HOME is not set either)");
  o.state_dir = *state;
  o.download_dir = download_flag.value_or(o.state_dir + "/downloads");
  return o;
}

}  // namespace btd::daemon
