#include "daemon/config_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "core/tracker/peer_endpoint.hpp"
#include "core/util/byte_rate.hpp"
#include "core/util/token_bucket.hpp"

namespace btd::daemon {

namespace {

using Json = nlohmann::json;

// Far above any real limit, low enough that nobody mistakes a typo for a setting.
constexpr std::uint64_t kMaxConnectionsValue = 100000;

struct Reader {
  const std::string& origin;
  const Json& doc;

  Error bad(const std::string& key, const std::string& expected) const {
    return Error(Errc::invalid_argument, origin + ": \"" + key + "\" must be " + expected + ", not " + doc.at(key).dump());
  }

  Result<std::optional<std::string>> path(const std::string& key) const {
    if (!doc.contains(key)) return std::optional<std::string>{};
    const Json& v = doc.at(key);
    if (!v.is_string() || v.get_ref<const std::string&>().empty() || v.get_ref<const std::string&>()[0] != '/')
      return bad(key, "an absolute path (a string starting with /)");
    return std::optional<std::string>(v.get<std::string>());
  }

  Result<std::optional<std::uint64_t>> integer(const std::string& key, std::uint64_t min, std::uint64_t max) const {
    if (!doc.contains(key)) return std::optional<std::uint64_t>{};
    const Json& v = doc.at(key);
    const std::string expected = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    if (!v.is_number_integer()) return bad(key, expected);
    if (v.is_number_unsigned()) {
      const auto n = v.get<std::uint64_t>();
      if (n < min || n > max) return bad(key, expected);
      return std::optional<std::uint64_t>(n);
    }
    const auto n = v.get<std::int64_t>();
    if (n < 0 || static_cast<std::uint64_t>(n) < min || static_cast<std::uint64_t>(n) > max) return bad(key, expected);
    return std::optional<std::uint64_t>(static_cast<std::uint64_t>(n));
  }

  Result<std::optional<std::uint64_t>> rate(const std::string& key) const {
    if (!doc.contains(key)) return std::optional<std::uint64_t>{};
    const Json& v = doc.at(key);
    const std::string expected = "bytes per second (0 = unlimited): an integer, or a string like \"512K\" or \"10M\"";
    if (v.is_string()) {
      auto parsed = parse_byte_rate(v.get_ref<const std::string&>(), TokenBucket::kMaxRate);
      if (!parsed) return bad(key, expected + ", at most 1024G");
      return std::optional<std::uint64_t>(*parsed);
    }
    if (!v.is_number_integer() || !integer(key, 0, TokenBucket::kMaxRate)) return bad(key, expected + ", at most 1024G");
    return integer(key, 0, TokenBucket::kMaxRate);
  }
};

const std::set<std::string>& known_keys() {
  static const std::set<std::string> keys = {
      "state_dir",       "download_dir",    "socket",
      "listen_port",     "listen_address",  "log_level",
      "max_connections", "max_connections_per_torrent",
      "download_rate_limit", "upload_rate_limit",
      "dht",             "dht_bootstrap_nodes",
      "lsd",             "lsd_interface",
      "pex",             "encryption",
  };
  return keys;
}

#define BTD_CONFIG_TRY(var, expr)                     \
  auto var##_result = (expr);                         \
  if (!var##_result) return var##_result.error();     \
  auto var = std::move(var##_result.value())

}  // namespace

Result<ConfigFile> parse_config(std::string_view text, const std::string& origin) {
  // Duplicate keys are a classic way to think a setting changed when it did not: refused. The
  // file is one flat object, so only keys of depth 1 matter.
  std::optional<std::string> duplicate;
  std::set<std::string> seen;
  auto callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::key && depth == 1 && parsed.is_string()) {
      if (!seen.insert(parsed.get<std::string>()).second && !duplicate) duplicate = parsed.get<std::string>();
    }
    return true;
  };
  Json doc;
  try {
    doc = Json::parse(text.begin(), text.end(), callback);
  } catch (const Json::parse_error& e) {
    // nlohmann's text starts with "[json.exception.parse_error.101] parse error at line 1, ...".
    std::string what = e.what();
    if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    return Error(Errc::invalid_argument, origin + ": not valid JSON: " + what);
  }
  if (!doc.is_object()) return Error(Errc::invalid_argument, origin + ": must hold one JSON object of settings");
  if (duplicate) return Error(Errc::invalid_argument, origin + ": key \"" + *duplicate + "\" appears more than once");
  std::string unknown;
  for (const auto& [key, value] : doc.items())
    if (known_keys().count(key) == 0) unknown += (unknown.empty() ? "\"" : ", \"") + key + "\"";
  if (!unknown.empty()) return Error(Errc::invalid_argument, origin + ": unknown key " + unknown);

