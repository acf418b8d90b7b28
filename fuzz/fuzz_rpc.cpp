// libFuzzer target: the JSON-RPC path of rpc/ that UnixSocketServer runs for each connection:
// LineFramer splits the bytes into lines and Dispatcher::handle_line answers each one. A few
// dummy methods cover the handler kinds the daemon has (synchronous result or error, an answer
// parked and given later, one that throws, one dropped without an answer).
//
// Checked for every line: handle_line promises an answer exactly when one is sent (once, and
// only once); every answer is one line of valid JSON-RPC 2.0 (a response object, or a non-empty
// array of them, each with an id and exactly one of result/error); a single request's answer
// carries its id, and "echo" gives back its params.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "rpc/dispatcher.hpp"
#include "rpc/line_framer.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

using btd::rpc::Json;

struct Harness {
  btd::rpc::Dispatcher dispatcher;
  std::vector<btd::rpc::Responder> parked;

  Harness() {
    dispatcher.add_sync("echo", [](const Json& p) -> btd::rpc::RpcResult<Json> { return p; });
    dispatcher.add_sync("fail", [](const Json&) -> btd::rpc::RpcResult<Json> {
      return btd::rpc::RpcError(-32001, "no such thing", Json::array({"a", 1}));
    });
    dispatcher.add("later", [this](const Json&, btd::rpc::Responder r) { parked.push_back(std::move(r)); });
    dispatcher.add("throws", [](const Json&, btd::rpc::Responder) { throw std::runtime_error("boom"); });
    dispatcher.add("drops", [](const Json&, btd::rpc::Responder) {});
  }
};

Harness& harness() {
  static Harness h;
  return h;
}

void check_response_object(const Json& r) {
  FUZZ_CHECK(r.is_object());
  FUZZ_CHECK(r.value("jsonrpc", "") == "2.0");
  FUZZ_CHECK(r.contains("id"));
  const Json& id = r["id"];
  FUZZ_CHECK(id.is_string() || id.is_number() || id.is_null());
  FUZZ_CHECK(r.contains("result") != r.contains("error"));
  if (r.contains("error")) {
    const Json& e = r["error"];
    FUZZ_CHECK(e.is_object());
    FUZZ_CHECK(e.contains("code") && e["code"].is_number_integer());
    FUZZ_CHECK(e.contains("message") && e["message"].is_string());
  }
}

// The request as the dispatcher would see it, when it is one well-formed request object.
std::optional<Json> single_request(std::string_view line) {
  // nlohmann's parser stops at a NUL: what it reads is not what the dispatcher must answer.
  if (line.find('\0') != std::string_view::npos) return std::nullopt;
  try {
    Json j = Json::parse(line.begin(), line.end());
    if (!j.is_object() || !j.contains("id") || j.value("jsonrpc", "") != "2.0") return std::nullopt;
    if (!j.contains("method") || !j["method"].is_string()) return std::nullopt;
    const Json& id = j["id"];
    if (!id.is_string() && !id.is_number() && !id.is_null()) return std::nullopt;
    if (j.contains("params") && !j["params"].is_object() && !j["params"].is_array()) return std::nullopt;
    return j;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void handle(std::string_view line) {
  Harness& h = harness();
  std::vector<std::string> sent;
  const bool promised = h.dispatcher.handle_line(line, [&sent](std::string s) { sent.push_back(std::move(s)); });
  // Parked answers arrive after handle_line returned, as torrent.get_piece's do; a second
  // answer on the same responder must be ignored.
  for (const auto& r : h.parked) r.result(Json{{"late", true}});
  for (const auto& r : h.parked) r.error(-32000, "too late");
  h.parked.clear();

  FUZZ_CHECK(sent.size() == (promised ? 1u : 0u));
  if (!promised) return;
  const std::string& out = sent.front();
  FUZZ_CHECK(out.size() >= 2 && out.back() == '\n');
  FUZZ_CHECK(out.find('\n') == out.size() - 1);
  Json response;
  try {
    response = Json::parse(out);
  } catch (const std::exception&) {
    FUZZ_CHECK(!"the response is not valid JSON");
  }
  if (response.is_array()) {
    FUZZ_CHECK(!response.empty());
    for (const Json& r : response) check_response_object(r);
    return;
  }
  check_response_object(response);
  // Invalid JSON text: a raw NUL can be nowhere in it (nor can bytes that are not UTF-8).
  if (line.find('\0') != std::string_view::npos) {
    FUZZ_CHECK(response["id"].is_null() && response.contains("error"));
    FUZZ_CHECK(response["error"]["code"] == -32700);
  }
  if (auto request = single_request(line)) {
    FUZZ_CHECK(response["id"] == (*request)["id"]);
    if ((*request)["method"] == "echo") {
      FUZZ_CHECK(response.contains("result"));
      FUZZ_CHECK(response["result"] == request->value("params", Json::object()));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  btd::rpc::LineFramer framer(4096);
  const auto status = framer.feed(btd::fuzz::as_view(data, size), [](std::string_view line) { handle(line); });
  if (status == btd::rpc::LineFramer::Status::ok) {
    if (auto rest = framer.take_partial()) handle(*rest);
  }
  return 0;
}
