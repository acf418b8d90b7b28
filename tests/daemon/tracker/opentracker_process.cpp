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
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "core/tracker/announce_request.hpp"

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

// Socket inodes held by `pid`.
std::set<std::string> socket_inodes(pid_t pid) {
  std::set<std::string> inodes;
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string target = std::filesystem::read_symlink(entry.path(), ec).string();
    if (target.rfind("socket:[", 0) == 0) inodes.insert(target.substr(8, target.size() - 9));
  }
  return inodes;
}

// True when exactly one socket in `table` (/proc/net/tcp or udp) is bound to `port` (listening,
// for TCP) and it belongs to `inodes`. Parallel tests race for ports between free_port() and
// opentracker's bind, and SO_REUSEADDR may let two trackers share a UDP port: this makes sure
// the tracker we talk to is the one we started, with the whitelist we wrote.
bool sole_owner(const char* table, int port, bool listening, const std::set<std::string>& inodes) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // header
  char want[8];
  std::snprintf(want, sizeof want, ":%04X", port);
  int bound = 0;
  bool ours = false;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, skip, inode;
    fields >> slot >> local >> remote >> state;
    for (int i = 0; i < 5; ++i) fields >> skip;  // tx:rx tr:when retrnsmt uid timeout
    fields >> inode;
    if (local.size() < 5 || local.substr(local.size() - 5) != want) continue;
    if (listening && state != "0A") continue;
    ++bound;
    ours = ours || inodes.count(inode) != 0;
  }
  return bound == 1 && ours;
}

// One blocking HTTP/1.0 GET on loopback; the whole answer, headers included.
std::string http_get(int port, const std::string& target) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const sockaddr_in addr = loopback(port);
  std::string answer;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET " + target + " HTTP/1.0\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buf[4096];
      ssize_t n = 0;
      while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) answer.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return answer;
}

// opentracker loads its whitelist on a thread of its own after it starts listening; until then
// it refuses every hash. The probe must be a real announce ("stopped" for an unknown torrent is
// answered without looking at the whitelist); the probe peer is removed again right after.
bool whitelist_loaded(int port, const InfoHash& hash) {
  tracker::AnnounceRequest probe;
  probe.info_hash = hash;
  probe.peer_id = "-BTPROBE-00000000000";
  probe.port = 1;
  probe.numwant = 0;
  const std::string answer = http_get(port, tracker::build_announce_url("/announce", probe));
  const bool loaded = answer.find("200 OK") != std::string::npos &&
                      answer.find("failure reason") == std::string::npos;
  if (loaded) {
    probe.event = tracker::Event::stopped;
    http_get(port, tracker::build_announce_url("/announce", probe));
  }
  return loaded;
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
  // A random port rather than bind(0): some kernels (gVisor) hand out ephemeral ports in
  // sequence, so parallel test processes would keep colliding on the same few.
  static std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pick(20000, 59999);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    const sockaddr_in addr = loopback(pick(rng));
    const bool free = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    if (free) return ntohs(addr.sin_port);
  }
  FAIL("no free port found");
  return 0;
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
        const auto inodes = socket_inodes(pid);
        up = sole_owner("/proc/net/tcp", tcp_port_, true, inodes) &&
             sole_owner("/proc/net/udp", udp_port_, false, inodes);
        break;  // someone answers: ours, or a port clash to retry
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
  if (!whitelist.empty()) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    bool loaded = whitelist_loaded(tcp_port_, whitelist.front());
    while (!loaded && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      loaded = whitelist_loaded(tcp_port_, whitelist.front());
    }
    REQUIRE_MESSAGE(loaded, "opentracker did not load its whitelist within 5 s");
  }
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
