// A real server on a uv loop in a temp dir, driven by the blocking client on another thread. Each
// test ends by closing the server and checking that the loop closes cleanly.
#include "rpc/server.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "rpc/client.hpp"
#include "rpc/error_codes.hpp"

using namespace btd::rpc;
using namespace std::chrono_literals;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/btd-rpc-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

struct Loop {
  uv_loop_t loop{};
  Loop() { REQUIRE(uv_loop_init(&loop) == 0); }
  ~Loop() { uv_loop_close(&loop); }
  int close() {
    uv_run(&loop, UV_RUN_DEFAULT);
    return uv_loop_close(&loop);
  }
};

// Runs the loop here while `client` runs on a thread; when the client is done the server closes
// (on the loop thread) and the loop runs out of handles.
void run_with_client(uv_loop_t* loop, UnixSocketServer& server, const std::function<void()>& client) {
  uv_async_t done{};
  done.data = &server;
  REQUIRE(uv_async_init(loop, &done, [](uv_async_t* a) {
            static_cast<UnixSocketServer*>(a->data)->close();
            uv_close(reinterpret_cast<uv_handle_t*>(a), nullptr);
          }) == 0);
  std::thread t([&] {
    client();
    uv_async_send(&done);
  });
  uv_run(loop, UV_RUN_DEFAULT);
  t.join();
}

void add_echo(Dispatcher& d) {
  d.add_sync("echo", [](const Json& p) -> RpcResult<Json> { return p; });
}

bool send_raw(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads up to `count` lines (or until EOF/timeout) from a raw fd.
std::vector<std::string> read_lines(int fd, std::size_t count, bool* eof = nullptr) {
  std::vector<std::string> lines;
  std::string buf;
  char chunk[65536];
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (lines.size() < count && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      if (eof) *eof = true;
      break;
    }
    buf.append(chunk, static_cast<std::size_t>(n));
    for (auto nl = buf.find('\n'); nl != std::string::npos; nl = buf.find('\n')) {
      lines.push_back(buf.substr(0, nl));
      buf.erase(0, nl + 1);
    }
  }
  return lines;
}

std::string request(int id, std::string_view method) {
  return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + std::string(method) + "\"}\n";
}

}  // namespace

TEST_CASE("server answers echo, a batch and an unknown method; socket mode 0660, new dir 0700") {
  TempDir tmp;
  Loop loop;
  Dispatcher d;
  add_echo(d);
  UnixSocketServer server(&loop.loop, d);
  std::string path = tmp.path + "/run/btd/rpc.sock";
  auto r = server.listen(path);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));

  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0660);
  REQUIRE(::stat((tmp.path + "/run/btd").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  std::optional<Json> echoed, batch;
  std::optional<RpcError> unknown;
  std::string crlf;
  run_with_client(&loop.loop, server, [&] {
    auto c = Client::connect(path, {.timeout = 5000ms});
    if (!c) return;
    if (auto e = c->call("echo", Json{{"x", 1}}); e && e->ok()) echoed = **e;
    if (auto raw = c->roundtrip_raw(R"([{"jsonrpc":"2.0","id":1,"method":"echo","params":[1]},)"
                                    R"({"jsonrpc":"2.0","id":2,"method":"nope"}])")) {
      batch = Json::parse(*raw);
    }
    if (auto e = c->call("torrent.nope"); e && !e->ok()) unknown = e->error();
    if (auto raw = c->roundtrip_raw("{\"jsonrpc\":\"2.0\",\"id\":\"w\",\"method\":\"echo\"}\r\n")) crlf = *raw;
  });
  REQUIRE(echoed.has_value());
  CHECK(*echoed == Json{{"x", 1}});
  REQUIRE(batch.has_value());
  REQUIRE(batch->size() == 2);
  CHECK((*batch)[0]["result"] == Json::array({1}));
  CHECK((*batch)[1]["error"]["code"] == code::method_not_found);
  REQUIRE(unknown.has_value());
  CHECK(unknown->code == code::method_not_found);
  CHECK(unknown->message == "method not found: \"torrent.nope\"");
  CHECK(crlf == R"({"id":"w","jsonrpc":"2.0","result":{}})");
  CHECK_FALSE(std::filesystem::exists(path));  // close() removed its socket
  CHECK(loop.close() == 0);
}

TEST_CASE("a stale socket is replaced, a live one and a non-socket are refused") {
  TempDir tmp;
  Loop loop;
  Dispatcher d;
  add_echo(d);
  std::string path = tmp.path + "/rpc.sock";
  {
    // What a crashed daemon leaves behind: a socket file nobody listens on.
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    ::close(fd);
  }
  UnixSocketServer first(&loop.loop, d);
  auto r = first.listen(path);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));

  UnixSocketServer second(&loop.loop, d);
  auto again = second.listen(path);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().message == "another btd is already listening on " + path);
  CHECK(again.error().is(btd::Errc::io_error));

  std::string file = tmp.path + "/not-a-socket";
  std::ofstream(file) << "precious";
  auto refused = second.listen(file);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message.find(file + " exists and is not a socket") == 0);
  CHECK(std::filesystem::file_size(file) == 8);

  // A symlink planted at the socket path (to a stale socket, or to a file it would clobber)
  // is neither followed nor removed.
  std::string link = tmp.path + "/planted.sock";
  REQUIRE(::symlink(file.c_str(), link.c_str()) == 0);
  auto planted = second.listen(link);
  REQUIRE_FALSE(planted.ok());
  CHECK(planted.error().message.find("is not a socket") != std::string::npos);
  CHECK(std::filesystem::is_symlink(link));
  CHECK(std::filesystem::file_size(file) == 8);

  auto too_long = second.listen(tmp.path + "/" + std::string(200, 'x'));
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.error().message.find("too long") != std::string::npos);

  // The first server still serves.
  std::optional<Json> echoed;
  run_with_client(&loop.loop, first, [&] {
    auto c = Client::connect(path, {.timeout = 5000ms});
    if (c) {
      if (auto e = c->call("echo", Json{{"still", "here"}}); e && e->ok()) echoed = **e;
    }
  });
  CHECK(echoed == Json{{"still", "here"}});
  second.close();
  CHECK(loop.close() == 0);
}

