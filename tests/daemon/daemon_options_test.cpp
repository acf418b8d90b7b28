#include "daemon/daemon_options.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace btd::daemon;

namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("state dir: flag, then BTD_STATE_DIR, STATE_DIRECTORY, XDG_STATE_HOME, HOME") {
  auto all = env_of({{"BTD_STATE_DIR", "/b"}, {"STATE_DIRECTORY", "/s:/other"},
                     {"XDG_STATE_HOME", "/x"}, {"HOME", "/h"}});
  CHECK(resolve_state_dir(std::string("/f"), all) == "/f");
  CHECK(resolve_state_dir(std::nullopt, all) == "/b");
  CHECK(resolve_state_dir(std::nullopt, env_of({{"STATE_DIRECTORY", "/s:/other"}, {"HOME", "/h"}})) == "/s");
  CHECK(resolve_state_dir(std::nullopt, env_of({{"XDG_STATE_HOME", "/x"}, {"HOME", "/h"}})) == "/x/btd");
  CHECK(resolve_state_dir(std::nullopt, env_of({{"HOME", "/h"}})) == "/h/.local/state/btd");
  CHECK_FALSE(resolve_state_dir(std::nullopt, env_of({})).has_value());
  // Exported but empty means unset.
  CHECK(resolve_state_dir(std::nullopt, env_of({{"BTD_STATE_DIR", ""}, {"HOME", "/h"}})) == "/h/.local/state/btd");
}

TEST_CASE("flags parse and the download dir defaults inside the state dir") {
  auto o = parse_daemon_options({"--state-dir", "/st", "--listen-port=0", "--log-level", "debug",
                                 "--foreground", "--socket", "/run/x.sock"},
                                env_of({}));
  REQUIRE(o.ok());
  CHECK(o->state_dir == "/st");
  CHECK(o->download_dir == "/st/downloads");
  CHECK(o->listen_port == 0);
  CHECK(o->settings.log_level == LogLevel::debug);
  CHECK(o->socket == "/run/x.sock");
}

TEST_CASE("bad flags are refused with a message naming them") {
  auto env = env_of({{"HOME", "/h"}});
  CHECK(parse_daemon_options({"--listen-port", "70000"}, env).error().message.find("--listen-port") != std::string::npos);
  CHECK(parse_daemon_options({"--log-level", "loud"}, env).error().message.find("loud") != std::string::npos);
  CHECK(parse_daemon_options({"--bogus"}, env).error().message == "unknown option --bogus");
  CHECK(parse_daemon_options({"--state-dir"}, env).error().message == "option --state-dir needs a value");
  CHECK_FALSE(parse_daemon_options({}, env_of({})).ok());
}
