// PeerSocket on its own, against raw POSIX sockets: connecting, host names, deadlines, writes
// queued before the connection is up, and the exactly-once close report.
#include "daemon/net/peer_socket.hpp"

#include <doctest/doctest.h>

#include <map>

#include "tests/daemon/net/net_test_support.hpp"

using namespace btd;
using namespace btd::net;
using namespace btd::net::test;
using namespace std::chrono_literals;

namespace {

struct Events {
  int connected = 0;
  std::string data;
  int drains = 0;
  std::map<SocketId, std::string> closed;
  int close_reports = 0;

  PeerSocketCallbacks callbacks() {
    PeerSocketCallbacks cb;
    cb.on_connected = [this](SocketId) { ++connected; };
    cb.on_data = [this](SocketId, std::string_view bytes) { data.append(bytes); };
    cb.on_drain = [this](SocketId) { ++drains; };
    cb.on_closed = [this](SocketId id, const std::string& reason) {
      ++close_reports;
      closed[id] = reason;
    };
    return cb;
  }
};

// A raw listening socket on 127.0.0.1.
struct RawServer {
  int fd = -1;
  std::uint16_t port = 0;
  RawServer() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a = loopback(0);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
  }
  ~RawServer() { ::close(fd); }
  int accept_one() {
    pollfd p{fd, POLLIN, 0};
    REQUIRE(::poll(&p, 1, 5000) == 1);
    int c = ::accept(fd, nullptr, nullptr);
    REQUIRE(c >= 0);
    return c;
  }
};

}  // namespace

TEST_CASE("writes queued before the connection is up go out in order once it is") {
  TestLoop loop;
  auto table = std::make_shared<SocketTable>();
  Events ev;
  RawServer server;
  auto socket = PeerSocket::create(loop.get(), table, 7, ev.callbacks());
  REQUIRE(socket.ok());
  PeerSocket& s = **socket;
  REQUIRE(s.connect({"127.0.0.1", server.port}).ok());
  CHECK(s.write("one,"));
  CHECK(s.write(""));  // nothing to do, but not an error
  CHECK(s.write("two"));
  CHECK(s.queued_bytes() == 7);
  REQUIRE(loop.run_until([&] { return ev.connected == 1 && ev.drains == 1; }));
  CHECK(s.queued_bytes() == 0);

  int peer = server.accept_one();
  REQUIRE(raw_send(peer, "reply"));
  REQUIRE(loop.run_until([&] { return ev.data == "reply"; }));
  bool eof = false;
  CHECK(raw_read_all(peer, eof, 200) == "one,two");

  ::close(peer);  // the peer leaves
  REQUIRE(loop.run_until([&] { return ev.close_reports == 1; }));
  CHECK(ev.closed[7] == "connection closed by peer");
  CHECK_FALSE(s.write("late"));
  s.close("again");  // idempotent: no second report
  loop.run_for(20ms);
  CHECK(ev.close_reports == 1);
  socket->reset();
  CHECK(table->size() == 0);
  CHECK(loop.finish() == 0);
}

TEST_CASE("a host name is resolved before connecting") {
  TestLoop loop;
  auto table = std::make_shared<SocketTable>();
  Events ev;
  RawServer server;
  auto socket = PeerSocket::create(loop.get(), table, 1, ev.callbacks());
  REQUIRE(socket.ok());
  REQUIRE((*socket)->connect({"localhost", server.port}).ok());
  REQUIRE(loop.run_until([&] { return ev.connected == 1 || ev.close_reports == 1; }));
  CHECK(ev.connected == 1);
  int peer = server.accept_one();
  (*socket)->close("done");
  REQUIRE(loop.run_until([&] { return ev.close_reports == 1; }));
  CHECK(ev.closed[1] == "done");
  ::close(peer);
  socket->reset();
  CHECK(loop.finish() == 0);
}

TEST_CASE("the deadline closes with its reason; re-arming replaces it; clearing stops it") {
  TestLoop loop;
  auto table = std::make_shared<SocketTable>();
  Events ev;
  RawServer server;
  auto a = PeerSocket::create(loop.get(), table, 1, ev.callbacks());
  auto b = PeerSocket::create(loop.get(), table, 2, ev.callbacks());
  REQUIRE((a.ok() && b.ok()));
  REQUIRE((*a)->connect({"127.0.0.1", server.port}).ok());
  REQUIRE((*b)->connect({"127.0.0.1", server.port}).ok());
  (*a)->set_deadline(10s, "first deadline");
  (*a)->set_deadline(50ms, "second deadline");
  (*b)->set_deadline(50ms, "never");
  (*b)->clear_deadline();
  REQUIRE(loop.run_until([&] { return ev.close_reports == 1; }));
  CHECK(ev.closed[1] == "second deadline");
  loop.run_for(100ms);
  CHECK(ev.closed.count(2) == 0);
  a->reset();
  b->reset();  // destroyed open: no report, handles still freed
  CHECK(ev.close_reports == 1);
  CHECK(loop.finish() == 0);
}

TEST_CASE("a socket destroyed while connecting reports nothing and frees its handles") {
  TestLoop loop;
  auto table = std::make_shared<SocketTable>();
  Events ev;
  RawServer server;
  {
    auto s = PeerSocket::create(loop.get(), table, 3, ev.callbacks());
    REQUIRE(s.ok());
    REQUIRE((*s)->connect({"127.0.0.1", server.port}).ok());
    REQUIRE((*s)->write("queued"));
  }
  CHECK(table->size() == 0);
  CHECK(loop.finish() == 0);
  CHECK(ev.connected == 0);
  CHECK(ev.close_reports == 0);
}

TEST_CASE("port 0 is refused before anything starts") {
  TestLoop loop;
  auto table = std::make_shared<SocketTable>();
  Events ev;
  auto s = PeerSocket::create(loop.get(), table, 4, ev.callbacks());
  REQUIRE(s.ok());
  auto r = (*s)->connect({"127.0.0.1", 0});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "cannot connect to 127.0.0.1:0: port 0");
  s->reset();
  CHECK(loop.finish() == 0);
}