TEST_CASE("a client that disconnects mid-request does not disturb the server") {
  TempDir tmp;
  Loop loop;
  Dispatcher d;
  add_echo(d);
  std::vector<Responder> parked;
  int disconnects = 0;
  d.add("slow", [&](const Json&, Responder r) { parked.push_back(r); });
  d.add_sync("disconnects", [&](const Json&) -> RpcResult<Json> { return disconnects; });
  ServerOptions opts;
  opts.on_disconnect = [&](std::uint64_t) {
    ++disconnects;
    for (auto& p : parked) p.result("for nobody");  // the connection is gone: a no-op
  };
  UnixSocketServer server(&loop.loop, d, opts);
  std::string path = tmp.path + "/rpc.sock";
  REQUIRE(server.listen(path).ok());

  int seen = 0;
  std::optional<Json> echoed;
  run_with_client(&loop.loop, server, [&] {
    {
      auto c1 = Client::connect(path);
      if (!c1) return;
      send_raw(c1->fd(), request(1, "slow"));
      send_raw(c1->fd(), R"({"jsonrpc":"2.0","id":2,"method":"echo","params":[)");  // half a request
    }
    auto c2 = Client::connect(path, {.timeout = 5000ms});
    if (!c2) return;
    for (int i = 0; i < 500 && seen == 0; ++i) {
      auto n = c2->call("disconnects");
      if (!n || !n->ok()) return;
      seen = (*n)->get<int>();
      if (seen == 0) std::this_thread::sleep_for(10ms);
    }
    if (auto e = c2->call("echo", Json::array({"ok"})); e && e->ok()) echoed = **e;
  });
  CHECK(seen == 1);
  CHECK(parked.size() == 1);
  CHECK(echoed == Json::array({"ok"}));
  parked.clear();  // dropping an unanswerable responder is harmless too
  CHECK(loop.close() == 0);
}

