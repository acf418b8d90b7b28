#include "core/dht/node_id.hpp"

#include <doctest/doctest.h>

#include "dht_test_util.hpp"

using namespace btd::dht;
using namespace btd::dht::test;

TEST_CASE("node id: XOR distance orders ids as big-endian numbers") {
  const NodeId target = id_of(0x00);
  CHECK(closer(target, id_of(0x01), id_of(0x02)));
  CHECK_FALSE(closer(target, id_of(0x02), id_of(0x01)));
  CHECK_FALSE(closer(target, id_of(0x01), id_of(0x01)));  // not strictly closer than itself
  // A difference in the first byte outweighs every later one.
  CHECK(closer(target, id_of(0x01, 0xff), id_of(0x02, 0x00)));
  CHECK(distance(id_of(0xf0), id_of(0x0f)) == id_of(0xff));
  CHECK(distance(id_of(0x12, 0x34), id_of(0x12, 0x34)) == NodeId{});
}

TEST_CASE("node id: shared prefix bits pick the bucket") {
  CHECK(common_prefix_bits(id_of(0x80), id_of(0x00)) == 0);
  CHECK(common_prefix_bits(id_of(0x40), id_of(0x00)) == 1);
  CHECK(common_prefix_bits(id_of(0x01), id_of(0x00)) == 7);
  NodeId a, b;
  b.bytes[19] = 1;
  CHECK(common_prefix_bits(a, b) == 159);
  CHECK(common_prefix_bits(a, a) == 160);
}

TEST_CASE("node id: a refresh target lies in the bucket asked for") {
  const NodeId base = id_hex("a5d43220bc8f112a3d426c84764f8c2a1150e616");
  NodeId random;
  random.bytes.fill(0x5a);
  for (int prefix : {0, 1, 7, 8, 13, 100, 159}) {
    CAPTURE(prefix);
    CHECK(common_prefix_bits(base, id_in_bucket(base, prefix, random)) == prefix);
  }
  CHECK(id_in_bucket(base, 160, random) == base);
}

TEST_CASE("node id: from_bytes takes exactly 20 bytes") {
  CHECK(NodeId::from_bytes(std::string(20, 'a')));
  CHECK_FALSE(NodeId::from_bytes(std::string(19, 'a')));
  CHECK_FALSE(NodeId::from_bytes(std::string(21, 'a')));
  CHECK(NodeId::from_bytes("abcdefghij0123456789")->hex() == "6162636465666768696a30313233343536373839");
}

TEST_CASE("crc32c: the standard check value") {
  const std::string s = "123456789";
  CHECK(crc32c(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()) == 0xe3069283u);
}

TEST_CASE("BEP 42: the specification's test vectors") {
  struct Vector {
    Ipv4 ip;
    const char* id;
  };
  // From BEP 42: IP, and a valid id (whose last byte is the "rand" of the example).
  const Vector vectors[] = {
      {{124, 31, 75, 21}, "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401"},
      {{21, 75, 31, 124}, "5a3ce9c14e7a08645677bbd1cfe7d8f956d53256"},
      {{65, 23, 51, 170}, "a5d43220bc8f112a3d426c84764f8c2a1150e616"},
      {{84, 124, 73, 14}, "1b0321dd1bb1fe518101ceef99462b947a01ff41"},
      {{43, 213, 53, 83}, "e56f6cbf5b7c4be0237986d5243b87aa6d51305a"},
  };
  for (const Vector& v : vectors) {
    CAPTURE(v.id);
    const NodeId id = id_hex(v.id);
    CHECK(bep42_valid(id, v.ip));
    // Generating from the same random bytes gives the same first 21 bits.
    const NodeId made = bep42_id(v.ip, id);
    CHECK(made.bytes[0] == id.bytes[0]);
    CHECK(made.bytes[1] == id.bytes[1]);
    CHECK((made.bytes[2] & 0xf8) == (id.bytes[2] & 0xf8));
    // Another address does not fit it.
    CHECK_FALSE(bep42_valid(id, Ipv4{1, 2, 3, 4}));
  }
  NodeId random;
  random.bytes.fill(0x77);
  CHECK(bep42_valid(bep42_id({8, 8, 8, 8}, random), {8, 8, 8, 8}));
}

TEST_CASE("BEP 42: loopback, private and link-local addresses are exempt") {
  CHECK(bep42_exempt({127, 0, 0, 1}));
  CHECK(bep42_exempt({10, 1, 2, 3}));
  CHECK(bep42_exempt({172, 16, 0, 1}));
  CHECK(bep42_exempt({172, 31, 255, 255}));
  CHECK_FALSE(bep42_exempt({172, 32, 0, 1}));
  CHECK(bep42_exempt({192, 168, 1, 1}));
  CHECK(bep42_exempt({169, 254, 0, 1}));
  CHECK_FALSE(bep42_exempt({8, 8, 8, 8}));
  CHECK_FALSE(bep42_exempt({124, 31, 75, 21}));
}
