// UdpTrackerSocket: URL parsing, announces to a real opentracker over UDP, timeouts against a
// closed port, and (against a tiny scripted tracker on the same loop) connection-id reuse and
// replies from the wrong address.
#include "daemon/tracker/udp_tracker_socket.hpp"

#include <doctest/doctest.h>

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <optional>

#include "core/tracker/peer_endpoint.hpp"
#include "tests/daemon/tracker/opentracker_process.hpp"

namespace btd::daemon {
namespace {

using namespace std::chrono_literals;
using test::OpenTrackerProcess;

struct LoopFixture {
  uv_loop_t loop{};
  bool closed = false;
  LoopFixture() { uv_loop_init(&loop); }
  ~LoopFixture() {
    if (!closed) test::close_loop(&loop);
  }
  int close() {
    closed = true;
    return test::close_loop(&loop);
  }
};

tracker::AnnounceRequest request_for(const InfoHash& hash, std::uint16_t port, char id) {
  tracker::AnnounceRequest request;
  request.info_hash = hash;
  request.peer_id = std::string("-BT0001-udp") + std::string(9, id);
  request.port = port;
  request.left = 1000;
  request.event = tracker::Event::started;
  request.numwant = 50;
  return request;
}

using Outcome = std::optional<Result<tracker::AnnounceResponse>>;

Outcome announce_once(LoopFixture& fx, UdpTrackerSocket& socket, const std::string& url,
                      tracker::AnnounceRequest request) {
  Outcome got;
  auto id = socket.announce(url, std::move(request),
                            [&](Result<tracker::AnnounceResponse> r) { got = std::move(r); });
  REQUIRE_MESSAGE(id.ok(), id.error().message);
  CHECK_FALSE(got.has_value());  // never from inside announce()
  REQUIRE(test::run_until(&fx.loop, [&] { return got.has_value(); }));
  return got;
}

bool has_peer(const tracker::AnnounceResponse& reply, const std::string& ip, std::uint16_t port) {
  return std::find(reply.peers.begin(), reply.peers.end(), tracker::PeerEndpoint{ip, port}) !=
         reply.peers.end();
}

TEST_CASE("parse_udp_tracker_url") {
  auto named = parse_udp_tracker_url("udp://tracker.example.org:6969/announce");
  REQUIRE(named.ok());
  CHECK(named->host == "tracker.example.org");
  CHECK(named->port == 6969);
  auto v6 = parse_udp_tracker_url("UDP://[2001:db8::1]:80");
  REQUIRE(v6.ok());
  CHECK(v6->host == "2001:db8::1");
  CHECK(v6->port == 80);
  auto query = parse_udp_tracker_url("udp://10.0.0.1:1337?passkey=x");
  REQUIRE(query.ok());
  CHECK(query->host == "10.0.0.1");
  CHECK(query->port == 1337);

  for (const char* bad : {"udp://tracker.example.org/announce", "udp://t.example:0/",
                          "udp://t.example:65536/", "udp://t.example:12ab/", "udp://:6969/",
                          "udp://[::1/", "udp://[::1]/", "http://t.example:80/announce", "udp:/"}) {
    CAPTURE(bad);
    auto r = parse_udp_tracker_url(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().is(Errc::invalid_argument));
    CHECK(r.error().message.find(bad) != std::string::npos);
  }
}

TEST_CASE("UdpTrackerSocket: two peers announce to opentracker; the second hears of the first") {
  const InfoHash hash = sha1("udp socket: two peers");
  OpenTrackerProcess tracker({hash});
  LoopFixture fx;
  {
    UdpTrackerSocket socket(&fx.loop);
    REQUIRE(socket.open().ok());
    CHECK(socket.ipv4_port() != 0);
    auto first = announce_once(fx, socket, tracker.udp_announce(), request_for(hash, 7101, 'a'));
    REQUIRE_MESSAGE(first->ok(), first->error().message);
    CHECK((*first)->interval_s > 0);
    auto second = announce_once(fx, socket, tracker.udp_announce(), request_for(hash, 7102, 'b'));
    REQUIRE_MESSAGE(second->ok(), second->error().message);
    CHECK(has_peer(**second, "127.0.0.1", 7101));
    CHECK(socket.active_announces() == 0);
  }
  CHECK(fx.close() == 0);
}

TEST_CASE("UdpTrackerSocket: a tracker host name is resolved with uv_getaddrinfo") {
  // Only where "localhost" resolves to IPv4 first: opentracker listens on 127.0.0.1 only.
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* result = nullptr;
  const bool v4_first = ::getaddrinfo("localhost", nullptr, &hints, &result) == 0 &&
                        result != nullptr && result->ai_family == AF_INET;
  if (result != nullptr) ::freeaddrinfo(result);
  if (!v4_first) {
    MESSAGE("skipped: localhost does not resolve to IPv4 first here");
    return;
  }
  const InfoHash hash = sha1("udp socket: host name");
  OpenTrackerProcess tracker({hash});
  LoopFixture fx;
  {
    UdpTrackerSocket socket(&fx.loop);
    REQUIRE(socket.open().ok());
    const std::string url = "udp://localhost:" + std::to_string(tracker.udp_port()) + "/announce";
    // Two at once share one lookup; both get answers.
    Outcome a;
    Outcome b;
    REQUIRE(socket.announce(url, request_for(hash, 7111, 'c'), [&](auto r) { a = std::move(r); }).ok());
    REQUIRE(socket.announce(url, request_for(hash, 7112, 'd'), [&](auto r) { b = std::move(r); }).ok());
    REQUIRE(test::run_until(&fx.loop, [&] { return a.has_value() && b.has_value(); }));
    CHECK_MESSAGE(a->ok(), a->error().message);
    CHECK_MESSAGE(b->ok(), b->error().message);
  }
  CHECK(fx.close() == 0);
}

TEST_CASE("UdpTrackerSocket: a silent tracker fails after the retransmissions") {
  LoopFixture fx;
  {
    UdpTrackerOptions options;
    options.base_timeout_ms = 50;
    options.max_retransmits = 2;  // waits 50 + 100 + 200 ms
    UdpTrackerSocket socket(&fx.loop, options);
    REQUIRE(socket.open().ok());
    const int port = test::free_port(SOCK_DGRAM);
    const auto start = std::chrono::steady_clock::now();
    auto got = announce_once(fx, socket, "udp://127.0.0.1:" + std::to_string(port) + "/announce",
                             request_for(sha1("silent"), 7121, 'e'));
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(got->ok());
    CHECK(got->error().message.find("did not answer the connect request (sent 3 times") !=
          std::string::npos);
    CHECK(got->error().message.find("udp://127.0.0.1:") == 0);
    CHECK(took >= 340ms);
    CHECK(took < 5s);
  }
  CHECK(fx.close() == 0);
}

TEST_CASE("UdpTrackerSocket: a name that does not resolve is an error naming it") {
  LoopFixture fx;
  {
    UdpTrackerSocket socket(&fx.loop);
    REQUIRE(socket.open().ok());
    auto got = announce_once(fx, socket, "udp://no-such-host.invalid:6969/announce",
                             request_for(sha1("nxdomain"), 7131, 'f'));
    REQUIRE_FALSE(got->ok());
    CHECK(got->error().message.find("cannot resolve \"no-such-host.invalid\"") !=
          std::string::npos);
  }
  CHECK(fx.close() == 0);
}

TEST_CASE("UdpTrackerSocket: announce before open, bad URLs, cancel, close") {
  LoopFixture fx;
  {
    UdpTrackerSocket socket(&fx.loop);
    auto early = socket.announce("udp://127.0.0.1:1/", request_for(sha1("x"), 1, 'g'), {});
    REQUIRE_FALSE(early.ok());
    CHECK(early.error().message.find("not open") != std::string::npos);
    REQUIRE(socket.open().ok());
    auto bad = socket.announce("udp://127.0.0.1/", request_for(sha1("x"), 1, 'g'), {});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().message.find("no port") != std::string::npos);

    int calls = 0;
    const int port = test::free_port(SOCK_DGRAM);
    const std::string url = "udp://127.0.0.1:" + std::to_string(port) + "/";
    auto a = socket.announce(url, request_for(sha1("x"), 1, 'g'), [&](auto) { ++calls; });
    auto b = socket.announce(url, request_for(sha1("y"), 2, 'h'), [&](auto) { ++calls; });
    REQUIRE((a.ok() && b.ok()));
    CHECK(socket.active_announces() == 2);
    socket.cancel(*a);
    CHECK(socket.active_announces() == 1);
    test::run_until(&fx.loop, [] { return false; }, 100ms);
    socket.close();
    CHECK(socket.active_announces() == 0);
    test::run_until(&fx.loop, [] { return false; }, 50ms);
    CHECK(calls == 0);
  }
  CHECK(fx.close() == 0);
}

// A scripted BEP 15 tracker on the loop: counts connects, answers announces with one peer, and
// in `spoof` mode first answers from a second socket (another port) that must be ignored.
struct ScriptedTracker {
  struct Box {
    uv_udp_t handle;
    ScriptedTracker* owner;
  };
  Box* main = nullptr;
  Box* other = nullptr;
  int connects = 0;
  int announces = 0;
  int wrong_connection_ids = 0;
  bool spoof = false;
  char buffer[2048];

