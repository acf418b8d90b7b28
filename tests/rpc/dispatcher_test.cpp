#include "rpc/dispatcher.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "rpc/error_codes.hpp"

using namespace btd::rpc;

namespace {

struct Fixture {
  Dispatcher d;
  std::vector<std::string> out;
  std::vector<Responder> parked;  // answered later, like get_piece

  Fixture() {
    d.add_sync("echo", [](const Json& p) -> RpcResult<Json> { return p; });
    d.add_sync("fail", [](const Json&) -> RpcResult<Json> {
      return RpcError(code::torrent_not_found, "torrent not found: abc123", Json::array({"abc1234", "abc1235"}));
    });
    d.add("later", [this](const Json&, Responder r) { parked.push_back(r); });
    d.add("throws", [](const Json&, Responder) { throw std::runtime_error("disk on fire"); });
    d.add("answers_then_throws", [](const Json&, Responder r) {
      r.result("first");
      throw std::runtime_error("ignored");
    });
    d.add("drops", [](const Json&, Responder) {});
    d.add("ctx", [](const Json&, Responder r) { r.result(r.context().connection); });
  }

  bool send(std::string_view line, CallContext ctx = {}) {
    return d.handle_line(line, [this](std::string s) { out.push_back(std::move(s)); }, ctx);
  }

  // Exactly one compact line with a single trailing newline, parsed.
  Json only_response() {
    REQUIRE(out.size() == 1);
    const std::string& s = out.front();
    REQUIRE(!s.empty());
    CHECK(s.back() == '\n');
    CHECK(s.find('\n') == s.size() - 1);
    Json j = Json::parse(s);
    out.clear();
    return j;
  }

  Json call(std::string_view line) {
    CHECK(send(line));
    return only_response();
  }
};

int error_code(const Json& response) { return response.at("error").at("code").get<int>(); }
std::string error_message(const Json& response) { return response.at("error").at("message").get<std::string>(); }

std::string nested_params(std::size_t depth) {
  // params itself is one level, the request object another.
  return R"({"jsonrpc":"2.0","id":1,"method":"echo","params":)" + std::string(depth - 1, '[') +
         std::string(depth - 1, ']') + "}";
}

}  // namespace

TEST_CASE("a request gets its result with the same id, compact on one line") {
  Fixture f;
  CHECK(f.send(R"({"jsonrpc":"2.0","id":7,"method":"echo","params":{"a":[1,2]}})"));
  REQUIRE(f.out.size() == 1);
  CHECK(f.out[0] == "{\"id\":7,\"jsonrpc\":\"2.0\",\"result\":{\"a\":[1,2]}}\n");
  f.out.clear();
  Json r = f.call(R"({"jsonrpc":"2.0","id":"s-1","method":"echo"})");
  CHECK(r["id"] == "s-1");
  CHECK(r["result"] == Json::object());
  CHECK(f.call(R"({"jsonrpc":"2.0","id":null,"method":"echo","params":[]})")["id"].is_null());
}

TEST_CASE("broken JSON and bad UTF-8 get -32700 with id null") {
  Fixture f;
  Json r = f.call(R"({"jsonrpc":"2.0","id":1,"method":"echo")");
  CHECK(error_code(r) == code::parse_error);
  CHECK(r["id"].is_null());
  CHECK(error_message(r).starts_with("parse error"));
  CHECK(error_message(r).find("json.exception") == std::string::npos);
  Json u = f.call("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[\"\xC3\x28\"]}");
  CHECK(error_code(u) == code::parse_error);
  CHECK(error_message(u) == "parse error: invalid UTF-8 at byte 51");
  CHECK(error_code(f.call("\xFF")) == code::parse_error);
  CHECK(error_code(f.call("{} trailing")) == code::parse_error);
}

// Found by fuzz/fuzz_rpc: the JSON parser stopped at the NUL and ran the request before it.
TEST_CASE("a NUL byte anywhere in the line is a parse error, not the end of the request") {
  Fixture f;
  using namespace std::string_literals;
  Json r = f.call("{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"method\":\"echo\"}\r\0\0pc\":}"s);
  CHECK(error_code(r) == code::parse_error);
  CHECK(error_message(r) == "parse error: NUL byte at byte 43");
  CHECK(r["id"].is_null());
  CHECK(error_code(f.call("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\"}\0"s)) == code::parse_error);
  CHECK(error_code(f.call("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ec\0ho\"}"s)) == code::parse_error);
}

