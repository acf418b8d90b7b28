// The listener on its own: binding, the port it reports, and dropping what its owner declines.
#include "daemon/net/peer_listener.hpp"

#include <doctest/doctest.h>

#include "tests/daemon/net/net_test_support.hpp"

using namespace btd;
using namespace btd::net;
using namespace btd::net::test;
using namespace std::chrono_literals;

TEST_CASE("port 0 binds an ephemeral port that port() reports and clients can reach") {
  TestLoop loop;
  int offered = 0;
  PeerListener listener(loop.get(), [&](uv_stream_t*) {
    ++offered;
    return false;  // declined: the listener accepts and closes it
  });
  CHECK(listener.port() == 0);
  REQUIRE(listener.listen("127.0.0.1", 0).ok());
  REQUIRE(listener.listening());
  REQUIRE(listener.port() != 0);

  int fd = raw_connect(listener.port());
  REQUIRE(loop.run_until([&] { return offered == 1; }));
  loop.run_for(20ms);
  bool eof = false;
  CHECK(raw_read_all(fd, eof).empty());
  CHECK(eof);  // dropped at once instead of left in the backlog
  CHECK(listener.refused() == 1);
  ::close(fd);

  listener.close();
  listener.close();  // idempotent
  CHECK_FALSE(listener.listening());
  CHECK(loop.finish() == 0);
}

TEST_CASE("listen errors name the address, the port and what failed") {
  TestLoop loop;
  PeerListener first(loop.get(), nullptr);
  REQUIRE(first.listen("127.0.0.1", 0).ok());
  const std::uint16_t port = first.port();

  PeerListener second(loop.get(), nullptr);
  auto in_use = second.listen("127.0.0.1", port);
  REQUIRE_FALSE(in_use.ok());
  CHECK(in_use.error().is(Errc::io_error));
  CHECK(in_use.error().message.rfind("cannot listen on 127.0.0.1 port " + std::to_string(port), 0) == 0);
  CHECK(in_use.error().message.find("address already in use") != std::string::npos);
  CHECK_FALSE(second.listening());

  auto bad = second.listen("not-an-address", 6881);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == "listen address 'not-an-address' is not an IPv4 or IPv6 address");

  CHECK_FALSE(first.listen("127.0.0.1", 0).ok());  // already listening
  first.close();
  CHECK(loop.finish() == 0);
}

TEST_CASE("a listener destroyed before the loop runs frees its handle in the close callback") {
  TestLoop loop;
  {
    PeerListener listener(loop.get(), nullptr);
    REQUIRE(listener.listen("127.0.0.1", 0).ok());
  }
  CHECK(loop.finish() == 0);
}
