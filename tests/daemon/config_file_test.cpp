#include "daemon/config_file.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <unistd.h>

using namespace btd::daemon;

namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string error_of(std::string_view text) {
  auto r = parse_config(text, "/etc/btd/btd.json");
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

bool mentions(const std::string& message, const std::string& what) { return message.find(what) != std::string::npos; }

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "btd-config-test-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

}  // namespace

TEST_CASE("config: every key parses") {
  auto c = parse_config(R"({
    "state_dir": "/var/lib/btd", "download_dir": "/srv/dl", "socket": "/run/btd/btd.sock",
    "listen_port": 51413, "listen_address": "::", "log_level": "debug",
    "max_connections": 300, "max_connections_per_torrent": 40,
    "download_rate_limit": "10M", "upload_rate_limit": 524288
  })", "f");
  REQUIRE(c.ok());
  CHECK(c->state_dir == "/var/lib/btd");
  CHECK(c->download_dir == "/srv/dl");
  CHECK(c->socket == "/run/btd/btd.sock");
  CHECK(c->listen_port == 51413);
  CHECK(c->listen_address == "::");
  CHECK(c->log_level == LogLevel::debug);
  CHECK(c->max_connections == 300u);
  CHECK(c->max_connections_per_torrent == 40u);
  CHECK(c->download_rate_limit == 10u * 1024 * 1024);
  CHECK(c->upload_rate_limit == 524288u);

  auto empty = parse_config("{}", "f");
  REQUIRE(empty.ok());
  CHECK_FALSE(empty->state_dir);
  CHECK_FALSE(empty->download_rate_limit);
  CHECK(parse_config(R"({"download_rate_limit": 0, "upload_rate_limit": "0"})", "f")->upload_rate_limit == 0u);
}

TEST_CASE("config: unknown and duplicate keys are refused by name") {
  const std::string unknown = error_of(R"({"log_level": "info", "max_peers": 5, "colour": true})");
  CHECK(mentions(unknown, "/etc/btd/btd.json"));
  CHECK(mentions(unknown, "unknown key "));
  CHECK(mentions(unknown, "\"max_peers\""));
  CHECK(mentions(unknown, "\"colour\""));
  CHECK(mentions(error_of(R"({"log_level": "info", "log_level": "debug"})"), "\"log_level\" appears more than once"));
}

TEST_CASE("config: bad JSON and non-objects are refused") {
  CHECK(mentions(error_of("{\"log_level\": "), "not valid JSON"));
  CHECK(mentions(error_of("[]"), "one JSON object"));
  CHECK(mentions(error_of(""), "not valid JSON"));
}

TEST_CASE("config: bad values are refused naming the key and the value") {
  const std::map<std::string, std::string> bad = {
      {R"({"state_dir": "relative/dir"})", "\"state_dir\" must be an absolute path"},
      {R"({"download_dir": 5})", "\"download_dir\" must be an absolute path"},
      {R"({"socket": ""})", "\"socket\" must be an absolute path"},
      {R"({"listen_port": 70000})", "\"listen_port\" must be an integer from 0 to 65535, not 70000"},
      {R"({"listen_port": -1})", "\"listen_port\" must be an integer"},
      {R"({"listen_port": "6881"})", "\"listen_port\" must be an integer"},
      {R"({"listen_port": 6881.5})", "\"listen_port\" must be an integer"},
      {R"({"listen_address": "localhost"})", "\"listen_address\" must be an IPv4 or IPv6 address"},
      {R"({"log_level": "loud"})", "\"log_level\" must be one of"},
      {R"({"log_level": 7})", "\"log_level\" must be one of"},
      {R"({"max_connections": 0})", "\"max_connections\" must be an integer from 1 to 100000, not 0"},
      {R"({"max_connections_per_torrent": true})", "\"max_connections_per_torrent\" must be an integer"},
      {R"({"download_rate_limit": -5})", "\"download_rate_limit\" must be bytes per second"},
      {R"({"download_rate_limit": 1099511627777})", "at most 1024G, not 1099511627777"},
      {R"({"download_rate_limit": "fast"})", "\"download_rate_limit\" must be bytes per second"},
      {R"({"upload_rate_limit": 1.5})", "\"upload_rate_limit\" must be bytes per second"},
      {R"({"upload_rate_limit": "2T"})", "\"upload_rate_limit\" must be bytes per second"},
      {R"({"upload_rate_limit": {"rate": 5}})", "\"upload_rate_limit\" must be bytes per second"},
  };
  for (const auto& [text, expected] : bad) {
    const std::string message = error_of(text);
    CHECK_MESSAGE(mentions(message, expected), (text + " -> " + message));
  }
}

