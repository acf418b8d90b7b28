#include "rpc/params.hpp"

#include "rpc/error_codes.hpp"

namespace btd::rpc::params {

namespace {

std::string quote_name(std::string_view name) { return "\"" + std::string(name) + "\""; }

// Our methods take named params only. An empty array is accepted as "no params".
RpcResult<const Json*> lookup(const Json& params, std::string_view name) {
  if (params.is_array() && params.empty()) return static_cast<const Json*>(nullptr);
  if (!params.is_object()) {
    return RpcError(code::invalid_params, "invalid params: expected named parameters (an object), got " +
                                              std::string(params.type_name()));
  }
  auto it = params.find(name);
  if (it == params.end() || it->is_null()) return static_cast<const Json*>(nullptr);
  return &*it;
}

std::optional<std::uint64_t> as_uint(const Json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer()) {
    auto i = v.get<std::int64_t>();
    if (i >= 0) return static_cast<std::uint64_t>(i);
  }
  return std::nullopt;
}

std::string uint_expectation(std::uint64_t max) {
  if (max == std::numeric_limits<std::uint64_t>::max()) return "a non-negative integer";
  return "an integer from 0 to " + std::to_string(max);
}

std::optional<std::vector<std::string>> as_string_array(const Json& v) {
  if (!v.is_array()) return std::nullopt;
  std::vector<std::string> out;
  out.reserve(v.size());
  for (const auto& e : v) {
    if (!e.is_string()) return std::nullopt;
    out.push_back(e.get<std::string>());
  }
  return out;
}

}  // namespace

RpcError wrong_type(std::string_view name, std::string_view expected) {
  return RpcError(code::invalid_params,
                  "invalid params: " + quote_name(name) + " must be " + std::string(expected));
}

RpcError missing(std::string_view name) {
  return RpcError(code::invalid_params, "invalid params: missing required parameter " + quote_name(name));
}

std::optional<RpcError> check_known(const Json& params, std::initializer_list<std::string_view> known) {
  if (params.is_array() && params.empty()) return std::nullopt;
  if (!params.is_object()) {
    return RpcError(code::invalid_params, "invalid params: expected named parameters (an object), got " +
                                              std::string(params.type_name()));
  }
  for (const auto& [key, value] : params.items()) {
    bool found = false;
    for (auto k : known) found = found || k == key;
    if (!found) return RpcError(code::invalid_params, "invalid params: unknown parameter " + quote_name(key));
  }
  return std::nullopt;
}

RpcResult<std::optional<std::string>> optional_string(const Json& params, std::string_view name) {
  auto v = lookup(params, name);
  if (!v) return std::move(v).error();
  if (!*v) return std::optional<std::string>();
  if (!(*v)->is_string()) return wrong_type(name, "a string");
  return std::optional<std::string>((*v)->get<std::string>());
}

RpcResult<std::string> require_string(const Json& params, std::string_view name) {
  auto v = optional_string(params, name);
  if (!v) return std::move(v).error();
  if (!*v) return missing(name);
  return std::move(**v);
}

RpcResult<std::optional<std::uint64_t>> optional_uint(const Json& params, std::string_view name,
                                                      std::uint64_t max) {
  auto v = lookup(params, name);
  if (!v) return std::move(v).error();
  if (!*v) return std::optional<std::uint64_t>();
  auto n = as_uint(**v);
  if (!n || *n > max) return wrong_type(name, uint_expectation(max));
  return std::optional<std::uint64_t>(*n);
}

RpcResult<std::uint64_t> require_uint(const Json& params, std::string_view name, std::uint64_t max) {
  auto v = optional_uint(params, name, max);
  if (!v) return std::move(v).error();
  if (!*v) return missing(name);
  return **v;
}

RpcResult<bool> optional_bool(const Json& params, std::string_view name, bool fallback) {
  auto v = lookup(params, name);
  if (!v) return std::move(v).error();
  if (!*v) return fallback;
  if (!(*v)->is_boolean()) return wrong_type(name, "a boolean");
  return (*v)->get<bool>();
}

RpcResult<std::optional<std::vector<std::string>>> optional_string_array(const Json& params,
                                                                         std::string_view name) {
  using Out = std::optional<std::vector<std::string>>;
  auto v = lookup(params, name);
  if (!v) return std::move(v).error();
  if (!*v) return Out();
  auto list = as_string_array(**v);
  if (!list) return wrong_type(name, "an array of strings");
  return Out(std::move(*list));
}

RpcResult<std::vector<std::string>> require_string_array(const Json& params, std::string_view name) {
  auto v = optional_string_array(params, name);
  if (!v) return std::move(v).error();
  if (!*v) return missing(name);
  return std::move(**v);
}

RpcResult<std::optional<std::vector<std::string>>> optional_string_or_array(const Json& params,
                                                                            std::string_view name) {
  using Out = std::optional<std::vector<std::string>>;
  auto v = lookup(params, name);
  if (!v) return std::move(v).error();
  if (!*v) return Out();
  if ((*v)->is_string()) return Out(std::vector<std::string>{(*v)->get<std::string>()});
  auto list = as_string_array(**v);
  if (!list) return wrong_type(name, "a string or an array of strings");
  return Out(std::move(*list));
}

}  // namespace btd::rpc::params
