#pragma once
// btd's config file: one JSON object of the keys below (README "Configuration file"). Unknown
// keys, duplicate keys and bad values are refused with a message naming the key, so a typo
// never silently leaves a default in place. Every key is optional; flags override the file.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "daemon/daemon_options.hpp"

namespace btd::daemon {

inline constexpr const char* kDefaultConfigPath = "/etc/btd/btd.json";
// Config files are a few hundred bytes; anything near this is not one.
inline constexpr std::size_t kMaxConfigFileBytes = 1 << 20;

struct ConfigFile {
  std::optional<std::string> state_dir;
  std::optional<std::string> download_dir;
  std::optional<std::string> socket;
  std::optional<int> listen_port;
  std::optional<std::string> listen_address;
  std::optional<LogLevel> log_level;
  std::optional<std::size_t> max_connections;
  std::optional<std::size_t> max_connections_per_torrent;
  std::optional<std::uint64_t> download_rate_limit;
  std::optional<std::uint64_t> upload_rate_limit;
  std::optional<bool> dht;
  std::optional<std::vector<std::string>> dht_bootstrap_nodes;
  std::optional<bool> lsd;
  std::optional<std::string> lsd_interface;  // "" or an IPv4 literal
  std::optional<bool> pex;
  std::optional<net::EncryptionMode> encryption;
};

// `origin` (the path) starts every error message.
Result<ConfigFile> parse_config(std::string_view text, const std::string& origin);

// Reads `path`; a missing file is an error.
Result<ConfigFile> load_config_file(const std::string& path);

// The file btd reads: --config PATH (which must exist), else `default_path` if it exists, else
// none (nullopt path, empty ConfigFile).
struct LoadedConfig {
  std::optional<std::string> path;
  ConfigFile file;
};
Result<LoadedConfig> load_config(const std::optional<std::string>& flag_path,
                                 const std::string& default_path = kDefaultConfigPath);

// btd's whole start-up configuration: flags, the config file they name (or the default one),
// the environment. Errors are for the user (exit code 2). --help and --version read no file.
Result<DaemonOptions> load_daemon_options(const std::vector<std::string>& args, const EnvLookup& env,
                                          const std::string& default_path = kDefaultConfigPath);
// The same under the flags btd started with, re-reading the file (SIGHUP).
Result<DaemonOptions> reload_daemon_options(const DaemonFlags& flags, const EnvLookup& env,
                                            const std::string& default_path = kDefaultConfigPath);

}  // namespace btd::daemon
