#include "rpc/client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>

using namespace btd::rpc;
using namespace std::chrono_literals;

TEST_CASE("connecting to a missing socket names the path and the errno text") {
  auto c = Client::connect("/nonexistent-btd-dir/rpc.sock");
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().is(btd::Errc::io_error));
  CHECK(c.error().message == "cannot connect to btd at /nonexistent-btd-dir/rpc.sock: No such file or directory");
}

TEST_CASE("connect_any tries each candidate and names them all") {
  auto c = Client::connect_any({"/nonexistent-a/rpc.sock", "/nonexistent-b/rpc.sock"});
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().message.find("/nonexistent-a/rpc.sock") != std::string::npos);
  CHECK(c.error().message.find("/nonexistent-b/rpc.sock") != std::string::npos);
  CHECK_FALSE(Client::connect(std::string(200, 'x')).ok());
}

TEST_CASE("a daemon that never answers makes call time out") {
  char tmpl[] = "/tmp/btd-rpc-XXXXXX";
  REQUIRE(::mkdtemp(tmpl) != nullptr);
  std::string dir = tmpl;
  std::string path = dir + "/rpc.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(fd, 4) == 0);  // the kernel completes connects; nobody ever reads

  auto c = Client::connect(path, {.timeout = 150ms});
  REQUIRE(c.ok());
  auto start = std::chrono::steady_clock::now();
  auto r = c->call("session.stats");
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "timed out waiting for btd at " + path);
  CHECK(took >= 150ms);
  CHECK(took < 5s);
  ::close(fd);
  std::filesystem::remove_all(dir);
}
