#pragma once
// JSON-RPC 2.0 dispatch with no knowledge of sockets: one line of JSON in, zero or one line out.
// A method table maps names to handlers; a handler answers through a Responder, now or later
// (torrent.get_piece answers when the piece has been verified), exactly once.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "rpc/rpc_error.hpp"

namespace btd::rpc {

// Who sent a request. Handlers that push notifications later (events.subscribe) keep the
// connection id, never a pointer to the connection.
struct CallContext {
  std::uint64_t connection = 0;
};

// The one-shot answer channel of a request. Copyable; all copies share one state. Only the first
// answer counts; later ones are ignored. If every copy is dropped without an answer, the client
// gets -32603 rather than waiting forever. Not thread-safe: use it on the thread that owns the
// dispatcher (the loop thread).
class Responder {
 public:
  // An inert responder (answered() is true, answers are dropped), e.g. a member not yet set.
  Responder() = default;

  void result(Json value) const noexcept;
  void error(RpcError error) const noexcept;
  void error(int code, std::string message) const noexcept { error(RpcError(code, std::move(message))); }

  bool answered() const noexcept;
  // Notifications get no response: answers are accepted and dropped.
  bool is_notification() const noexcept;
  const CallContext& context() const noexcept;

  struct State;

 private:
  friend class Dispatcher;
  explicit Responder(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

// `params` is the request's params, or an empty object when it had none. The reference is valid
// only during the call: copy what an asynchronous answer needs.
using Handler = std::function<void(const Json& params, Responder respond)>;
// For methods that answer at once.
using SyncHandler = std::function<RpcResult<Json>(const Json& params)>;

class Dispatcher {
 public:
  // Adding a name twice replaces the earlier handler.
  void add(std::string method, Handler handler);
  void add_sync(std::string method, SyncHandler handler);
  bool has(std::string_view method) const;

  // Handles one line (a request, a notification or a batch). Returns true when `send` will be
  // called exactly once, now or later, with a complete response line ('\n' included); false
  // when nothing will be sent (notifications, a batch of only notifications, a blank line).
  // Never throws.
  bool handle_line(std::string_view line, std::function<void(std::string)> send,
                   CallContext context = {}) noexcept;

 private:
  void dispatch(const Json& request, const Responder& respond) const noexcept;

  std::map<std::string, Handler, std::less<>> methods_;
};

}  // namespace btd::rpc