TEST_CASE("nesting of 64 levels is accepted, 65 is an invalid request") {
  Fixture f;
  Json ok = f.call(nested_params(64));
  CHECK(ok.contains("result"));
  Json deep = f.call(nested_params(65));
  CHECK(error_code(deep) == code::invalid_request);
  CHECK(error_message(deep).find("64") != std::string::npos);
}

TEST_CASE("non-request shapes get -32600, echoing the id when it is usable") {
  Fixture f;
  auto check = [&](std::string_view line, std::string_view what, Json id) {
    Json r = f.call(line);
    CHECK(error_code(r) == code::invalid_request);
    CHECK(error_message(r).find(what) != std::string::npos);
    CHECK(r["id"] == id);
  };
  check(R"(42)", "request object", nullptr);
  check(R"("x")", "request object", nullptr);
  check(R"({"id":1,"method":"echo"})", "\"jsonrpc\" must be \"2.0\"", 1);
  check(R"({"jsonrpc":"1.0","id":1,"method":"echo"})", "\"jsonrpc\" must be \"2.0\"", 1);
  check(R"({"jsonrpc":"2.0","id":2,"method":5})", "\"method\" must be a string", 2);
  check(R"({"jsonrpc":"2.0","id":3})", "\"method\" must be a string", 3);
  check(R"({"jsonrpc":"2.0","id":{"x":1},"method":"echo"})", "\"id\" must be", nullptr);
  check(R"({"jsonrpc":"2.0","id":[1],"method":"echo"})", "\"id\" must be", nullptr);
  check(R"({"jsonrpc":"2.0","id":4,"method":"echo","params":"p"})", "\"params\" must be", 4);
  check(R"({"jsonrpc":"2.0","id":5,"method":"echo","params":null})", "\"params\" must be", 5);
  // An invalid request is answered even without an id: the sender cannot be a notification.
  check(R"({"jsonrpc":"2.0","method":1})", "\"method\"", nullptr);
}

TEST_CASE("unknown method gets -32601 naming it, cut short when huge") {
  Fixture f;
  Json r = f.call(R"({"jsonrpc":"2.0","id":1,"method":"torrent.nope"})");
  CHECK(error_code(r) == code::method_not_found);
  CHECK(error_message(r) == "method not found: \"torrent.nope\"");
  Json big = f.call(R"({"jsonrpc":"2.0","id":1,"method":")" + std::string(10000, 'm') + "\"}");
  CHECK(error_code(big) == code::method_not_found);
  CHECK(error_message(big).size() < 200);
}

TEST_CASE("application errors carry code, message and data") {
  Fixture f;
  Json r = f.call(R"({"jsonrpc":"2.0","id":9,"method":"fail"})");
  CHECK(r["id"] == 9);
  CHECK(error_code(r) == code::torrent_not_found);
  CHECK(error_message(r) == "torrent not found: abc123");
  CHECK(r["error"]["data"] == Json::array({"abc1234", "abc1235"}));
  CHECK_FALSE(r.contains("result"));
}

TEST_CASE("notifications get no response, but the handler runs") {
  Fixture f;
  CHECK_FALSE(f.send(R"({"jsonrpc":"2.0","method":"later"})"));
  CHECK(f.parked.size() == 1);
  CHECK(f.parked[0].is_notification());
  f.parked[0].result(1);
  CHECK_FALSE(f.send(R"({"jsonrpc":"2.0","method":"no.such.method"})"));
  CHECK_FALSE(f.send(R"({"jsonrpc":"2.0","method":"throws"})"));
  CHECK_FALSE(f.send("   "));
  CHECK(f.out.empty());
}

TEST_CASE("an asynchronous handler answers later, exactly once") {
  Fixture f;
  CHECK(f.send(R"({"jsonrpc":"2.0","id":11,"method":"later"})"));
  CHECK(f.out.empty());
  REQUIRE(f.parked.size() == 1);
  Responder r = f.parked[0];
  CHECK_FALSE(r.answered());
  r.error(code::timeout, "timed out waiting for piece 3");
  CHECK(r.answered());
  r.result("too late");
  f.parked[0].error(code::internal_error, "also too late");
  Json j = f.only_response();
  CHECK(j["id"] == 11);
  CHECK(error_code(j) == code::timeout);
}

