#pragma once
// The TCP listening socket for incoming peers. It does not decide who gets in: for each pending
// connection it asks its owner, and when the owner declines (connection limit reached) it accepts
// and closes at once, so refused peers do not sit in the kernel's backlog and starve later ones.
// Single-threaded: every method must be called on the loop's thread.
#include <cstdint>
#include <functional>
#include <string>

#include <uv.h>

#include "core/util/result.hpp"

namespace btd::net {

class PeerListener {
 public:
  // Must uv_accept the connection pending on `server` and return true, or return false without
  // accepting to have the listener drop it.
  using AcceptFn = std::function<bool(uv_stream_t* server)>;

  PeerListener(uv_loop_t* loop, AcceptFn accept);
  // Calls close(); run the loop afterwards so the close callback frees the handle.
  ~PeerListener();
  PeerListener(const PeerListener&) = delete;
  PeerListener& operator=(const PeerListener&) = delete;

  // `address` is an IPv4 or IPv6 literal ("0.0.0.0", "::", "127.0.0.1"); port 0 picks a free one.
  Result<void> listen(const std::string& address, std::uint16_t port, int backlog = 128);
  bool listening() const noexcept { return handle_ != nullptr; }
  // The bound port (the kernel's choice when listen() was given 0); 0 when not listening.
  std::uint16_t port() const noexcept { return port_; }
  // Connections accepted and closed because the owner declined them.
  std::uint64_t refused() const noexcept { return refused_; }

  // Stops listening. Idempotent.
  void close();

  struct Handle;

 private:
  void on_connection(int status);
  void refuse();

  uv_loop_t* loop_;
  AcceptFn accept_;
  Handle* handle_ = nullptr;  // freed by its close callback
  std::uint16_t port_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace btd::net
