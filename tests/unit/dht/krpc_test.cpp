#include "core/dht/krpc.hpp"

#include <doctest/doctest.h>

#include "dht_test_util.hpp"

using namespace btd;
using namespace btd::dht;
using namespace btd::dht::test;

namespace {

std::string parse_error(std::string_view packet) {
  auto r = parse_krpc(packet);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(Errc::protocol_error));
  return r.error().message;
}

const std::string kId = "abcdefghij0123456789";
const std::string kOther = "mnopqrstuvwxyz123456";

}  // namespace

// The examples of BEP 5, byte for byte.
TEST_CASE("KRPC: BEP 5 ping query and response") {
  auto q = parse_krpc("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");
  REQUIRE(q.ok());
  CHECK(q->type == KrpcType::query);
  CHECK(q->method == Method::ping);
  CHECK(q->transaction == "aa");
  CHECK(q->id.view() == kId);
  CHECK(encode_krpc(*q) == "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");

  auto r = parse_krpc("d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re");
  REQUIRE(r.ok());
  CHECK(r->type == KrpcType::response);
  CHECK(r->id.view() == kOther);
  CHECK(encode_krpc(make_response("aa", *NodeId::from_bytes(kOther))) ==
        "d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re");
}

TEST_CASE("KRPC: BEP 5 error") {
  auto e = parse_krpc("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee");
  REQUIRE(e.ok());
  CHECK(e->type == KrpcType::error);
  CHECK(e->error_code == 201);
  CHECK(e->error_message == "A Generic Error Ocurred");
  CHECK(encode_krpc(make_error("aa", 201, "A Generic Error Ocurred")) ==
        "d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee");
}

TEST_CASE("KRPC: BEP 5 find_node and get_peers queries") {
  auto f = parse_krpc("d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe");
  REQUIRE(f.ok());
  CHECK(f->method == Method::find_node);
  CHECK(f->target.view() == kOther);
  KrpcMessage m = make_query(Method::find_node, "aa", *NodeId::from_bytes(kId));
  m.target = *NodeId::from_bytes(kOther);
  CHECK(encode_krpc(m) == "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:aa1:y1:qe");

  auto g = parse_krpc("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:aa1:y1:qe");
  REQUIRE(g.ok());
  CHECK(g->method == Method::get_peers);
  CHECK(g->info_hash.view() == kOther);
}

TEST_CASE("KRPC: BEP 5 announce_peer, with and without implied_port") {
  const std::string text =
      "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:"
      "aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe";
  auto a = parse_krpc(text);
  REQUIRE(a.ok());
  CHECK(a->method == Method::announce_peer);
  CHECK(a->implied_port);
  CHECK(a->port == 6881);
  CHECK(a->token == "aoeusnth");
  CHECK(encode_krpc(*a) == text);

  // implied_port 0 needs a real port.
  CHECK(parse_error("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti0e5:token1:xe1:q13:"
                    "announce_peer1:t2:aa1:y1:qe")
            .find("port") != std::string::npos);
  CHECK(parse_error("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti65536e5:token1:xe1:q13:"
                    "announce_peer1:t2:aa1:y1:qe")
            .find("port") != std::string::npos);
  CHECK(parse_error("d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz1234564:porti1ee1:q13:"
                    "announce_peer1:t2:aa1:y1:qe")
            .find("token") != std::string::npos);
}

TEST_CASE("KRPC: get_peers responses with values, nodes and a token round-trip") {
  KrpcMessage r = make_response("xy", *NodeId::from_bytes(kId));
  r.has_token = true;
  r.token = "tok";
  r.values = {addr(1, 2, 3, 4, 0x1ae1), addr(5, 6, 7, 8, 80)};
  r.nodes = {{*NodeId::from_bytes(kOther), addr(9, 9, 9, 9, 6881)}};
  r.your_ip = addr(127, 0, 0, 1, 1234);
  const std::string bytes = encode_krpc(r);
  // BEP 5's layout: values are a list of 6-byte strings, nodes one string of 26-byte entries.
  CHECK(bytes.find("6:values" "l6:\x01\x02\x03\x04\x1a\xe1" "6:\x05\x06\x07\x08\x00\x50" "e") != std::string::npos);
  CHECK(bytes.find("5:nodes26:" + kOther + "\x09\x09\x09\x09\x1a\xe1") != std::string::npos);
  auto back = parse_krpc(bytes);
  REQUIRE(back.ok());
  CHECK(back->has_token);
  CHECK(back->token == "tok");
  CHECK(back->values == r.values);
  CHECK(back->nodes == r.nodes);
  REQUIRE(back->your_ip);
  CHECK(*back->your_ip == addr(127, 0, 0, 1, 1234));
}