TEST_CASE("config: flags override the file, the file overrides the environment") {
  auto file = parse_config(R"({"state_dir": "/file/state", "download_dir": "/file/dl", "socket": "/file.sock",
                               "listen_port": 7000, "log_level": "debug", "download_rate_limit": "1M",
                               "max_connections": 20})",
                           "f");
  REQUIRE(file.ok());
  auto env = env_of({{"BTD_STATE_DIR", "/env/state"}, {"HOME", "/h"}});

  auto flags = parse_daemon_flags({"--state-dir", "/flag/state", "--listen-port", "0", "--log-level", "error"});
  REQUIRE(flags.ok());
  auto o = resolve_daemon_options(*flags, *file, env);
  REQUIRE(o.ok());
  CHECK(o->state_dir == "/flag/state");
  CHECK(o->download_dir == "/file/dl");
  CHECK(o->socket == "/file.sock");
  CHECK(o->listen_port == 0);
  CHECK(o->settings.log_level == LogLevel::error);
  CHECK(o->settings.download_rate_limit == 1024u * 1024);
  CHECK(o->settings.upload_rate_limit == 0u);
  CHECK(o->settings.max_connections == 20u);
  CHECK(o->settings.max_connections_per_torrent == SessionSettings{}.max_connections_per_torrent);

  auto no_flags = resolve_daemon_options(*parse_daemon_flags({}), *file, env);
  REQUIRE(no_flags.ok());
  CHECK(no_flags->state_dir == "/file/state");
  CHECK(no_flags->listen_port == 7000);
  CHECK(no_flags->settings.log_level == LogLevel::debug);

  auto no_file = resolve_daemon_options(*parse_daemon_flags({}), ConfigFile{}, env);
  REQUIRE(no_file.ok());
  CHECK(no_file->state_dir == "/env/state");
  CHECK(no_file->download_dir == "/env/state/downloads");
}

TEST_CASE("config files: --config must exist, the default is optional") {
  TempDir dir;
  const std::string missing = (dir.path / "missing.json").string();
  auto env = env_of({{"HOME", "/h"}});

  auto none = load_daemon_options({}, env, missing);
  REQUIRE(none.ok());
  CHECK_FALSE(none->config_path);

  auto refused = load_daemon_options({"--config", missing}, env, missing);
  REQUIRE_FALSE(refused.ok());
  CHECK(mentions(refused.error().message, "cannot read config file " + missing));

  const std::string good = dir.write("btd.json", R"({"upload_rate_limit": "512K", "state_dir": "/cfg"})");
  auto by_flag = load_daemon_options({"--config=" + good}, env, missing);
  REQUIRE(by_flag.ok());
  CHECK(by_flag->config_path == good);
  CHECK(by_flag->settings.upload_rate_limit == 512u * 1024);
  CHECK(by_flag->state_dir == "/cfg");

  auto by_default = load_daemon_options({}, env, good);
  REQUIRE(by_default.ok());
  CHECK(by_default->config_path == good);

  const std::string typo = dir.write("typo.json", R"({"upload_limit": 5})");
  auto bad = load_daemon_options({"--config", typo}, env, missing);
  REQUIRE_FALSE(bad.ok());
  CHECK(mentions(bad.error().message, typo + ": unknown key \"upload_limit\""));

  // --help does not depend on a readable config.
  CHECK(load_daemon_options({"--help", "--config", missing}, env, missing).ok());
  auto dir_as_file = load_daemon_options({"--config", dir.path.string()}, env, missing);
  REQUIRE_FALSE(dir_as_file.ok());
  CHECK(mentions(dir_as_file.error().message, "not a regular file"));
}

TEST_CASE("config files: a reload sees the edited file under the same flags") {
  TempDir dir;
  const std::string path = dir.write("btd.json", R"({"download_rate_limit": 1000, "log_level": "info"})");
  auto env = env_of({{"HOME", "/h"}});
  auto first = load_daemon_options({"--config", path, "--log-level", "warning"}, env, "");
  REQUIRE(first.ok());
  CHECK(first->settings.download_rate_limit == 1000u);
  dir.write("btd.json", R"({"download_rate_limit": 2000, "log_level": "debug"})");
  auto second = reload_daemon_options(first->flags, env, "");
  REQUIRE(second.ok());
  CHECK(second->settings.download_rate_limit == 2000u);
  CHECK(second->settings.log_level == LogLevel::warning);  // the flag still wins
}

