#include "rpc/params.hpp"

#include <doctest/doctest.h>

#include "rpc/error_codes.hpp"

using namespace btd::rpc;

namespace {

template <class T>
std::string message_of(const RpcResult<T>& r) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == code::invalid_params);
  return r.error().message;
}

}  // namespace

TEST_CASE("required integers: present, missing, wrong type, negative, fractional, bounded") {
  Json p = Json::parse(R"({"index":3,"neg":-1,"frac":1.5,"whole":2.0,"str":"3","big":18446744073709551615})");
  CHECK(*params::require_uint(p, "index") == 3);
  CHECK(*params::require_uint(p, "big") == UINT64_MAX);
  CHECK(message_of(params::require_uint(p, "nope")) == "invalid params: missing required parameter \"nope\"");
  CHECK(message_of(params::require_uint(p, "neg")) == "invalid params: \"neg\" must be a non-negative integer");
  CHECK(message_of(params::require_uint(p, "frac")) == "invalid params: \"frac\" must be a non-negative integer");
  CHECK(message_of(params::require_uint(p, "whole")) == "invalid params: \"whole\" must be a non-negative integer");
  CHECK(message_of(params::require_uint(p, "str")) == "invalid params: \"str\" must be a non-negative integer");
  CHECK(message_of(params::require_uint(p, "index", 2)) == "invalid params: \"index\" must be an integer from 0 to 2");
  CHECK(*params::require_uint(p, "index", 3) == 3);
}

TEST_CASE("optional params: absent and null give the default, wrong types are errors") {
  Json p = Json::parse(R"({"timeout_ms":null,"paused":true,"dir":"/srv","flag":1})");
  CHECK_FALSE(params::optional_uint(p, "timeout_ms")->has_value());
  CHECK_FALSE(params::optional_uint(p, "offset")->has_value());
  CHECK(*params::optional_bool(p, "paused", false) == true);
  CHECK(*params::optional_bool(p, "delete_data", false) == false);
  CHECK(message_of(params::optional_bool(p, "flag", false)) == "invalid params: \"flag\" must be a boolean");
  CHECK(**params::optional_string(p, "dir") == "/srv");
  CHECK(message_of(params::optional_string(p, "flag")) == "invalid params: \"flag\" must be a string");
  CHECK(message_of(params::require_string(p, "id")) == "invalid params: missing required parameter \"id\"");
}

TEST_CASE("string arrays and string-or-array") {
  Json p = Json::parse(R"({"peers":["1.2.3.4:5","[::1]:6"],"bad":["x",1],"id":"abcdef","ids":["a","b"]})");
  CHECK(*params::require_string_array(p, "peers") == std::vector<std::string>{"1.2.3.4:5", "[::1]:6"});
  CHECK(message_of(params::require_string_array(p, "bad")) == "invalid params: \"bad\" must be an array of strings");
  CHECK(message_of(params::require_string_array(p, "id")) == "invalid params: \"id\" must be an array of strings");
  CHECK(**params::optional_string_or_array(p, "id") == std::vector<std::string>{"abcdef"});
  CHECK(**params::optional_string_or_array(p, "ids") == std::vector<std::string>{"a", "b"});
  CHECK(message_of(params::optional_string_or_array(p, "bad")) ==
        "invalid params: \"bad\" must be a string or an array of strings");
  CHECK_FALSE(params::optional_string_array(p, "none")->has_value());
}

TEST_CASE("positional params are refused with a message, an empty array means none") {
  Json positional = Json::array({"abc", 1});
  CHECK(message_of(params::require_string(positional, "id")) ==
        "invalid params: expected named parameters (an object), got array");
  CHECK(message_of(params::require_uint(Json::array(), "index")) == "invalid params: missing required parameter \"index\"");
  CHECK_FALSE(params::check_known(Json::array(), {"id"}).has_value());
}

TEST_CASE("unknown parameters are named") {
  Json p = Json::parse(R"({"id":"abcdef","delete-data":true})");
  auto e = params::check_known(p, {"id", "delete_data"});
  REQUIRE(e.has_value());
  CHECK(e->code == code::invalid_params);
  CHECK(e->message == "invalid params: unknown parameter \"delete-data\"");
  CHECK_FALSE(params::check_known(Json::parse(R"({"id":"x"})"), {"id", "delete_data"}).has_value());
}