TEST_CASE("KRPC: hostile sizes and types are refused with the field named") {
  CHECK(parse_error(std::string(5000, 'd')).find("4096") != std::string::npos);
  CHECK(parse_error("le").find("not a dictionary") != std::string::npos);
  CHECK(parse_error("garbage").find("KRPC") != std::string::npos);
  CHECK(parse_error("d1:y1:qe").find("\"t\"") != std::string::npos);
  CHECK(parse_error("d1:t17:aaaaaaaaaaaaaaaaa1:y1:qe").find("16 bytes") != std::string::npos);
  CHECK(parse_error("d1:t2:aa1:y1:xe").find("\"y\"") != std::string::npos);
  CHECK(parse_error("d1:t2:aa1:y1:qe").find("\"q\"") != std::string::npos);
  CHECK(parse_error("d1:q4:ping1:t2:aa1:y1:qe").find("\"a\"") != std::string::npos);
  CHECK(parse_error("d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe").find("19 bytes") != std::string::npos);
  CHECK(parse_error("d1:ad2:idi5ee1:q4:ping1:t2:aa1:y1:qe").find("\"id\"") != std::string::npos);
  CHECK(parse_error("d1:ad2:id20:abcdefghij0123456789e1:q9:find_node1:t2:aa1:y1:qe").find("target") !=
        std::string::npos);
  CHECK(parse_error("d1:rd2:id20:abcdefghij01234567895:nodes25:" + std::string(25, 'n') + "e1:t2:aa1:y1:re")
            .find("multiple of 26") != std::string::npos);
  CHECK(parse_error("d1:rd2:id20:abcdefghij01234567895:token65:" + std::string(65, 'k') + "e1:t2:aa1:y1:re")
            .find("64 bytes") != std::string::npos);
  CHECK(parse_error("d1:eli201ee1:t2:aa1:y1:ee").find("[code, message]") != std::string::npos);
  // Nesting deeper than KRPC ever goes.
  CHECK_FALSE(parse_krpc("d1:ad2:idlllllleeeeeee1:q4:ping1:t2:aa1:y1:qe").ok());
}

TEST_CASE("KRPC: long lists are read up to their limits; odd values are skipped") {
  std::string nodes;
  for (int i = 0; i < 40; ++i) {
    nodes += std::string(20, static_cast<char>('a' + i % 26));
    nodes += std::string("\x0a\x00\x00\x01\x00\x50", 6);
  }
  std::string values;
  for (int i = 0; i < 300; ++i) values += std::string("6:\x01\x01\x01\x01\x00\x51", 8);
  values += "18:" + std::string(18, 'x');  // an IPv6 entry
  values += "i5e";                          // not even a string
  const std::string packet = "d1:rd2:id20:abcdefghij01234567895:nodes" + std::to_string(nodes.size()) + ":" + nodes +
                             "6:valuesl" + values + "ee1:t2:aa1:y1:re";
  REQUIRE(packet.size() <= kMaxPacketSize);
  auto r = parse_krpc(packet);
  REQUIRE(r.ok());
  CHECK(r->nodes.size() == kMaxNodesPerMessage);
  CHECK(r->values.size() == kMaxValuesPerMessage);
}

TEST_CASE("KRPC: unknown methods parse (for a 204 answer) and unknown keys are ignored") {
  auto q = parse_krpc("d1:ad2:id20:abcdefghij01234567893:fooi1ee1:q8:vote_foo1:t1:z1:v4:LT011:y1:qe");
  REQUIRE(q.ok());
  CHECK(q->method == Method::unknown);
  CHECK(q->method_text == "vote_foo");
  auto ro = parse_krpc("d1:ad2:id20:abcdefghij0123456789e1:q4:ping2:roi1e1:t2:aa1:y1:qe");
  REQUIRE(ro.ok());
  CHECK(ro->read_only);
}
