#include "rpc/socket_path.hpp"

#include <doctest/doctest.h>

#include <map>

using namespace btd::rpc;

namespace {

EnvLookup env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const std::map<std::string, std::string> all = {
    {"BTD_SOCKET", "/tmp/env.sock"},
    {"RUNTIME_DIRECTORY", "/run/btd-unit"},
    {"XDG_RUNTIME_DIR", "/run/user/1000"},
};

std::map<std::string, std::string> without(std::initializer_list<std::string> names) {
  auto m = all;
  for (const auto& n : names) m.erase(n);
  return m;
}

}  // namespace

TEST_CASE("server path: each rule in order") {
  CHECK(resolve_server_socket("/x/explicit.sock", env(all)) == "/x/explicit.sock");
  CHECK(resolve_server_socket(std::nullopt, env(all)) == "/tmp/env.sock");
  CHECK(resolve_server_socket(std::nullopt, env(without({"BTD_SOCKET"}))) == "/run/btd-unit/rpc.sock");
  CHECK(resolve_server_socket(std::nullopt, env(without({"BTD_SOCKET", "RUNTIME_DIRECTORY"}))) ==
        "/run/user/1000/btd/rpc.sock");
  CHECK(resolve_server_socket(std::nullopt, env({})) == "/run/btd/rpc.sock");
}

TEST_CASE("server path: empty variables are unset, relative XDG dir ignored, systemd lists use the first") {
  CHECK(resolve_server_socket(std::string(), env({{"BTD_SOCKET", ""}, {"XDG_RUNTIME_DIR", "/r/"}})) ==
        "/r/btd/rpc.sock");
  CHECK(resolve_server_socket(std::nullopt, env({{"XDG_RUNTIME_DIR", "relative/dir"}})) == "/run/btd/rpc.sock");
  CHECK(resolve_server_socket(std::nullopt, env({{"RUNTIME_DIRECTORY", "/run/btd:/run/other"}})) ==
        "/run/btd/rpc.sock");
  CHECK(resolve_server_socket(std::nullopt, env({{"RUNTIME_DIRECTORY", "/run/btd/"}})) == "/run/btd/rpc.sock");
}

TEST_CASE("client candidates: a chosen path alone, else XDG then the system path") {
  CHECK(client_socket_candidates("/x.sock", env(all)) == std::vector<std::string>{"/x.sock"});
  CHECK(client_socket_candidates(std::nullopt, env(all)) == std::vector<std::string>{"/tmp/env.sock"});
  CHECK(client_socket_candidates(std::nullopt, env(without({"BTD_SOCKET"}))) ==
        std::vector<std::string>{"/run/btd-unit/rpc.sock"});
  CHECK(client_socket_candidates(std::nullopt, env({{"XDG_RUNTIME_DIR", "/run/user/1000"}})) ==
        std::vector<std::string>{"/run/user/1000/btd/rpc.sock", "/run/btd/rpc.sock"});
  CHECK(client_socket_candidates(std::nullopt, env({})) == std::vector<std::string>{"/run/btd/rpc.sock"});
}

TEST_CASE("process_env reads the real environment") {
  ::setenv("BTD_RPC_TEST_VAR", "value", 1);
  CHECK(process_env()("BTD_RPC_TEST_VAR") == std::optional<std::string>("value"));
  ::unsetenv("BTD_RPC_TEST_VAR");
  CHECK_FALSE(process_env()("BTD_RPC_TEST_VAR").has_value());
}
