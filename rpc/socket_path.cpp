#include "rpc/socket_path.hpp"

#include <cstdlib>

namespace btd::rpc {

namespace {

std::optional<std::string> non_empty(const EnvLookup& env, std::string_view name) {
  auto v = env(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

std::string join(std::string dir, std::string_view rest) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (dir != "/") dir += '/';
  dir.append(rest);
  return dir;
}

// Rules 1 to 3: an explicit choice by the user or by systemd.
std::optional<std::string> explicit_choice(const std::optional<std::string>& explicit_path, const EnvLookup& env) {
  if (explicit_path && !explicit_path->empty()) return explicit_path;
  if (auto v = non_empty(env, "BTD_SOCKET")) return v;
  if (auto v = non_empty(env, "RUNTIME_DIRECTORY")) {
    // systemd joins several RuntimeDirectory= entries with ':'; the first is ours.
    std::string dir = v->substr(0, v->find(':'));
    if (!dir.empty()) return join(dir, "rpc.sock");
  }
  return std::nullopt;
}

// Rule 4. The XDG spec says a relative path in these variables is invalid and must be ignored.
std::optional<std::string> xdg_socket(const EnvLookup& env) {
  auto v = non_empty(env, "XDG_RUNTIME_DIR");
  if (!v || v->front() != '/') return std::nullopt;
  return join(*v, "btd/rpc.sock");
}

}  // namespace

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

std::string resolve_server_socket(const std::optional<std::string>& explicit_path, const EnvLookup& env) {
  if (auto p = explicit_choice(explicit_path, env)) return *p;
  if (auto p = xdg_socket(env)) return *p;
  return std::string(system_socket_path);
}

std::vector<std::string> client_socket_candidates(const std::optional<std::string>& explicit_path,
                                                  const EnvLookup& env) {
  if (auto p = explicit_choice(explicit_path, env)) return {*p};
  std::vector<std::string> out;
  if (auto p = xdg_socket(env)) out.push_back(*p);
  out.emplace_back(system_socket_path);
  return out;
}

}  // namespace btd::rpc
