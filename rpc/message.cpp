#include "rpc/message.hpp"

namespace btd::rpc {

std::string dump_compact(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json make_result_response(const Json& id, Json result) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

Json make_error_response(const Json& id, const RpcError& error) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"error", error.to_json()}};
}

std::string error_response_line(const Json& id, const RpcError& error) {
  return dump_compact(make_error_response(id, error)) + '\n';
}

std::string notification_line(std::string_view method, Json params) {
  Json n = {{"jsonrpc", "2.0"}, {"method", std::string(method)}, {"params", std::move(params)}};
  return dump_compact(n) + '\n';
}

}  // namespace btd::rpc