TEST_CASE("config file: dht and dht_bootstrap_nodes; --no-dht overrides the file") {
  auto c = parse_config(R"({"dht": false, "dht_bootstrap_nodes": ["127.0.0.1:6881", "router.example:1"]})", "f");
  REQUIRE(c.ok());
  CHECK(c->dht == false);
  CHECK(c->dht_bootstrap_nodes == std::vector<std::string>{"127.0.0.1:6881", "router.example:1"});
  CHECK(mentions(error_of(R"({"dht": "yes"})"), "\"dht\" must be true or false"));
  CHECK(mentions(error_of(R"({"dht_bootstrap_nodes": "a:1"})"), "\"dht_bootstrap_nodes\" must be a list"));
  CHECK(mentions(error_of(R"({"dht_bootstrap_nodes": ["a:1", "nope"]})"), "\"nope\" is not one"));
  CHECK(mentions(error_of(R"({"dht_bootstrap_nodes": ["a:0"]})"), "dht_bootstrap_nodes"));

  const auto env = env_of({{"HOME", "/h"}});
  // Defaults: on, with the three public routers.
  auto defaults = resolve_daemon_options(DaemonFlags{}, ConfigFile{}, env);
  REQUIRE(defaults.ok());
  CHECK(defaults->settings.dht);
  CHECK(defaults->settings.dht_bootstrap_nodes.size() == 3);
  ConfigFile file;
  file.dht = true;
  file.dht_bootstrap_nodes = std::vector<std::string>{};
  auto from_file = resolve_daemon_options(DaemonFlags{}, file, env);
  REQUIRE(from_file.ok());
  CHECK(from_file->settings.dht);
  CHECK(from_file->settings.dht_bootstrap_nodes.empty());
  auto flags = parse_daemon_flags({"--no-dht"});
  REQUIRE(flags.ok());
  auto flagged = resolve_daemon_options(*flags, file, env);
  REQUIRE(flagged.ok());
  CHECK_FALSE(flagged->settings.dht);
}

TEST_CASE("config file: lsd and lsd_interface; --no-lsd overrides the file") {
  auto c = parse_config(R"({"lsd": false, "lsd_interface": "192.168.001.010"})", "f");
  REQUIRE_FALSE(c.ok());  // not an IP literal in canonical or plain form
  c = parse_config(R"({"lsd": false, "lsd_interface": "192.168.1.10"})", "f");
  REQUIRE(c.ok());
  CHECK(c->lsd == false);
  CHECK(c->lsd_interface == "192.168.1.10");
  auto empty = parse_config(R"({"lsd_interface": ""})", "f");
  REQUIRE(empty.ok());
  CHECK(empty->lsd_interface == "");
  CHECK(mentions(error_of(R"({"lsd": 1})"), "\"lsd\" must be true or false"));
  CHECK(mentions(error_of(R"({"lsd_interface": "::1"})"), "\"lsd_interface\" must be a local IPv4 address"));
  CHECK(mentions(error_of(R"({"lsd_interface": "eth0"})"), "lsd_interface"));
  CHECK(mentions(error_of(R"({"lsd_interface": 5})"), "lsd_interface"));

  const auto env = env_of({{"HOME", "/h"}});
  auto defaults = resolve_daemon_options(DaemonFlags{}, ConfigFile{}, env);
  REQUIRE(defaults.ok());
  CHECK(defaults->settings.lsd);  // on for users
  CHECK(defaults->settings.lsd_interface.empty());
  ConfigFile file;
  file.lsd = true;
  file.lsd_interface = "10.1.2.3";
  auto flags = parse_daemon_flags({"--no-lsd"});
  REQUIRE(flags.ok());
  auto flagged = resolve_daemon_options(*flags, file, env);
  REQUIRE(flagged.ok());
  CHECK_FALSE(flagged->settings.lsd);
  CHECK(flagged->settings.lsd_interface == "10.1.2.3");
}

TEST_CASE("config file: pex is on unless the file says false") {
  const auto env = env_of({{"HOME", "/h"}});
  auto defaults = resolve_daemon_options(DaemonFlags{}, ConfigFile{}, env);
  REQUIRE(defaults.ok());
  CHECK(defaults->settings.pex);
  auto c = parse_config(R"({"pex": false})", "f");
  REQUIRE(c.ok());
  CHECK(c->pex == false);
  auto off = resolve_daemon_options(DaemonFlags{}, *c, env);
  REQUIRE(off.ok());
  CHECK_FALSE(off->settings.pex);
  CHECK(mentions(error_of(R"({"pex": "off"})"), "\"pex\" must be true or false"));
}

TEST_CASE("config file: encryption takes the four mode names and nothing else") {
  for (const char* name : {"disabled", "prefer_plaintext", "prefer_encrypted", "required"}) {
    auto c = parse_config(std::string(R"({"encryption": ")") + name + "\"}", "f");
    REQUIRE(c.ok());
    REQUIRE(c->encryption.has_value());
    CHECK(std::string(btd::net::encryption_mode_name(*c->encryption)) == name);
  }
  for (const char* bad : {R"({"encryption": "forced"})", R"({"encryption": true})", R"({"encryption": 2})",
                          R"({"encryption": "Required"})"})
    CHECK(mentions(error_of(bad), "\"encryption\" must be one of \"disabled\", \"prefer_plaintext\""));

  const auto env = env_of({{"HOME", "/h"}});
  auto defaults = resolve_daemon_options(DaemonFlags{}, ConfigFile{}, env);
  REQUIRE(defaults.ok());
  CHECK(defaults->settings.encryption == btd::net::EncryptionMode::prefer_plaintext);
  ConfigFile file;
  file.encryption = btd::net::EncryptionMode::required;
  auto resolved = resolve_daemon_options(DaemonFlags{}, file, env);
  REQUIRE(resolved.ok());
  CHECK(resolved->settings.encryption == btd::net::EncryptionMode::required);
}
