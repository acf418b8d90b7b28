#pragma once
// Typed access to named request params. Every failure is a -32602 error that names the
// parameter and what it should have been, e.g. `invalid params: "index" must be a non-negative
// integer`. Optional params treat null like absent.
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rpc/rpc_error.hpp"

namespace btd::rpc::params {

// `invalid params: "NAME" must be EXPECTED` (expected is e.g. "a string").
RpcError wrong_type(std::string_view name, std::string_view expected);
// `invalid params: missing required parameter "NAME"`.
RpcError missing(std::string_view name);

// Rejects params this method does not know, so a typo ("delete-data") is not silently ignored.
std::optional<RpcError> check_known(const Json& params, std::initializer_list<std::string_view> known);

RpcResult<std::string> require_string(const Json& params, std::string_view name);
RpcResult<std::optional<std::string>> optional_string(const Json& params, std::string_view name);

// Integers only (1.0 is not an index); `max` bounds the value and appears in the message.
RpcResult<std::uint64_t> require_uint(const Json& params, std::string_view name,
                                      std::uint64_t max = std::numeric_limits<std::uint64_t>::max());
RpcResult<std::optional<std::uint64_t>> optional_uint(
    const Json& params, std::string_view name, std::uint64_t max = std::numeric_limits<std::uint64_t>::max());

RpcResult<bool> optional_bool(const Json& params, std::string_view name, bool fallback);

RpcResult<std::vector<std::string>> require_string_array(const Json& params, std::string_view name);
RpcResult<std::optional<std::vector<std::string>>> optional_string_array(const Json& params,
                                                                         std::string_view name);
// A string or an array of strings (torrent.status's `id`); a single string becomes a list of one.
RpcResult<std::optional<std::vector<std::string>>> optional_string_or_array(const Json& params,
                                                                            std::string_view name);

}  // namespace btd::rpc::params