TEST_CASE("responses on one connection keep request order when an earlier one answers later") {
  TempDir tmp;
  Loop loop;
  Dispatcher d;
  add_echo(d);
  std::vector<Responder> parked;
  d.add("later", [&](const Json&, Responder r) { parked.push_back(r); });
  d.add_sync("release", [&](const Json&) -> RpcResult<Json> {
    for (auto& p : parked) p.result("released");
    return static_cast<int>(parked.size());
  });
  UnixSocketServer server(&loop.loop, d);
  std::string path = tmp.path + "/rpc.sock";
  REQUIRE(server.listen(path).ok());

  std::vector<std::string> lines;
  bool early = false;
  run_with_client(&loop.loop, server, [&] {
    auto c1 = Client::connect(path);
    if (!c1) return;
    send_raw(c1->fd(), request(1, "later") + request(2, "echo") +
                           R"({"jsonrpc":"2.0","method":"echo"})" + "\n" + request(3, "echo"));
    // Nothing may arrive while request 1 is unanswered.
    pollfd p{c1->fd(), POLLIN, 0};
    early = ::poll(&p, 1, 200) > 0;
    auto c2 = Client::connect(path, {.timeout = 5000ms});
    if (!c2) return;
    (void)c2->call("release");
    lines = read_lines(c1->fd(), 3);
  });
  CHECK_FALSE(early);
  REQUIRE(lines.size() == 3);
  CHECK(Json::parse(lines[0])["id"] == 1);
  CHECK(Json::parse(lines[0])["result"] == "released");
  CHECK(Json::parse(lines[1])["id"] == 2);
  CHECK(Json::parse(lines[2])["id"] == 3);
  CHECK(loop.close() == 0);
}

TEST_CASE("an oversized request line gets -32600 and its connection is closed, others go on") {
  TempDir tmp;
  Loop loop;
  Dispatcher d;
  add_echo(d);
  ServerOptions opts;
  opts.max_request_bytes = 1024;
  UnixSocketServer server(&loop.loop, d, opts);
  std::string path = tmp.path + "/rpc.sock";
  REQUIRE(server.listen(path).ok());

  std::vector<std::string> lines;
  bool eof = false;
  std::optional<Json> echoed;
  run_with_client(&loop.loop, server, [&] {
    auto c1 = Client::connect(path);
    auto c2 = Client::connect(path, {.timeout = 5000ms});
    if (!c1 || !c2) return;
    send_raw(c1->fd(), request(1, "echo") + std::string(5000, ' '));
    lines = read_lines(c1->fd(), 3, &eof);
    if (auto e = c2->call("echo", Json::array({5})); e && e->ok()) echoed = **e;
  });
  REQUIRE(lines.size() == 2);
  CHECK(Json::parse(lines[0])["id"] == 1);
  CHECK(Json::parse(lines[1])["error"]["code"] == code::invalid_request);
  CHECK(Json::parse(lines[1])["error"]["message"] ==
        "invalid request: request line exceeds 1024 bytes (rpc.max_request_bytes)");
  CHECK(eof);
  CHECK(echoed == Json::array({5}));
  CHECK(loop.close() == 0);
}

TEST_CASE("a client that half-closes after its request still gets the answer (printf | socat)") {
  TempDir tmp;
  Loop loop;
  Dispatcher d;
  add_echo(d);
  UnixSocketServer server(&loop.loop, d);
  std::string path = tmp.path + "/rpc.sock";
  REQUIRE(server.listen(path).ok());
  std::vector<std::string> lines;
  bool eof = false;
  run_with_client(&loop.loop, server, [&] {
    auto c = Client::connect(path);
    if (!c) return;
    // The last request has no newline: it is taken as a line at end of stream.
    send_raw(c->fd(), request(1, "echo") + R"({"jsonrpc":"2.0","id":2,"method":"echo"})");
    ::shutdown(c->fd(), SHUT_WR);
    lines = read_lines(c->fd(), 3, &eof);
  });
  REQUIRE(lines.size() == 2);
  CHECK(Json::parse(lines[1])["id"] == 2);
  CHECK(eof);
  CHECK(loop.close() == 0);
}

