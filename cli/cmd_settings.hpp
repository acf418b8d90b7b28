#pragma once
// btctl set / settings: rate and connection limits and the log level, for the daemon as a whole
// (session.set, session.get) or one torrent (torrent.set).
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace btd::cli {

struct RpcRequest {
  std::string method;
  nlohmann::json params;
};

// `btctl set` words to a request, or a usage message naming what is wrong.
std::variant<RpcRequest, std::string> build_set_request(const std::vector<std::string>& words);

// The human form of a session.get / session.set result.
std::string format_settings(const nlohmann::json& settings);
// The human form of a torrent.set result.
std::string format_torrent_limits(const nlohmann::json& limits);

}  // namespace btd::cli
