#pragma once
// A blocking JSON-RPC client over a Unix socket, for btctl and tests. Plain POSIX sockets, no
// libuv. Not thread-safe; one call at a time.
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "rpc/line_framer.hpp"
#include "rpc/rpc_error.hpp"

namespace btd::rpc {

struct ClientOptions {
  // 0 = wait forever. Applies to each call as a whole (a get_piece may legitimately take long,
  // so btctl passes a timeout above the request's own timeout_ms).
  std::chrono::milliseconds timeout{0};
  // Largest response line accepted; a base64 piece of 16 MiB is about 22 MiB.
  std::size_t max_response_bytes = std::size_t{256} << 20;
};

class Client {
 public:
  // Errors (Errc::io_error) name the path and the errno text.
  static Result<Client> connect(const std::string& path, ClientOptions options = {});
  // Tries each path in order (see client_socket_candidates()); the error names every path tried.
  static Result<Client> connect_any(const std::vector<std::string>& paths, ClientOptions options = {});

  Client(Client&& other) noexcept;
  Client& operator=(Client&& other) noexcept;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  ~Client();

  // The outer error is the transport (cannot send, connection closed, timeout, garbled
  // response: Errc::io_error or Errc::protocol_error); the inner result is the daemon's answer.
  Result<RpcResult<Json>> call(std::string_view method, const Json& params = Json::object());
  // A request without id: no answer comes.
  Result<void> notify(std::string_view method, const Json& params = Json::object());
  // Sends a raw line ('\n' appended if missing) and reads the next raw line back: for tests
  // and debugging of the wire format.
  Result<std::string> roundtrip_raw(std::string_view line);

  // The next server notification ({"method","params"}), waiting up to the timeout. Notifications
  // that arrived during call() are kept and returned first.
  Result<Json> next_notification();

  const std::string& path() const noexcept { return path_; }
  int fd() const noexcept { return fd_; }

 private:
  Client(int fd, std::string path, ClientOptions options);
  Result<void> send_all(std::string_view bytes);
  Result<std::string> read_line(std::chrono::steady_clock::time_point deadline);
  Result<Json> read_message(std::chrono::steady_clock::time_point deadline);
  std::chrono::steady_clock::time_point deadline() const;

  int fd_ = -1;
  std::string path_;
  ClientOptions options_;
  LineFramer framer_;
  std::deque<std::string> lines_;
  std::deque<Json> notifications_;
  std::int64_t next_id_ = 1;
};

}  // namespace btd::rpc
