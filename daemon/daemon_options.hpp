#pragma once
// btd's command line and the directories it resolves, as shared/RPC.md specifies:
// flags first, then the environment (systemd's *_DIRECTORY variables, XDG), then defaults.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/util/result.hpp"
#include "rpc/socket_path.hpp"

namespace btd::daemon {

enum class LogLevel { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

struct DaemonOptions {
  std::optional<std::string> config_path;
  std::string state_dir;
  std::string download_dir;
  std::optional<std::string> socket;  // empty: resolved by rpc::resolve_socket_path
  std::optional<int> listen_port;     // 0 = pick a free port
  LogLevel log_level = LogLevel::info;
  bool show_help = false;
  bool show_version = false;
};

using rpc::EnvLookup;

std::optional<LogLevel> parse_log_level(const std::string& text);
const char* log_level_name(LogLevel level);

// Parses flags and resolves the state and download dirs. The error message is for the user
// (exit code 2).
Result<DaemonOptions> parse_daemon_options(const std::vector<std::string>& args, const EnvLookup& env);

// --state-dir, BTD_STATE_DIR, $STATE_DIRECTORY (systemd), $XDG_STATE_HOME/btd, ~/.local/state/btd.
std::optional<std::string> resolve_state_dir(const std::optional<std::string>& flag, const EnvLookup& env);

extern const char* const kDaemonUsage;

}  // namespace btd::daemon
