#pragma once
// An error as it goes on the wire: a JSON-RPC code (rpc/error_codes.hpp), a message a user can
// act on, and optional structured data (e.g. the candidate ids of an ambiguous prefix).
#include <cassert>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

namespace btd::rpc {

using Json = nlohmann::json;

struct RpcError {
  int code = 0;
  std::string message;
  std::optional<Json> data;

  RpcError() = default;
  RpcError(int c, std::string msg, std::optional<Json> d = std::nullopt)
      : code(c), message(std::move(msg)), data(std::move(d)) {}

  Json to_json() const;
  // Reads {"code","message","data"?}; nullopt when the object does not have that shape.
  static std::optional<RpcError> from_json(const Json& j);
};

// A value or an RpcError, for code that produces JSON-RPC answers (params helpers, the client).
template <class T>
class [[nodiscard]] RpcResult {
 public:
  RpcResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  RpcResult(RpcError error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT
  // So a handler can `return count;` for an RpcResult<Json>.
  template <class U>
    requires(std::is_constructible_v<T, U &&> && !std::is_same_v<std::remove_cvref_t<U>, T> &&
             !std::is_same_v<std::remove_cvref_t<U>, RpcError> &&
             !std::is_same_v<std::remove_cvref_t<U>, RpcResult>)
  RpcResult(U&& value) : v_(std::in_place_index<0>, std::forward<U>(value)) {}  // NOLINT

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const RpcError& error() const& { assert(!ok()); return std::get<1>(v_); }
  RpcError&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, RpcError> v_;
};

}  // namespace btd::rpc