TEST_CASE("handler exceptions become -32603; an answer given before the throw stands") {
  Fixture f;
  Json r = f.call(R"({"jsonrpc":"2.0","id":1,"method":"throws"})");
  CHECK(error_code(r) == code::internal_error);
  CHECK(error_message(r) == "internal error: disk on fire");
  Json a = f.call(R"({"jsonrpc":"2.0","id":2,"method":"answers_then_throws"})");
  CHECK(a["result"] == "first");
}

TEST_CASE("a handler that drops its responder still produces an answer") {
  Fixture f;
  Json r = f.call(R"({"jsonrpc":"2.0","id":3,"method":"drops"})");
  CHECK(r["id"] == 3);
  CHECK(error_code(r) == code::internal_error);
}

TEST_CASE("a default responder is inert") {
  Responder r;
  CHECK(r.answered());
  r.result(1);
  r.error(code::internal_error, "x");
  CHECK(r.context().connection == 0);
}

TEST_CASE("the call context reaches the handler") {
  Fixture f;
  CHECK(f.send(R"({"jsonrpc":"2.0","id":1,"method":"ctx"})", CallContext{42}));
  CHECK(f.only_response()["result"] == 42);
}

TEST_CASE("a batch answers in request order with one line, after the last answer") {
  Fixture f;
  CHECK(f.send(R"([{"jsonrpc":"2.0","id":1,"method":"later"},)"
               R"({"jsonrpc":"2.0","method":"echo"},)"
               R"({"jsonrpc":"2.0","id":2,"method":"echo","params":["b"]},)"
               R"(17,)"
               R"({"jsonrpc":"2.0","id":3,"method":"missing"},)"
               R"({"jsonrpc":"2.0","id":4,"method":"later"}])"));
  CHECK(f.out.empty());
  REQUIRE(f.parked.size() == 2);
  f.parked[1].result("fourth");
  CHECK(f.out.empty());
  f.parked[0].result("first");
  Json r = f.only_response();
  REQUIRE(r.is_array());
  REQUIRE(r.size() == 5);
  CHECK(r[0]["id"] == 1);
  CHECK(r[0]["result"] == "first");
  CHECK(r[1]["id"] == 2);
  CHECK(r[1]["result"] == Json::array({"b"}));
  CHECK(r[2]["id"].is_null());
  CHECK(error_code(r[2]) == code::invalid_request);
  CHECK(r[3]["id"] == 3);
  CHECK(error_code(r[3]) == code::method_not_found);
  CHECK(r[4]["id"] == 4);
  CHECK(r[4]["result"] == "fourth");
}

TEST_CASE("an empty batch is one -32600; a batch of notifications sends nothing") {
  Fixture f;
  Json r = f.call("[]");
  CHECK(r.is_object());
  CHECK(error_code(r) == code::invalid_request);
  CHECK_FALSE(f.send(R"([{"jsonrpc":"2.0","method":"later"},{"jsonrpc":"2.0","method":"echo"}])"));
  CHECK(f.parked.size() == 1);
  f.parked[0].result(1);
  CHECK(f.out.empty());
}

TEST_CASE("a batch of invalid elements answers each one") {
  Fixture f;
  Json r = f.call("[1,2,3]");
  REQUIRE(r.is_array());
  REQUIRE(r.size() == 3);
  for (const auto& e : r) CHECK(error_code(e) == code::invalid_request);
}

TEST_CASE("strings that are not valid UTF-8 in a result are sent with replacement characters") {
  Dispatcher d;
  d.add_sync("name", [](const Json&) -> RpcResult<Json> { return Json(std::string("bad\xFFname")); });
  std::vector<std::string> out;
  CHECK(d.handle_line(R"({"jsonrpc":"2.0","id":1,"method":"name"})", [&](std::string s) { out.push_back(s); }));
  REQUIRE(out.size() == 1);
  CHECK(Json::parse(out[0])["result"] == "bad\xEF\xBF\xBDname");
}
