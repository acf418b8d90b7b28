#include "tests/daemon/tracker/opentracker_process.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

extern char** environ;

namespace btd::test {

namespace {

constexpr const char* kOpenTracker = "/usr/bin/opentracker";

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

bool accepts_connections(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const sockaddr_in addr = loopback(port);
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

bool reap(pid_t pid, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid || r < 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace

int free_port(int type) {
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr = loopback(0);
  REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

OpenTrackerProcess::OpenTrackerProcess(const std::vector<InfoHash>& whitelist,
                                       const std::string& redirect_root) {
  REQUIRE_MESSAGE(::access(kOpenTracker, X_OK) == 0, kOpenTracker, " is not installed");
  char dir_template[] = "/tmp/btd-opentracker-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  dir_ = dir_template;
  ::chmod(dir_.c_str(), 0755);  // opentracker chroots here and drops to "nobody" when root
  {
    std::ofstream out(dir_ + "/whitelist");
    for (const InfoHash& hash : whitelist) out << hash.hex() << "\n";
  }
  // Another test may take a port between free_port() and opentracker's bind: retry then.
  for (int attempt = 0; attempt < 5 && pid_ < 0; ++attempt) {
    tcp_port_ = free_port(SOCK_STREAM);
    udp_port_ = free_port(SOCK_DGRAM);
    const std::string tcp = std::to_string(tcp_port_);
    const std::string udp = std::to_string(udp_port_);
    // opentracker chroots to -d before it reads the whitelist: the path is relative to it.
    const std::string list = "whitelist";
    std::vector<std::string> args = {kOpenTracker, "-i", "127.0.0.1", "-p", tcp, "-P", udp,
                                     "-w", list, "-d", dir_};
    if (!redirect_root.empty()) {
      args.push_back("-r");
      args.push_back(redirect_root);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = dir_ + "/log";
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, kOpenTracker, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(rc == 0);
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    bool up = false;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) break;  // exited: port taken, retry
      if (accepts_connections(tcp_port_)) {
        up = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (up) {
      pid_ = pid;
    } else {
      ::kill(pid, SIGKILL);
      reap(pid, std::chrono::seconds(2));
    }
  }
  REQUIRE_MESSAGE(pid_ > 0, "opentracker did not start; see ", dir_, "/log");
}

OpenTrackerProcess::~OpenTrackerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    if (!reap(pid_, std::chrono::seconds(2))) {
      ::kill(pid_, SIGKILL);
      reap(pid_, std::chrono::seconds(2));
    }
  }
  if (!dir_.empty()) {
    std::remove((dir_ + "/whitelist").c_str());
    std::remove((dir_ + "/log").c_str());
    ::rmdir(dir_.c_str());
  }
}

std::string OpenTrackerProcess::http_announce() const {
  return "http://127.0.0.1:" + std::to_string(tcp_port_) + "/announce";
}

std::string OpenTrackerProcess::udp_announce() const {
  return "udp://127.0.0.1:" + std::to_string(udp_port_) + "/announce";
}

namespace {
void delete_timer(uv_handle_t* handle) { delete reinterpret_cast<uv_timer_t*>(handle); }
}  // namespace

bool run_until(uv_loop_t* loop, const std::function<bool()>& done,
               std::chrono::milliseconds limit) {
  // A ticking timer makes every uv_run(ONCE) return soon, so the limit is checked.
  auto* guard = new uv_timer_t;
  uv_timer_init(loop, guard);
  uv_timer_start(guard, [](uv_timer_t*) {}, 10, 10);
  const auto end = std::chrono::steady_clock::now() + limit;
  bool ok = done();
  while (!ok && std::chrono::steady_clock::now() < end) {
    uv_run(loop, UV_RUN_ONCE);
    ok = done();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(guard), delete_timer);
  return ok;
}

int close_loop(uv_loop_t* loop, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (uv_run(loop, UV_RUN_NOWAIT) != 0 && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return uv_loop_close(loop);
}

}  // namespace btd::test