  const Reader r{origin, doc};
  ConfigFile c;
  BTD_CONFIG_TRY(state_dir, r.path("state_dir"));
  BTD_CONFIG_TRY(download_dir, r.path("download_dir"));
  BTD_CONFIG_TRY(socket, r.path("socket"));
  c.state_dir = std::move(state_dir);
  c.download_dir = std::move(download_dir);
  c.socket = std::move(socket);
  BTD_CONFIG_TRY(port, r.integer("listen_port", 0, 65535));
  if (port) c.listen_port = static_cast<int>(*port);
  if (doc.contains("listen_address")) {
    const Json& v = doc.at("listen_address");
    std::optional<std::string> ip;
    if (v.is_string()) ip = tracker::normalize_ip_literal(v.get_ref<const std::string&>());
    if (!ip) return r.bad("listen_address", "an IPv4 or IPv6 address such as \"0.0.0.0\" or \"::\"");
    c.listen_address = v.get<std::string>();
  }
  if (doc.contains("log_level")) {
    const Json& v = doc.at("log_level");
    std::optional<LogLevel> level;
    if (v.is_string()) level = parse_log_level(v.get<std::string>());
    if (!level) return r.bad("log_level", "one of \"error\", \"warning\", \"notice\", \"info\", \"debug\"");
    c.log_level = level;
  }
  BTD_CONFIG_TRY(max_connections, r.integer("max_connections", 1, kMaxConnectionsValue));
  BTD_CONFIG_TRY(per_torrent, r.integer("max_connections_per_torrent", 1, kMaxConnectionsValue));
  if (max_connections) c.max_connections = static_cast<std::size_t>(*max_connections);
  if (per_torrent) c.max_connections_per_torrent = static_cast<std::size_t>(*per_torrent);
  BTD_CONFIG_TRY(down, r.rate("download_rate_limit"));
  BTD_CONFIG_TRY(up, r.rate("upload_rate_limit"));
  c.download_rate_limit = down;
  c.upload_rate_limit = up;
  if (doc.contains("dht")) {
    if (!doc.at("dht").is_boolean()) return r.bad("dht", "true or false");
    c.dht = doc.at("dht").get<bool>();
  }
  if (doc.contains("dht_bootstrap_nodes")) {
    const Json& v = doc.at("dht_bootstrap_nodes");
    const std::string expected = "a list of at most " + std::to_string(dht::kMaxBootstrapNodes) +
                                 " \"host:port\" strings such as \"router.bittorrent.com:6881\"";
    if (!v.is_array() || v.size() > dht::kMaxBootstrapNodes) return r.bad("dht_bootstrap_nodes", expected);
    std::vector<std::string> nodes;
    for (const Json& n : v) {
      if (!n.is_string() || !dht::parse_host_port(n.get_ref<const std::string&>()))
        return r.bad("dht_bootstrap_nodes", expected + " (" + n.dump() + " is not one)");
      nodes.push_back(n.get<std::string>());
    }
    c.dht_bootstrap_nodes = std::move(nodes);
  }
  if (doc.contains("lsd")) {
    if (!doc.at("lsd").is_boolean()) return r.bad("lsd", "true or false");
    c.lsd = doc.at("lsd").get<bool>();
  }
  if (doc.contains("lsd_interface")) {
    const Json& v = doc.at("lsd_interface");
    std::optional<std::string> ip;
    if (v.is_string()) ip = lsd_interface_address(v.get_ref<const std::string&>());
    if (!ip) return r.bad("lsd_interface", kLsdInterfaceExpected);
    c.lsd_interface = *ip;
  }
  if (doc.contains("pex")) {
    if (!doc.at("pex").is_boolean()) return r.bad("pex", "true or false");
    c.pex = doc.at("pex").get<bool>();
  }
  if (doc.contains("encryption")) {
    const Json& v = doc.at("encryption");
    std::optional<net::EncryptionMode> mode;
    if (v.is_string()) mode = net::parse_encryption_mode(v.get<std::string>());
    if (!mode) return r.bad("encryption", net::kEncryptionModeExpected);
    c.encryption = mode;
  }
  return c;
}

Result<ConfigFile> load_config_file(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0)
    return Error(Errc::io_error, "cannot read config file " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Error(Errc::io_error, "config file " + path + " is not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > kMaxConfigFileBytes)
    return Error(Errc::invalid_argument, "config file " + path + " is larger than 1 MiB; is it the right file?");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Errc::io_error, "cannot read config file " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Error(Errc::io_error, "cannot read config file " + path);
  return parse_config(text.str(), path);
}

Result<LoadedConfig> load_config(const std::optional<std::string>& flag_path, const std::string& default_path) {
  LoadedConfig loaded;
  if (flag_path) {
    loaded.path = *flag_path;
  } else {
    struct stat st{};
    if (default_path.empty() || ::stat(default_path.c_str(), &st) != 0) return loaded;
    loaded.path = default_path;
  }
  auto file = load_config_file(*loaded.path);
  if (!file) return file.error();
  loaded.file = std::move(*file);
  return loaded;
}

Result<DaemonOptions> reload_daemon_options(const DaemonFlags& flags, const EnvLookup& env,
                                            const std::string& default_path) {
  if (flags.show_help || flags.show_version) return resolve_daemon_options(flags, ConfigFile{}, env);
  auto loaded = load_config(flags.config_path, default_path);
  if (!loaded) return loaded.error();
  auto options = resolve_daemon_options(flags, loaded->file, env);
  if (options) options->config_path = loaded->path;
  return options;
}

Result<DaemonOptions> load_daemon_options(const std::vector<std::string>& args, const EnvLookup& env,
                                          const std::string& default_path) {
  auto flags = parse_daemon_flags(args);
  if (!flags) return flags.error();
  return reload_daemon_options(*flags, env, default_path);
}

}  // namespace btd::daemon