  static void put32(std::string& out, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>((v >> s) & 0xff));
  }
  static std::uint32_t get32(const char* p) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
  }

  Box* open_box(uv_loop_t* loop) {
    auto* box = new Box{};
    box->owner = this;
    box->handle.data = box;
    uv_udp_init(loop, &box->handle);
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", 0, &addr);
    REQUIRE(uv_udp_bind(&box->handle, reinterpret_cast<const sockaddr*>(&addr), 0) == 0);
    return box;
  }

  explicit ScriptedTracker(uv_loop_t* loop) {
    main = open_box(loop);
    other = open_box(loop);
    uv_udp_recv_start(
        &main->handle,
        [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
          auto* self = static_cast<Box*>(h->data)->owner;
          *buf = uv_buf_init(self->buffer, sizeof self->buffer);
        },
        [](uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned) {
          if (n < 16 || from == nullptr) return;
          static_cast<Box*>(h->data)->owner->answer(buf->base, from);
        });
  }

  void send(Box* box, const std::string& bytes, const sockaddr* to) {
    uv_buf_t buf = uv_buf_init(const_cast<char*>(bytes.data()), static_cast<unsigned>(bytes.size()));
    uv_udp_try_send(&box->handle, &buf, 1, to);
  }

  // A spoofed reply differs from the real one (connection id, peer), so taking it shows.
  static std::string reply_for(std::uint32_t action, std::uint32_t tid, bool spoofed) {
    std::string reply;
    put32(reply, action);
    put32(reply, tid);
    if (action == 0) {
      put32(reply, spoofed ? 0xdeadbeef : 0x11223344);
      put32(reply, 0x55667788);
    } else {
      put32(reply, 1800);  // interval
      put32(reply, 1);     // leechers
      put32(reply, 0);     // seeders
      reply += spoofed ? std::string("\x0a\x06\x06\x06\x02\x9a", 6)   // 10.6.6.6:666
                       : std::string("\x0a\x00\x00\x01\x1a\xe1", 6);  // 10.0.0.1:6881
    }
    return reply;
  }

  void answer(const char* packet, const sockaddr* from) {
    const std::uint32_t action = get32(packet + 8);
    const std::uint32_t tid = get32(packet + 12);
    if (action == 0) {
      ++connects;
    } else if (action == 1) {
      ++announces;
      if (get32(packet) != 0x11223344) ++wrong_connection_ids;
    } else {
      return;
    }
    if (spoof) send(other, reply_for(action, tid, true), from);
    send(main, reply_for(action, tid, false), from);
  }

  std::string url() const {
    sockaddr_in addr{};
    int len = sizeof addr;
    uv_udp_getsockname(&main->handle, reinterpret_cast<sockaddr*>(&addr), &len);
    return "udp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/announce";
  }

  void close() {
    for (Box* box : {main, other}) {
      uv_close(reinterpret_cast<uv_handle_t*>(&box->handle),
               [](uv_handle_t* h) { delete static_cast<Box*>(h->data); });
    }
  }
};

