#pragma once
// Shared by the net tests: a uv loop that ends with uv_loop_close() == 0, running it until a
// condition holds, and raw POSIX sockets on 127.0.0.1 playing a misbehaving peer.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace btd::net::test {

class TestLoop {
 public:
  TestLoop() {
    REQUIRE(uv_loop_init(&loop_) == 0);
    // Wakes UV_RUN_ONCE regularly so run_until notices its deadline.
    uv_timer_init(&loop_, &tick_);
    uv_timer_start(&tick_, [](uv_timer_t*) {}, 5, 5);
    uv_unref(reinterpret_cast<uv_handle_t*>(&tick_));
  }
  ~TestLoop() {
    if (!closed_) (void)finish();
  }
  uv_loop_t* get() { return &loop_; }

  // Runs until `done` holds or `limit` passes; returns done().
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const std::uint64_t deadline = uv_now(&loop_) + static_cast<std::uint64_t>(limit.count());
    uv_ref(reinterpret_cast<uv_handle_t*>(&tick_));
    while (!done() && uv_now(&loop_) < deadline) uv_run(&loop_, UV_RUN_ONCE);
    uv_unref(reinterpret_cast<uv_handle_t*>(&tick_));
    return done();
  }
  void run_for(std::chrono::milliseconds time) {
    run_until([] { return false; }, time);
  }

  // Closes the tick, runs until no handle is left and closes the loop: 0 when nothing leaked.
  int finish() {
    closed_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    return uv_loop_close(&loop_);
  }

 private:
  uv_loop_t loop_{};
  uv_timer_t tick_{};
  bool closed_ = false;
};

inline sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A blocking client connected to 127.0.0.1:port; the kernel completes the TCP handshake from the
// listen backlog, so this works before the loop runs.
inline int raw_connect(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a = loopback(port);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

inline bool raw_send(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Everything readable until EOF, an error or `timeout_ms` of silence; `eof` tells which.
inline std::string raw_read_all(int fd, bool& eof, int timeout_ms = 2000) {
  std::string out;
  eof = false;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return out;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      eof = true;
      return out;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
}

// A port with nothing listening: bound once by us, then released.
inline std::uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a = loopback(0);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace btd::net::test
