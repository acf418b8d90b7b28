#pragma once
// Builds JSON-RPC 2.0 messages and serializes them as wire lines: compact, single-line JSON
// followed by '\n'. Serialization never throws: strings that are not valid UTF-8 (a torrent
// name from a hostile .torrent, say) are sent with U+FFFD in place of the bad bytes.
#include <string>
#include <string_view>

#include "rpc/rpc_error.hpp"

namespace btd::rpc {

// Compact JSON, no trailing newline. Escapes control characters, so the output is one line.
std::string dump_compact(const Json& value);

Json make_result_response(const Json& id, Json result);
Json make_error_response(const Json& id, const RpcError& error);

// Complete lines, '\n' included.
std::string error_response_line(const Json& id, const RpcError& error);
// A server-to-client notification, e.g. for events.subscribe: {"jsonrpc":"2.0","method":...,"params":...}
std::string notification_line(std::string_view method, Json params);

}  // namespace btd::rpc
