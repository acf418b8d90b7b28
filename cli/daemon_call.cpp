#include "cli/daemon_call.hpp"

#include <iostream>

#include "cli/status_table.hpp"
#include "rpc/client.hpp"
#include "rpc/socket_path.hpp"

namespace btd::cli {

namespace {

// An unknown or ambiguous id comes back with the candidate ids in `data` (RPC.md): show them,
// they are what the user has to pick from.
void print_error_data(const std::optional<nlohmann::json>& data) {
  if (!data) return;
  const nlohmann::json* list = &*data;
  if (data->is_object() && data->contains("candidates")) list = &(*data)["candidates"];
  if (!list->is_array() || list->empty()) return;
  std::cerr << "btctl: candidates:";
  std::size_t shown = 0;
  for (const auto& c : *list) {
    if (!c.is_string()) continue;
    if (++shown > 10) {
      std::cerr << " ...";
      break;
    }
    std::cerr << " " << sanitize_for_terminal(c.get<std::string>());
  }
  std::cerr << "\n";
}

}  // namespace

CallOutcome call_daemon(const GlobalOptions& global, const std::string& method,
                        const nlohmann::json& params) {
  return call_daemon(global, method, params, std::chrono::milliseconds{0});
}

CallOutcome call_daemon(const GlobalOptions& global, const std::string& method,
                        const nlohmann::json& params, std::chrono::milliseconds timeout) {
  rpc::ClientOptions options;
  options.timeout = timeout;
  std::optional<std::string> explicit_socket;
  if (!global.socket.empty()) explicit_socket = global.socket;
  const auto candidates = rpc::client_socket_candidates(explicit_socket, rpc::process_env());
  auto client = rpc::Client::connect_any(candidates, options);
  if (!client) {
    std::cerr << "btctl: cannot reach btd: " << client.error().message << "\n";
    return {kExitUnreachable, {}};
  }
  auto answer = client->call(method, params);
  if (!answer) {
    std::cerr << "btctl: " << client->path() << ": " << answer.error().message << "\n";
    return {kExitUnreachable, {}};
  }
  if (!answer->ok()) {
    std::cerr << "btctl: " << sanitize_for_terminal(answer->error().message) << "\n";
    print_error_data(answer->error().data);
    return {kExitError, {}};
  }
  return {kExitOk, std::move(answer->value())};
}

}  // namespace btd::cli
