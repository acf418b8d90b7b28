#pragma once
// btd's command line and the directories it resolves, as shared/RPC.md specifies:
// flags first, then the config file, then the environment (systemd's *_DIRECTORY variables,
// XDG), then defaults.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/dht/bootstrap_node.hpp"
#include "core/util/result.hpp"
#include "daemon/net/encryption_mode.hpp"
#include "rpc/socket_path.hpp"

namespace btd::daemon {

enum class LogLevel { error = 3, warning = 4, notice = 5, info = 6, debug = 7 };

// What a running daemon can change without a restart: session.set, SIGHUP.
struct SessionSettings {
  std::uint64_t download_rate_limit = 0;  // bytes/s over all torrents, 0 = unlimited
  std::uint64_t upload_rate_limit = 0;
  std::size_t max_connections = 500;  // every peer connection, any state
  std::size_t max_connections_per_torrent = 50;
  LogLevel log_level = LogLevel::info;
  bool dht = true;  // the Mainline DHT (BEP 5); private torrents never use it
  std::vector<std::string> dht_bootstrap_nodes = dht::default_bootstrap_nodes();  // "host:port"
  bool lsd = true;  // local service discovery (BEP 14) multicast; private torrents never use it
  // The local IPv4 address whose interface LSD joins and sends on; empty: the kernel's choice.
  std::string lsd_interface;
  // Peer exchange (BEP 11, ut_pex) on public torrents; off: btd neither offers it nor reads it.
  bool pex = true;
  // Message Stream Encryption of peer connections (daemon/net/encryption_mode.hpp).
  net::EncryptionMode encryption = net::EncryptionMode::prefer_plaintext;
  bool operator==(const SessionSettings&) const = default;
};

// The command line as given; the config file fills in what it leaves out.
struct DaemonFlags {
  std::optional<std::string> config_path;
  std::optional<std::string> state_dir;
  std::optional<std::string> download_dir;
  std::optional<std::string> socket;
  std::optional<int> listen_port;
  std::optional<LogLevel> log_level;
  std::optional<bool> dht;  // --no-dht
  std::optional<bool> lsd;  // --no-lsd
  bool show_help = false;
  bool show_version = false;
};

struct DaemonOptions {
  std::optional<std::string> config_path;  // the config file read, if any
  std::string state_dir;
  std::string download_dir;
  std::optional<std::string> socket;  // empty: resolved by rpc::resolve_socket_path
  std::optional<int> listen_port;     // 0 = pick a free port
  std::string listen_address = "0.0.0.0";
  SessionSettings settings;
  bool show_help = false;
  bool show_version = false;
  DaemonFlags flags;  // kept so that a reload applies the file under the same flags
};

struct ConfigFile;
using rpc::EnvLookup;

std::optional<LogLevel> parse_log_level(const std::string& text);
// lsd_interface: "" (the default interface) or an IPv4 literal, canonical; nullopt otherwise.
std::optional<std::string> lsd_interface_address(const std::string& text);
inline constexpr const char* kLsdInterfaceExpected =
    "a local IPv4 address such as \"192.168.1.10\", or \"\" for the default interface";
const char* log_level_name(LogLevel level);

// Parses flags only; the error message is for the user (exit code 2).
Result<DaemonFlags> parse_daemon_flags(const std::vector<std::string>& args);
// Flags first, then the config file, then the environment and defaults.
Result<DaemonOptions> resolve_daemon_options(const DaemonFlags& flags, const ConfigFile& file, const EnvLookup& env);
// Flags and environment without a config file.
Result<DaemonOptions> parse_daemon_options(const std::vector<std::string>& args, const EnvLookup& env);

// --state-dir, BTD_STATE_DIR, $STATE_DIRECTORY (systemd), $XDG_STATE_HOME/btd, ~/.local/state/btd.
std::optional<std::string> resolve_state_dir(const std::optional<std::string>& flag, const EnvLookup& env);

extern const char* const kDaemonUsage;

}  // namespace btd::daemon
