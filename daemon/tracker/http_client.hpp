#pragma once
// HTTP(S) GET on the libuv loop: libcurl's multi interface, with curl's sockets watched by
// uv_poll_t and curl's single timeout by a uv_timer_t (curl_multi_socket_action). Made for
// tracker announces and scrapes: small bodies, short timeouts, nothing blocking the loop (curl's
// threaded resolver does the DNS).
//
// Lifetimes follow libuv's rule: every handle is freed in its close callback. A callback never
// runs after cancel(), cancel_all(), close() or the client's destruction, so owners may capture
// raw pointers to themselves as long as they cancel what they started before they go.
// Single-threaded: every method must be called on the loop's thread.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <uv.h>

#include "core/util/result.hpp"

namespace btd::daemon {

struct HttpClientOptions {
  std::string user_agent = "btd/0.1.0";
  long max_redirects = 3;
};

class HttpClient {
 public:
  // The body of a 200 answer, or why there is none.
  using Callback = std::function<void(Result<std::string> body)>;

  explicit HttpClient(uv_loop_t* loop, HttpClientOptions options = {});
  // Calls close(); run the loop afterwards so the close callbacks free the handles.
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts a GET of an http:// or https:// URL (redirects may not leave those schemes). The
  // callback runs later on the loop, never from inside get(): with the body when the final
  // answer is HTTP 200, otherwise with an error naming the status, the transport failure, the
  // timeout, or a body over `max_body_bytes` (the transfer is aborted as soon as it goes over).
  // Returns the request's id for cancel(); an error when the request could not even be set up
  // (the client is closed, say).
  Result<std::uint64_t> get(const std::string& url, std::chrono::milliseconds timeout,
                            std::size_t max_body_bytes, Callback callback);

  // Drops a request; its callback will not run. Unknown or finished ids are ignored.
  void cancel(std::uint64_t id);
  void cancel_all();
  // Cancels everything and closes the handles. Idempotent; get() fails afterwards.
  void close();

  std::size_t active_requests() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// "http://host:port/path" without its query and fragment: what error messages name, since a
// tracker's query string carries passkeys and our peer id.
std::string url_without_query(const std::string& url);

}  // namespace btd::daemon
