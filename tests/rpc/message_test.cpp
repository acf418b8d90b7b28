#include "rpc/message.hpp"

#include <doctest/doctest.h>

#include "rpc/error_codes.hpp"

using namespace btd::rpc;

TEST_CASE("notification lines are compact, one line, no id") {
  std::string line = notification_line("torrent.added", Json{{"seq", 1}, {"id", "ab"}, {"name", "a\nb"}});
  CHECK(line == "{\"jsonrpc\":\"2.0\",\"method\":\"torrent.added\",\"params\":{\"id\":\"ab\",\"name\":\"a\\nb\",\"seq\":1}}\n");
}

TEST_CASE("error lines carry data only when present") {
  CHECK(error_response_line(nullptr, RpcError(code::parse_error, "parse error")) ==
        "{\"error\":{\"code\":-32700,\"message\":\"parse error\"},\"id\":null,\"jsonrpc\":\"2.0\"}\n");
  std::string with = error_response_line(5, RpcError(code::torrent_not_found, "torrent not found", Json::array({"x"})));
  CHECK(Json::parse(with)["error"]["data"] == Json::array({"x"}));
}
