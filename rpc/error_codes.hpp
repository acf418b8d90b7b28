#pragma once
// JSON-RPC error codes of RPC.md. The application codes are part of the public contract:
// scripts branch on them, so never renumber.

namespace btd::rpc::code {

// Standard JSON-RPC 2.0 codes.
inline constexpr int parse_error = -32700;
inline constexpr int invalid_request = -32600;
inline constexpr int method_not_found = -32601;
inline constexpr int invalid_params = -32602;
inline constexpr int internal_error = -32603;

// Application codes.
inline constexpr int torrent_not_found = 1;
inline constexpr int invalid_metainfo = 2;  // also a bad magnet URI
inline constexpr int io_error = 3;
inline constexpr int timeout = 4;
inline constexpr int piece_out_of_range = 5;

}  // namespace btd::rpc::code
