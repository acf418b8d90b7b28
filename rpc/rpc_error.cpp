#include "rpc/rpc_error.hpp"

#include <limits>

namespace btd::rpc {

Json RpcError::to_json() const {
  Json j = {{"code", code}, {"message", message}};
  if (data) j["data"] = *data;
  return j;
}

std::optional<RpcError> RpcError::from_json(const Json& j) {
  if (!j.is_object()) return std::nullopt;
  auto c = j.find("code");
  auto m = j.find("message");
  if (c == j.end() || !c->is_number_integer() || m == j.end() || !m->is_string()) return std::nullopt;
  auto v = c->get<std::int64_t>();
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) return std::nullopt;
  RpcError e(static_cast<int>(v), m->get<std::string>());
  if (auto d = j.find("data"); d != j.end()) e.data = *d;
  return e;
}

}  // namespace btd::rpc
