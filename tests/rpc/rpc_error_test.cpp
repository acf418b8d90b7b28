#include "rpc/rpc_error.hpp"

#include <doctest/doctest.h>

#include "rpc/error_codes.hpp"

using namespace btd::rpc;

TEST_CASE("RpcError round-trips through JSON and rejects other shapes") {
  RpcError e(code::piece_out_of_range, "piece index 9 out of range (0..8)", Json{{"pieces", 9}});
  auto back = RpcError::from_json(e.to_json());
  REQUIRE(back.has_value());
  CHECK(back->code == 5);
  CHECK(back->message == e.message);
  CHECK(*back->data == Json{{"pieces", 9}});
  CHECK_FALSE(RpcError::from_json(Json{{"code", "1"}, {"message", "m"}}).has_value());
  CHECK_FALSE(RpcError::from_json(Json{{"code", 1}}).has_value());
  CHECK_FALSE(RpcError::from_json(Json{{"code", 1LL << 40}, {"message", "m"}}).has_value());
}

TEST_CASE("RpcResult holds a value or an error, and converts from what Json accepts") {
  RpcResult<Json> count = 3;
  REQUIRE(count.ok());
  CHECK(*count == 3);
  RpcResult<Json> bad = RpcError(code::timeout, "timed out");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == 4);
}
