#include "cli/daemon_call.hpp"

#include <iostream>

#include "rpc/client.hpp"
#include "rpc/socket_path.hpp"

namespace btd::cli {

CallOutcome call_daemon(const GlobalOptions& global, const std::string& method,
                        const nlohmann::json& params) {
  std::optional<std::string> explicit_socket;
  if (!global.socket.empty()) explicit_socket = global.socket;
  const auto candidates = rpc::client_socket_candidates(explicit_socket, rpc::process_env());
  auto client = rpc::Client::connect_any(candidates);
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
    std::cerr << "btctl: " << answer->error().message << "\n";
    return {kExitError, {}};
  }
  return {kExitOk, std::move(answer->value())};
}

}  // namespace btd::cli
