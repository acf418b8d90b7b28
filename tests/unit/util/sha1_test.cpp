#include "core/util/sha1.hpp"

#include <doctest/doctest.h>

using namespace btd;

TEST_CASE("sha1 known vectors") {
  CHECK(sha1("").hex() == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  CHECK(sha1("abc").hex() == "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST_CASE("incremental hashing equals one-shot and the hasher resets after finish") {
  Sha1Hasher h;
  h.update("a");
  h.update("bc");
  CHECK(h.finish() == sha1("abc"));
  h.update("abc");
  CHECK(h.finish() == sha1("abc"));
}

TEST_CASE("digest from raw bytes requires exactly 20 bytes") {
  Sha1Digest d;
  CHECK(Sha1Digest::from_bytes(std::string(20, 'x'), d));
  CHECK(d.view() == std::string(20, 'x'));
  CHECK_FALSE(Sha1Digest::from_bytes(std::string(19, 'x'), d));
}
