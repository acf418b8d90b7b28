#pragma once
// One TCP connection to a peer on the libuv loop: reads delivered as byte chunks, writes queued
// and coalesced, a single deadline timer, and a close that is reported exactly once.
//
// Lifetimes follow libuv's rule: the uv handles live in a heap block freed only by their close
// callbacks, never with the PeerSocket. libuv callbacks carry the socket's id and find the socket
// again through a shared SocketTable, so a callback that arrives after the owner destroyed the
// socket (or the whole table) finds nothing and only frees what it owns.
// Single-threaded: every method must be called on the loop's thread.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <uv.h>

#include "core/mse/mse_keys.hpp"
#include "core/tracker/peer_endpoint.hpp"
#include "core/util/result.hpp"

namespace btd::net {

using SocketId = std::uint64_t;
class PeerSocket;

// The live sockets of one owner by id, plus the read buffer they share.
class SocketTable {
 public:
  PeerSocket* find(SocketId id) const;
  std::size_t size() const noexcept { return live_.size(); }

  // libuv asks for a buffer right before each read callback and the chunk is handed on before
  // the callback returns, so one buffer serves every socket of a loop.
  static constexpr std::size_t kReadBufferSize = std::size_t{64} << 10;
  char* read_buffer() { return read_buffer_.data(); }

 private:
  friend class PeerSocket;
  std::unordered_map<SocketId, PeerSocket*> live_;
  std::vector<char> read_buffer_ = std::vector<char>(kReadBufferSize);
};

struct PeerSocketCallbacks {
  // The outgoing connection is established (reading has started).
  std::function<void(SocketId)> on_connected;
  // A chunk read; valid only during the call.
  std::function<void(SocketId, std::string_view)> on_data;
  // Every queued byte has been handed to the kernel.
  std::function<void(SocketId)> on_drain;
  // The read quota (set_read_quota) is spent; reading stopped until it is raised.
  std::function<void(SocketId)> on_read_quota_spent;
  // Called once, after the handles are closed; the owner may destroy the socket in it.
  std::function<void(SocketId, const std::string& reason)> on_closed;
};

class PeerSocket {
 public:
  // `table` must be the same for every socket of one owner; `id` must be unique in it.
  static Result<std::unique_ptr<PeerSocket>> create(uv_loop_t* loop,
                                                    std::shared_ptr<SocketTable> table,
                                                    SocketId id, PeerSocketCallbacks callbacks);
  // Closes the handles without calling on_closed: the owner is going away.
  ~PeerSocket();
  PeerSocket(const PeerSocket&) = delete;
  PeerSocket& operator=(const PeerSocket&) = delete;

  // Starts an outgoing connection. A host name is resolved with uv_getaddrinfo first. Failures
  // that happen later arrive as on_closed; an error here means nothing was started.
  Result<void> connect(const tracker::PeerEndpoint& endpoint);
  // Accepts the connection pending on `server` and starts reading.
  Result<void> accept(uv_stream_t* server);

  // Queues bytes; false once the socket is closing.
  bool write(std::string bytes);

  // From now on every byte written is encrypted and every byte read decrypted, in place, before
  // it is queued or handed to on_data (MSE after its handshake).
  void set_cipher(mse::PayloadCipher cipher) { cipher_ = std::move(cipher); }
  // The peer ended the connection (end of stream, reset, a failed write), rather than we or a
  // deadline did.
  bool closed_by_peer() const noexcept { return closed_by_peer_; }
  // Bytes accepted by write() that the kernel has not taken yet.
  std::size_t queued_bytes() const noexcept { return queued_bytes_; }

  // Back-pressure from the consumer (e.g. the disk queue is full).
  void pause_reading();
  void resume_reading();
  bool reading_paused() const noexcept { return paused_; }

  // Download rate limiting: reads take at most `bytes` more, then stop until the quota is
  // raised; nullopt reads freely (the default).
  void set_read_quota(std::optional<std::uint64_t> bytes);
  const std::optional<std::uint64_t>& read_quota() const noexcept { return read_quota_; }

  // After `timeout` the socket closes with `reason`. Re-arming replaces the previous deadline.
  void set_deadline(std::chrono::milliseconds timeout, std::string reason);
  void clear_deadline();

  // Idempotent; the first reason wins and reaches on_closed.
  void close(std::string reason);
  bool closing() const noexcept { return closing_; }

  SocketId id() const noexcept { return id_; }
  // The remote address: as given to connect(), or the accepted peer's.
  const tracker::PeerEndpoint& endpoint() const noexcept { return endpoint_; }

  struct Handles;
  struct Resolve;

 private:
  PeerSocket(std::shared_ptr<SocketTable> table, SocketId id, PeerSocketCallbacks callbacks);

  int start_connect(const struct sockaddr* address);  // a uv status
  void on_resolved(int status, struct addrinfo* result);
  void on_connect(int status);
  void on_read(ssize_t nread, const uv_buf_t* buf);
  void on_write_done(std::size_t bytes, int status);
  void on_deadline();
  void cancel_resolve();
  void on_handles_closed();
  static void on_handle_closed(uv_handle_t* handle);
  void start_reading();
  void flush();

  std::shared_ptr<SocketTable> table_;
  SocketId id_;
  PeerSocketCallbacks callbacks_;
  Handles* handles_ = nullptr;   // freed by the close callbacks, not by us
  Resolve* resolve_ = nullptr;         // a pending uv_getaddrinfo, cancelled on close
  tracker::PeerEndpoint endpoint_;

  std::vector<std::string> pending_;  // waiting for the write in flight to finish
  std::size_t queued_bytes_ = 0;      // pending_ plus the write in flight
  bool write_in_flight_ = false;
  bool connected_ = false;
  bool reading_ = false;
  bool paused_ = false;
  bool closing_ = false;
  std::optional<std::uint64_t> read_quota_;
  mse::PayloadCipher cipher_;  // a no-op until set_cipher
  bool closed_by_peer_ = false;
  std::string deadline_reason_;
  std::string close_reason_;
};

}  // namespace btd::net
