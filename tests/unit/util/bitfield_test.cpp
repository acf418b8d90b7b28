#include "core/util/bitfield.hpp"

#include <doctest/doctest.h>

using namespace btd;

TEST_CASE("bitfield sets bits most significant first") {
  Bitfield b(10);
  b.set(0);
  b.set(9);
  CHECK(b.count() == 2);
  CHECK(b.bytes() == std::string("\x80\x40", 2));
  b.set(0, false);
  CHECK(b.count() == 1);
  CHECK_FALSE(b.get(0));
  CHECK_FALSE(b.get(100));  // out of range reads as absent, never past the buffer
}

TEST_CASE("a full bitfield keeps spare bits zero") {
  Bitfield b(10, true);
  CHECK(b.all());
  CHECK(b.bytes() == std::string("\xff\xc0", 2));
}

TEST_CASE("from_bytes checks length and spare bits") {
  CHECK(Bitfield::from_bytes(std::string("\xff\xc0", 2), 10).ok());
  auto spare = Bitfield::from_bytes(std::string("\xff\xe0", 2), 10);
  REQUIRE_FALSE(spare.ok());
  CHECK(spare.error().message.find("spare bits") != std::string::npos);
  CHECK_FALSE(Bitfield::from_bytes(std::string("\xff", 1), 10).ok());
  CHECK_FALSE(Bitfield::from_bytes(std::string("\xff\x00\x00", 3), 10).ok());
  auto ok = Bitfield::from_bytes(std::string("\xa0", 1), 3);
  REQUIRE(ok.ok());
  CHECK(ok->count() == 2);
  CHECK(ok->get(PieceIndex{2}));
}