TEST_CASE("UdpTrackerSocket: the connection id is reused for the next announce to a tracker") {
  LoopFixture fx;
  {
    ScriptedTracker fake(&fx.loop);
    UdpTrackerSocket socket(&fx.loop);
    REQUIRE(socket.open().ok());
    auto first = announce_once(fx, socket, fake.url(), request_for(sha1("reuse"), 7141, 'i'));
    REQUIRE_MESSAGE(first->ok(), first->error().message);
    CHECK(has_peer(**first, "10.0.0.1", 6881));
    auto second = announce_once(fx, socket, fake.url(), request_for(sha1("reuse"), 7142, 'j'));
    REQUIRE(second->ok());
    CHECK(fake.connects == 1);
    CHECK(fake.announces == 2);
    fake.close();
  }
  CHECK(fx.close() == 0);
}

TEST_CASE("UdpTrackerSocket: a reply from another address is ignored") {
  LoopFixture fx;
  {
    ScriptedTracker fake(&fx.loop);
    fake.spoof = true;
    UdpTrackerOptions options;
    options.base_timeout_ms = 2000;
    UdpTrackerSocket socket(&fx.loop, options);
    REQUIRE(socket.open().ok());
    auto got = announce_once(fx, socket, fake.url(), request_for(sha1("spoof"), 7151, 'k'));
    REQUIRE(got->ok());
    CHECK(fake.connects == 1);
    CHECK(fake.announces == 1);
    CHECK(fake.wrong_connection_ids == 0);
    CHECK(has_peer(**got, "10.0.0.1", 6881));
    CHECK_FALSE(has_peer(**got, "10.6.6.6", 666));
    fake.close();
  }
  CHECK(fx.close() == 0);
}

}  // namespace
}  // namespace btd::daemon