TEST_CASE("a client that does not read is paused, then resumed in order; past the hard cap it is dropped") {
  TempDir tmp;
  Loop loop;
  Dispatcher d;
  add_echo(d);
  const std::string big(100 * 1024, 'b');
  d.add_sync("big", [&](const Json&) -> RpcResult<Json> { return big; });
  int disconnects = 0;
  ServerOptions opts;
  opts.write_soft_limit = 1024;
  opts.on_disconnect = [&](std::uint64_t) { ++disconnects; };
  std::string path = tmp.path + "/rpc.sock";

  SUBCASE("paused and resumed") {
    UnixSocketServer server(&loop.loop, d, opts);
    REQUIRE(server.listen(path).ok());
    std::vector<std::string> lines;
    std::optional<Json> echoed;
    run_with_client(&loop.loop, server, [&] {
      auto c = Client::connect(path, {.timeout = 5000ms});
      if (!c) return;
      std::string many;
      for (int i = 1; i <= 40; ++i) many += request(i, "big");
      send_raw(c->fd(), many);
      std::this_thread::sleep_for(200ms);
      lines = read_lines(c->fd(), 40);
      if (auto e = c->call("echo", Json::array({"after"})); e && e->ok()) echoed = **e;
    });
    REQUIRE(lines.size() == 40);
    for (int i = 0; i < 40; ++i) CHECK(Json::parse(lines[static_cast<std::size_t>(i)])["id"] == i + 1);
    CHECK(echoed == Json::array({"after"}));
    CHECK(disconnects == 1);  // only by close()
  }
  SUBCASE("dropped past the hard cap") {
    opts.write_hard_limit = 4096;
    UnixSocketServer server(&loop.loop, d, opts);
    REQUIRE(server.listen(path).ok());
    std::size_t got = 0;
    bool eof = false;
    int dropped_before_close = -1;
    std::optional<Json> echoed;
    run_with_client(&loop.loop, server, [&] {
      auto c = Client::connect(path);
      if (!c) return;
      std::string many;
      for (int i = 1; i <= 50; ++i) many += request(i, "big");
      send_raw(c->fd(), many);
      std::this_thread::sleep_for(200ms);
      got = read_lines(c->fd(), 50, &eof).size();
      auto c2 = Client::connect(path, {.timeout = 5000ms});
      if (!c2) return;
      if (auto e = c2->call("echo", Json::array({1})); e && e->ok()) echoed = **e;
    });
    dropped_before_close = disconnects;
    CHECK(got < 50);
    CHECK(eof);
    CHECK(echoed == Json::array({1}));
    CHECK(dropped_before_close == 2);  // the non-reader, then c2 at close()
  }
  CHECK(loop.close() == 0);
}

TEST_CASE("notifications are pushed to a connection by id") {
  TempDir tmp;
  Loop loop;
  Dispatcher d;
  UnixSocketServer* srv = nullptr;
  std::uint64_t subscriber = 0;
  bool to_unknown = true;
  d.add("events.subscribe", [&](const Json&, Responder r) {
    subscriber = r.context().connection;
    r.result(Json{{"subscribed", {"torrent.added"}}});
  });
  d.add_sync("fire", [&](const Json&) -> RpcResult<Json> {
    to_unknown = srv->notify(987654, "torrent.added", Json::object());
    return srv->notify(subscriber, "torrent.added", Json{{"seq", 1}, {"id", "abcdef"}});
  });
  UnixSocketServer server(&loop.loop, d);
  srv = &server;
  std::string path = tmp.path + "/rpc.sock";
  REQUIRE(server.listen(path).ok());
  std::optional<Json> note;
  bool fired = false;
  run_with_client(&loop.loop, server, [&] {
    auto c1 = Client::connect(path, {.timeout = 5000ms});
    auto c2 = Client::connect(path, {.timeout = 5000ms});
    if (!c1 || !c2) return;
    if (auto s = c1->call("events.subscribe"); !s || !s->ok()) return;
    if (auto f = c2->call("fire"); f && f->ok()) fired = (*f)->get<bool>();
    if (auto n = c1->next_notification()) note = *n;
  });
  CHECK(subscriber != 0);
  CHECK(fired);
  CHECK_FALSE(to_unknown);
  REQUIRE(note.has_value());
  CHECK((*note)["method"] == "torrent.added");
  CHECK((*note)["params"]["seq"] == 1);
  CHECK_FALSE(note->contains("id"));
  CHECK(loop.close() == 0);
}

TEST_CASE("listen_fd serves an already listening socket (socket activation)") {
  TempDir tmp;
  Loop loop;
  Dispatcher d;
  add_echo(d);
  std::string path = tmp.path + "/activated.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  UnixSocketServer server(&loop.loop, d);
  REQUIRE(server.listen_fd(fd).ok());
  std::optional<Json> echoed;
  run_with_client(&loop.loop, server, [&] {
    auto c = Client::connect(path, {.timeout = 5000ms});
    if (c) {
      if (auto e = c->call("echo", Json::array({"fd"})); e && e->ok()) echoed = **e;
    }
  });
  CHECK(echoed == Json::array({"fd"}));
  CHECK(std::filesystem::exists(path));  // not ours to remove: systemd owns it
  CHECK(loop.close() == 0);
}
