#include "core/bencode/decoder.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace btd;
using namespace btd::bencode;

namespace {

std::string decode_error(std::string_view in, const Limits& limits = {}) {
  auto r = decode(in, limits);
  REQUIRE_FALSE(r.ok());
  return r.error().message;
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("decodes scalars") {
  auto d = decode("i-42e");
  REQUIRE(d.ok());
  CHECK(d->root().is_int());
  CHECK(d->root().int_value() == -42);
  auto s = decode("4:spam");
  REQUIRE(s.ok());
  CHECK(s->root().string_value() == "spam");
  auto empty = decode("0:");
  REQUIRE(empty.ok());
  CHECK(empty->root().string_value().empty());
}

TEST_CASE("integers cover the full 64-bit range and no more") {
  CHECK(decode("i9223372036854775807e")->root().int_value() == INT64_MAX);
  CHECK(decode("i-9223372036854775808e")->root().int_value() == INT64_MIN);
  CHECK(contains(decode_error("i9223372036854775808e"), "64 bits"));
  CHECK(contains(decode_error("i-9223372036854775809e"), "64 bits"));
  CHECK(contains(decode_error("i99999999999999999999999999e"), "64 bits"));
}

TEST_CASE("integer syntax rules") {
  CHECK(contains(decode_error("i-0e"), "negative zero"));
  CHECK(contains(decode_error("i03e"), "leading zero"));
  CHECK(contains(decode_error("i-03e"), "leading zero"));
  CHECK(contains(decode_error("ie"), "without digits"));
  CHECK(contains(decode_error("i-e"), "without digits"));
  CHECK(contains(decode_error("i12"), "unterminated integer"));
  CHECK(contains(decode_error("i"), "unterminated integer"));
  CHECK(contains(decode_error("i1x2e"), "invalid character"));
  CHECK(decode("i0e")->root().int_value() == 0);
}

TEST_CASE("string lengths never run past the input") {
  CHECK(contains(decode_error("5:spam"), "runs past the end"));
  CHECK(contains(decode_error("4294967295:x"), "runs past the end"));
  CHECK(contains(decode_error("99999999999999999999:x"), "too large"));
  CHECK(contains(decode_error("04:spam"), "leading zero"));
  CHECK(contains(decode_error("4spam"), "expected ':'"));
}

TEST_CASE("errors report the byte offset") {
  CHECK(contains(decode_error("li1ei2ex"), "at byte 7"));
  CHECK(contains(decode_error("d3:fooi1e"), "unterminated dict"));
  CHECK(contains(decode_error("l"), "unterminated list opened at byte 0"));
  CHECK(contains(decode_error("e"), "unexpected 'e' at byte 0"));
  CHECK(contains(decode_error(""), "empty input"));
}

TEST_CASE("lists and dicts keep children, raw ranges and lookups") {
  const std::string in = "d4:infod6:lengthi5e4:name1:xe3:seqli1ei2eli3eeee";
  auto d = decode(in);
  REQUIRE(d.ok());
  Node root = d->root();
  CHECK(root.is_dict());
  CHECK(root.size() == 2);
  Node info = root.dict_find_dict("info");
  REQUIRE(info);
  CHECK(info.raw() == "d6:lengthi5e4:name1:xe");
  CHECK(info.offset() == 7);
  CHECK(info.dict_find_int("length") == 5);
  CHECK(info.dict_find_string("name") == "x");
  CHECK_FALSE(info.dict_find_string("length").has_value());  // wrong type reads as absent
  CHECK_FALSE(info.dict_find("missing"));
  Node seq = root.dict_find_list("seq");
  REQUIRE(seq);
  CHECK(seq.size() == 3);
  CHECK(seq.list_at(1).int_value() == 2);
  CHECK(seq.list_at(2).list_at(0).int_value() == 3);
  CHECK_FALSE(seq.list_at(3));
  int sum = 0;
  for (Node item : seq.items())
    if (item.is_int()) sum += static_cast<int>(item.int_value());
  CHECK(sum == 3);
  std::string keys;
  for (auto [key, value] : root.entries()) keys += std::string(key) + ",";
  CHECK(keys == "info,seq,");
}

TEST_CASE("strings are views into the input, never copies") {
  const std::string in = "l3:abce";
  auto d = decode(in);
  REQUIRE(d.ok());
  CHECK(d->root().list_at(0).string_value().data() == in.data() + 3);
}

TEST_CASE("dict keys must be strings, sorted and unique unless relaxed") {
  CHECK(contains(decode_error("di1ei2ee"), "key is not a string"));
  CHECK(contains(decode_error("d1:bi1e1:ai2ee"), "not sorted"));
  CHECK(contains(decode_error("d1:ai1e1:ai2ee"), "duplicate dict key \"a\""));
  CHECK(contains(decode_error("d1:ai1ee1:x", {}), "trailing data"));
  CHECK(contains(decode_error("d1:ae"), "key without a value"));
  Limits relaxed;
  relaxed.require_canonical_keys = false;
  auto d = decode("d1:bi1e1:ai2ee", relaxed);
  REQUIRE(d.ok());
  CHECK(d->root().dict_find_int("a") == 2);
  // Keys compare as unsigned bytes: 0xff sorts after 'z'.
  CHECK(decode("d1:zi1e1:\xffi2ee").ok());
}

TEST_CASE("depth limit is enforced without recursion") {
  std::string deep(100, 'l');
  deep += std::string(100, 'e');
  CHECK(decode(deep).ok());
  std::string deeper(101, 'l');
  deeper += std::string(101, 'e');
  CHECK(contains(decode_error(deeper), "nesting deeper than 100"));
  // A million opening brackets fail fast at the limit instead of exhausting the stack.
  CHECK(contains(decode_error(std::string(1'000'000, 'l')), "nesting deeper"));
}

TEST_CASE("token limit is enforced") {
  std::string many = "l";
  for (int i = 0; i < 20; ++i) many += "i1e";
  many += "e";
  Limits small;
  small.max_tokens = 10;
  CHECK(contains(decode_error(many, small), "more than 10 values"));
  CHECK(decode(many).ok());
}

TEST_CASE("trailing data can be allowed and consumed size is reported") {
  Limits lim;
  lim.allow_trailing_data = true;
  auto d = decode("d1:ai1eeRAWDATA", lim);
  REQUIRE(d.ok());
  CHECK(d->consumed() == 8);
}

TEST_CASE("absent nodes are safe to use") {
  Node n;
  CHECK_FALSE(n);
  CHECK(n.raw().empty());
  CHECK(n.size() == 0);
  CHECK_FALSE(n.dict_find("x"));
  CHECK(n.int_value() == 0);
  int count = 0;
  for (Node item : n.items()) { (void)item; ++count; }
  CHECK(count == 0);
}
