#pragma once
// One RPC call to the daemon with btctl's error handling: the socket is resolved as RPC.md
// says, a daemon that cannot be reached is exit code 3 (naming the paths tried), and an error
// answer is exit code 1 with the daemon's message on stderr.
#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"

namespace btd::cli {

struct CallOutcome {
  int exit_code = kExitOk;
  nlohmann::json result;  // valid when exit_code == kExitOk
};

CallOutcome call_daemon(const GlobalOptions& global, const std::string& method,
                        const nlohmann::json& params = nlohmann::json::object());
// The same with a client-side limit on the whole call (0 = none), for methods that wait on the
// daemon's side, like torrent.get_piece: pass a little more than the request's own timeout so
// the daemon's timeout error arrives first.
CallOutcome call_daemon(const GlobalOptions& global, const std::string& method,
                        const nlohmann::json& params, std::chrono::milliseconds timeout);

}  // namespace btd::cli
