// HttpClient against a real opentracker on loopback, plus a listener that never answers.
#include "daemon/tracker/http_client.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>

#include "core/tracker/announce_request.hpp"
#include "core/tracker/http_response.hpp"
#include "tests/daemon/tracker/opentracker_process.hpp"

namespace btd::daemon {
namespace {

using namespace std::chrono_literals;
using test::OpenTrackerProcess;

constexpr std::size_t kMaxBody = std::size_t{2} << 20;

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

std::string announce_url(const std::string& base, const InfoHash& hash, std::uint16_t port) {
  tracker::AnnounceRequest request;
  request.info_hash = hash;
  request.peer_id = "-BT0001-httpclient01";
  request.port = port;
  request.left = 1000;
  request.event = tracker::Event::started;
  return tracker::build_announce_url(base, request);
}

// Runs one GET to completion and returns its outcome.
Result<std::string> fetch(LoopFixture& fx, HttpClient& client, const std::string& url,
                          std::chrono::milliseconds timeout = 5s,
                          std::size_t max_body = kMaxBody) {
  std::optional<Result<std::string>> got;
  auto id = client.get(url, timeout, max_body, [&](Result<std::string> r) { got = std::move(r); });
  REQUIRE(id.ok());
  CHECK_FALSE(got.has_value());  // never from inside get()
  REQUIRE(test::run_until(&fx.loop, [&] { return got.has_value(); }));
  return std::move(*got);
}

TEST_CASE("HttpClient: an announce to opentracker returns its bencoded reply") {
  const InfoHash hash = sha1("http client: announce");
  OpenTrackerProcess tracker({hash});
  LoopFixture fx;
  {
    HttpClient client(&fx.loop);
    auto body = fetch(fx, client, announce_url(tracker.http_announce(), hash, 7001));
    REQUIRE_MESSAGE(body.ok(), body.error().message);
    auto reply = tracker::parse_http_announce_response(*body);
    REQUIRE(reply.ok());
    CHECK_MESSAGE(!reply->failure_reason.has_value(), reply->failure_reason.value_or(""));
    CHECK(reply->interval_s > 0);
    CHECK(client.active_requests() == 0);
  }
  CHECK(fx.close() == 0);
}

TEST_CASE("HttpClient: a status other than 200 is an error naming it") {
  OpenTrackerProcess tracker({});
  LoopFixture fx;
  {
    HttpClient client(&fx.loop);
    auto body = fetch(fx, client,
                      "http://127.0.0.1:" + std::to_string(tracker.tcp_port()) + "/no-such-page");
    REQUIRE_FALSE(body.ok());
    CHECK(body.error().is(Errc::protocol_error));
    CHECK(body.error().message.find("HTTP status 404") != std::string::npos);
    CHECK(body.error().message.find("/no-such-page") != std::string::npos);
  }
  CHECK(fx.close() == 0);
}

TEST_CASE("HttpClient: a body over the limit aborts the transfer") {
  const InfoHash hash = sha1("http client: limit");
  OpenTrackerProcess tracker({hash});
  LoopFixture fx;
  {
    HttpClient client(&fx.loop);
    auto body = fetch(fx, client, announce_url(tracker.http_announce(), hash, 7002), 5s, 10);
    REQUIRE_FALSE(body.ok());
    CHECK(body.error().is(Errc::limit_exceeded));
    CHECK(body.error().message.find("limit of 10 bytes") != std::string::npos);
  }
  CHECK(fx.close() == 0);
}

TEST_CASE("HttpClient: redirects are followed, and the query never shows in errors") {
  const InfoHash hash = sha1("http client: redirect");
  OpenTrackerProcess target({hash});
  // opentracker -r answers "/" with a redirect to the given URL.
  OpenTrackerProcess redirector({}, announce_url(target.http_announce(), hash, 7003));
  LoopFixture fx;
  {
    HttpClient client(&fx.loop);
    auto body = fetch(fx, client, "http://127.0.0.1:" + std::to_string(redirector.tcp_port()) + "/");
    REQUIRE_MESSAGE(body.ok(), body.error().message);
    auto reply = tracker::parse_http_announce_response(*body);
    REQUIRE(reply.ok());
    CHECK_MESSAGE(!reply->failure_reason.has_value(), reply->failure_reason.value_or(""));
  }
  CHECK(fx.close() == 0);
  CHECK(url_without_query("http://t.example/announce?passkey=secret#x") ==
        "http://t.example/announce");
  CHECK(url_without_query("http://t.example/announce") == "http://t.example/announce");
}

TEST_CASE("HttpClient: a closed port is a transport error") {
  LoopFixture fx;
  {
    HttpClient client(&fx.loop);
    const int port = test::free_port(SOCK_STREAM);
    auto body = fetch(fx, client, "http://127.0.0.1:" + std::to_string(port) + "/announce?k=v");
    REQUIRE_FALSE(body.ok());
    CHECK(body.error().is(Errc::io_error));
    CHECK(body.error().message.find("/announce:") != std::string::npos);
    CHECK(body.error().message.find("k=v") == std::string::npos);
  }
  CHECK(fx.close() == 0);
}

TEST_CASE("HttpClient: a server that never answers times out") {
  // Listening without accepting: the kernel completes the handshake, nobody ever writes.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  LoopFixture fx;
  {
    HttpClient client(&fx.loop);
    const auto start = std::chrono::steady_clock::now();
    auto body = fetch(fx, client, "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/",
                      300ms);
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(body.ok());
    CHECK(body.error().is(Errc::io_error));
    CHECK(took >= 250ms);
    CHECK(took < 5s);
  }
  ::close(fd);
  CHECK(fx.close() == 0);
}

TEST_CASE("HttpClient: cancelled requests never call back; get after close fails") {
  const InfoHash hash = sha1("http client: cancel");
  OpenTrackerProcess tracker({hash});
  LoopFixture fx;
  {
    HttpClient client(&fx.loop);
    int calls = 0;
    auto a = client.get(announce_url(tracker.http_announce(), hash, 7004), 5s, kMaxBody,
                        [&](Result<std::string>) { ++calls; });
    auto b = client.get(announce_url(tracker.http_announce(), hash, 7005), 5s, kMaxBody,
                        [&](Result<std::string>) { ++calls; });
    auto c = client.get(announce_url(tracker.http_announce(), hash, 7006), 5s, kMaxBody,
                        [&](Result<std::string>) { calls += 100; });
    REQUIRE((a.ok() && b.ok() && c.ok()));
    CHECK(client.active_requests() == 3);
    client.cancel(*c);
    CHECK(client.active_requests() == 2);
    CHECK(test::run_until(&fx.loop, [&] { return calls == 2; }, 5s));
    CHECK(calls == 2);  // c never called back

    auto d = client.get(announce_url(tracker.http_announce(), hash, 7007), 5s, kMaxBody,
                        [&](Result<std::string>) { calls += 1000; });
    REQUIRE(d.ok());
    client.cancel_all();
    CHECK(client.active_requests() == 0);
    test::run_until(&fx.loop, [] { return false; }, 200ms);
    CHECK(calls == 2);

    client.close();
    auto e = client.get(announce_url(tracker.http_announce(), hash, 7008), 5s, kMaxBody,
                        [](Result<std::string>) {});
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().message.find("closed") != std::string::npos);
  }
  CHECK(fx.close() == 0);
}

TEST_CASE("HttpClient: a callback may destroy the client") {
  const InfoHash hash = sha1("http client: destroy in callback");
  OpenTrackerProcess tracker({hash});
  LoopFixture fx;
  auto client = std::make_unique<HttpClient>(&fx.loop);
  bool called = false;
  auto id = client->get(announce_url(tracker.http_announce(), hash, 7009), 5s, kMaxBody,
                        [&](Result<std::string> body) {
                          called = body.ok();
                          client.reset();
                        });
  REQUIRE(id.ok());
  CHECK(test::run_until(&fx.loop, [&] { return client == nullptr; }));
  CHECK(called);
  CHECK(fx.close() == 0);
}

}  // namespace
}  // namespace btd::daemon
