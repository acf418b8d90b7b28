#include "core/dht/dht_state.hpp"

#include <doctest/doctest.h>

#include "dht_test_util.hpp"

using namespace btd;
using namespace btd::dht;
using namespace btd::dht::test;

TEST_CASE("DHT state: id and nodes round-trip in a bencoded dict") {
  DhtState s;
  s.id = id_of(0xaa, 0x01);
  s.nodes = {{id_of(0x10), addr(127, 0, 0, 1, 6881)}, {id_of(0x20), addr(10, 0, 0, 2, 51413)}};
  const std::string bytes = encode_dht_state(s);
  CHECK(bytes.rfind("d2:id20:", 0) == 0);
  CHECK(bytes.find("5:nodes52:") != std::string::npos);
  auto back = parse_dht_state(bytes);
  REQUIRE(back.ok());
  CHECK(back->id == s.id);
  CHECK(back->nodes == s.nodes);
}

TEST_CASE("DHT state: damaged files are refused with a reason") {
  CHECK_FALSE(parse_dht_state("").ok());
  CHECK_FALSE(parse_dht_state("d2:id3:abc5:nodes0:e").ok());
  CHECK(parse_dht_state("d2:id20:abcdefghij01234567895:nodes5:xxxxxe").error().message.find("26-byte") !=
        std::string::npos);
  CHECK(parse_dht_state("d2:id20:abcdefghij01234567895:nodes0:e").ok());
}
