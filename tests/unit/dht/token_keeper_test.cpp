#include "core/dht/token_keeper.hpp"

#include <doctest/doctest.h>

#include "dht_test_util.hpp"

using namespace btd::dht;
using namespace btd::dht::test;

TEST_CASE("tokens: bound to the asker's IP") {
  TokenKeeper keeper(42, at(0ms));
  const std::string token = keeper.make({1, 2, 3, 4}, at(0ms));
  CHECK(token.size() == TokenKeeper::kTokenSize);
  CHECK(keeper.valid(token, {1, 2, 3, 4}, at(1s)));
  CHECK_FALSE(keeper.valid(token, {1, 2, 3, 5}, at(1s)));
  CHECK_FALSE(keeper.valid(token.substr(1), {1, 2, 3, 4}, at(1s)));
  CHECK_FALSE(keeper.valid("", {1, 2, 3, 4}, at(1s)));
  CHECK(keeper.make({1, 2, 3, 4}, at(2s)) == token);  // same secret, same token
  CHECK(keeper.make({4, 3, 2, 1}, at(2s)) != token);
}

TEST_CASE("tokens: the secret rotates every 5 minutes and the previous one is still accepted") {
  TokenKeeper keeper(7, at(0ms));
  const std::string first = keeper.make({9, 9, 9, 9}, at(0ms));
  CHECK(keeper.valid(first, {9, 9, 9, 9}, at(4min + 59s)));
  // Rotated once: the first token is from the previous secret.
  const std::string second = keeper.make({9, 9, 9, 9}, at(5min));
  CHECK(second != first);
  CHECK(keeper.valid(first, {9, 9, 9, 9}, at(6min)));
  CHECK(keeper.valid(second, {9, 9, 9, 9}, at(6min)));
  // Rotated again: the first secret is gone.
  CHECK_FALSE(keeper.valid(first, {9, 9, 9, 9}, at(10min)));
  CHECK(keeper.valid(second, {9, 9, 9, 9}, at(10min)));
}

TEST_CASE("tokens: after a long silence no old token is accepted") {
  TokenKeeper keeper(7, at(0ms));
  const std::string token = keeper.make({9, 9, 9, 9}, at(0ms));
  CHECK_FALSE(keeper.valid(token, {9, 9, 9, 9}, at(60min)));
}
