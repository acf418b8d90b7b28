#pragma once
// One RPC call to the daemon with btctl's error handling: the socket is resolved as RPC.md
// says, a daemon that cannot be reached is exit code 3 (naming the paths tried), and an error
// answer is exit code 1 with the daemon's message on stderr.
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

}  // namespace btd::cli
