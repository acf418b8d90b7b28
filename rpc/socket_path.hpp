#pragma once
// Where the control socket lives (RPC.md, "Socket path"), first that applies:
//   1. --socket PATH  2. $BTD_SOCKET  3. $RUNTIME_DIRECTORY/rpc.sock (systemd)
//   4. $XDG_RUNTIME_DIR/btd/rpc.sock  5. /run/btd/rpc.sock
// The environment is passed in as a lookup so tests need not touch the process environment.
// Empty variables count as unset.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace btd::rpc {

using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Reads the real process environment.
EnvLookup process_env();

inline constexpr std::string_view system_socket_path = "/run/btd/rpc.sock";

// The daemon binds exactly one path.
std::string resolve_server_socket(const std::optional<std::string>& explicit_path, const EnvLookup& env);

// btctl: the paths to try in order. Rules 1 to 3 give one path; otherwise rule 4 (when
// XDG_RUNTIME_DIR is set) then rule 5, since a system daemon and a user daemon are both common.
std::vector<std::string> client_socket_candidates(const std::optional<std::string>& explicit_path,
                                                  const EnvLookup& env);

}  // namespace btd::rpc
