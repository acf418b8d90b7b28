#pragma once
// The JSON-RPC transport: a Unix stream socket served on a libuv loop. It frames lines, hands
// each to the Dispatcher and writes the answers back in request order per connection. It is the
// only file of rpc/ that knows libuv.
//
// Lifetimes follow libuv's rule: handle memory is freed only in close callbacks. Callbacks and
// responders refer to connections by id, so an answer for a client that has gone is dropped.
// Single-threaded: every method must be called on the loop's thread.
//
// libuv writes with write(2), so a client that disconnects would raise SIGPIPE and kill the
// daemon; listen() and listen_fd() therefore set SIGPIPE to SIG_IGN if it is still SIG_DFL.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <uv.h>

#include "core/util/result.hpp"
#include "rpc/dispatcher.hpp"
#include "rpc/line_framer.hpp"

namespace btd::rpc {

struct ServerOptions {
  std::size_t max_request_bytes = LineFramer::default_max_line;
  // Output queued for a client that does not read: above the soft limit the server stops reading
  // its requests until the queue drains to half of it; a write that would take the queue past the
  // hard limit closes the connection. A single response is always allowed through an empty
  // queue, whatever its size.
  std::size_t write_soft_limit = std::size_t{64} << 20;
  std::size_t write_hard_limit = std::size_t{320} << 20;
  // Requests read but not yet answered on one connection; above this, reading pauses.
  std::size_t max_pending_requests = 4096;
  // Mode of the socket's directory when the server has to create it.
  unsigned directory_mode = 0700;
  // Called after a connection is gone (closed by either side); e.g. to drop its subscriptions.
  std::function<void(std::uint64_t connection)> on_disconnect;
};

class UnixSocketServer {
 public:
  // `dispatcher` must outlive the server.
  UnixSocketServer(uv_loop_t* loop, Dispatcher& dispatcher, ServerOptions options = {});
  // Calls close(); run the loop afterwards so the close callbacks free the handles.
  ~UnixSocketServer();
  UnixSocketServer(const UnixSocketServer&) = delete;
  UnixSocketServer& operator=(const UnixSocketServer&) = delete;

  // Creates the parent directory if missing, replaces a stale socket file, binds, sets mode
  // 0660 and listens. Refuses when another server is live on the path or the path is not a
  // socket (it never unlinks anything but a dead socket).
  Result<void> listen(const std::string& path);
  // Serves an already bound and listening socket (systemd socket activation). The server owns
  // the fd from now on.
  Result<void> listen_fd(int fd);

  // Queues a notification line (see notification_line()) on a connection. Notifications are not
  // held back behind unanswered requests. False when the connection is gone.
  bool push(std::uint64_t connection, std::string line);
  bool notify(std::uint64_t connection, std::string_view method, Json params);

  // Stops listening, closes every connection and removes the socket file this server created.
  // Idempotent.
  void close();

  std::size_t connection_count() const;
  const std::string& path() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace btd::rpc
