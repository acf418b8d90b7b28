#pragma once
// Test helpers: a real opentracker started on loopback for one test (killed by its destructor,
// whatever happens), and a bounded way to run a libuv loop until something has happened.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <sys/types.h>
#include <uv.h>

#include "core/util/sha1.hpp"

namespace btd::test {

class OpenTrackerProcess {
 public:
  // Serves only `whitelist` (opentracker's Debian build tracks whitelisted hashes only). Fails
  // the calling test (doctest REQUIRE) when it does not accept connections within a few seconds.
  explicit OpenTrackerProcess(const std::vector<InfoHash>& whitelist,
                              const std::string& redirect_root = {});
  ~OpenTrackerProcess();
  OpenTrackerProcess(const OpenTrackerProcess&) = delete;
  OpenTrackerProcess& operator=(const OpenTrackerProcess&) = delete;

  int tcp_port() const { return tcp_port_; }
  int udp_port() const { return udp_port_; }
  std::string http_announce() const;
  std::string udp_announce() const;

 private:
  std::string dir_;
  int tcp_port_ = 0;
  int udp_port_ = 0;
  pid_t pid_ = -1;
};

// A port on 127.0.0.1 that was free a moment ago (SOCK_STREAM or SOCK_DGRAM).
int free_port(int type);

// Runs `loop` until `done()` holds or `limit` passes; true when done() held.
bool run_until(uv_loop_t* loop, const std::function<bool()>& done,
               std::chrono::milliseconds limit = std::chrono::seconds(20));
// Runs `loop` until nothing is left to do (or `limit` passes), then closes it. 0 on success.
int close_loop(uv_loop_t* loop, std::chrono::milliseconds limit = std::chrono::seconds(5));

}  // namespace btd::test
