// The SO_PEERCRED gate: the policy as a pure rule, the kernel's answer on a socketpair, and a
// real server refusing or serving clients that run under another uid (forked children; these
// cases need root to switch uid and are skipped otherwise).
#include "rpc/peer_credentials.hpp"

#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <thread>

#include "rpc/server.hpp"

using namespace btd::rpc;

TEST_CASE("may_control: root, the daemon's user, and the socket's group, primary or supplementary") {
  const uid_t daemon = 110;
  const gid_t group = 120;
  CHECK(may_control({1, 0, 0, {}}, daemon, group));
  CHECK(may_control({1, 110, 999, {}}, daemon, group));
  CHECK(may_control({1, 1000, 120, {}}, daemon, group));
  CHECK(may_control({1, 1000, 1000, {27, 120}}, daemon, group));
  CHECK_FALSE(may_control({1, 1000, 1000, {27, 121}}, daemon, group));
  CHECK_FALSE(may_control({1, 65534, 65534, {}}, daemon, group));
  const std::string line = refusal_line({1, 65534, 65534, {}}, group);
  CHECK(line.find("permission denied: uid 65534") != std::string::npos);
  CHECK(line.find("-32600") != std::string::npos);
  CHECK(line.back() == '\n');
}

TEST_CASE("peer_credentials reads our own uid, gid, pid and groups from a socketpair") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  auto cred = peer_credentials(fds[0]);
  REQUIRE(cred.ok());
  CHECK(cred->uid == ::geteuid());
  CHECK(cred->gid == ::getegid());
  CHECK(cred->pid == ::getpid());
  std::vector<gid_t> ours(static_cast<std::size_t>(::getgroups(0, nullptr)));
  ::getgroups(static_cast<int>(ours.size()), ours.data());
  for (gid_t g : ours) CHECK(std::find(cred->groups.begin(), cred->groups.end(), g) != cred->groups.end());
  ::close(fds[0]);
  ::close(fds[1]);
}

namespace {

constexpr uid_t kNobody = 65534;

// Runs a client as uid/gid 65534 with `group` (if not 0) as its only supplementary group, sends
// one request and returns what the server wrote back before closing or 5 s passing.
std::string reply_as_nobody(const std::string& path, gid_t group) {
  // Everything the child needs is prepared here: after fork() in a threaded process the child
  // may only make system calls.
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  const char request[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":{\"x\":1}}\n";
  int out[2];
  REQUIRE(::pipe(out) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(out[0]);
    const gid_t groups[1] = {group};
    if (::setgroups(group != 0 ? 1 : 0, groups) != 0 || ::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(2);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) ::_exit(3);
    (void)!::send(fd, request, sizeof request - 1, MSG_NOSIGNAL);
    char buf[4096];
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) break;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      (void)!::write(out[1], buf, static_cast<std::size_t>(n));
      if (std::memchr(buf, '\n', static_cast<std::size_t>(n)) != nullptr) break;
    }
    ::_exit(0);
  }
  ::close(out[1]);
  std::string reply;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) reply.append(buf, static_cast<std::size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  return reply;
}

}  // namespace

TEST_CASE("a widened socket still serves only root, the daemon's user and the socket's group") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: switching to another uid needs root");
    return;
  }
  char tmpl[] = "/tmp/btd-cred-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  const std::string dir = tmpl;
  const std::string path = dir + "/rpc.sock";
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  Dispatcher dispatcher;
  dispatcher.add_sync("echo", [](const Json& p) -> RpcResult<Json> { return p; });
  UnixSocketServer server(&loop, dispatcher);
  REQUIRE(server.listen(path).ok());
  // The mistake: everyone may reach and connect to the socket.
  REQUIRE(::chmod(dir.c_str(), 0755) == 0);
  REQUIRE(::chmod(path.c_str(), 0666) == 0);
  const gid_t socket_group = 4242;
  REQUIRE(::chown(path.c_str(), static_cast<uid_t>(-1), socket_group) == 0);

  std::string refused, served;
  uv_async_t done{};
  done.data = &server;
  REQUIRE(uv_async_init(&loop, &done, [](uv_async_t* a) {
            static_cast<UnixSocketServer*>(a->data)->close();
            uv_close(reinterpret_cast<uv_handle_t*>(a), nullptr);
          }) == 0);
  std::thread client([&] {
    refused = reply_as_nobody(path, 0);
    served = reply_as_nobody(path, socket_group);
    uv_async_send(&done);
  });
  uv_run(&loop, UV_RUN_DEFAULT);
  client.join();
  CHECK(uv_loop_close(&loop) == 0);
  std::filesystem::remove_all(dir);

  CHECK(refused.find("permission denied: uid 65534") != std::string::npos);
  CHECK(refused.find("\"x\"") == std::string::npos);
  CHECK(served.find("{\"x\":1}") != std::string::npos);
}
