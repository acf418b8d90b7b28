#include "core/dht/peer_store.hpp"

#include <doctest/doctest.h>

#include <set>

#include "dht_test_util.hpp"

using namespace btd;
using namespace btd::dht;
using namespace btd::dht::test;

namespace {
InfoHash hash_of(std::uint8_t b) {
  InfoHash h;
  h.bytes.fill(b);
  return h;
}
}  // namespace

TEST_CASE("peer store: announces are kept, refreshed and expire after 30 minutes") {
  PeerStore store;
  std::mt19937_64 rng(1);
  CHECK(store.add(hash_of(1), addr(1, 1, 1, 1, 100), at(0ms)));
  CHECK(store.add(hash_of(1), addr(1, 1, 1, 2, 100), at(10min)));
  CHECK(store.add(hash_of(1), addr(1, 1, 1, 1, 100), at(10min)));  // refresh, not a duplicate
  CHECK(store.peer_count() == 2);
  CHECK(store.get(hash_of(1), 50, at(20min), rng).size() == 2);
  CHECK(store.get(hash_of(2), 50, at(20min), rng).empty());
  // The one announced at 0 and again at 10 min lives until 40 min.
  CHECK(store.get(hash_of(1), 50, at(39min), rng).size() == 2);
  CHECK(store.get(hash_of(1), 50, at(40min), rng).empty());
  store.expire(at(40min));
  CHECK(store.peer_count() == 0);
  CHECK(store.info_hash_count() == 0);
}

TEST_CASE("peer store: bounded per info-hash (oldest dropped) and in info-hashes (new refused)") {
  PeerStoreLimits limits;
  limits.max_peers_per_hash = 3;
  limits.max_info_hashes = 2;
  PeerStore store(limits);
  std::mt19937_64 rng(1);
  for (std::uint8_t i = 0; i < 5; ++i) CHECK(store.add(hash_of(1), addr(2, 2, 2, i, 1), at(std::chrono::seconds(i))));
  CHECK(store.peer_count() == 3);
  auto got = store.get(hash_of(1), 50, at(10s), rng);
  std::set<NodeAddress> left(got.begin(), got.end());
  CHECK(left == std::set<NodeAddress>{addr(2, 2, 2, 2, 1), addr(2, 2, 2, 3, 1), addr(2, 2, 2, 4, 1)});
  CHECK(store.add(hash_of(2), addr(3, 3, 3, 3, 1), at(10s)));
  CHECK_FALSE(store.add(hash_of(3), addr(3, 3, 3, 3, 1), at(10s)));
  CHECK(store.info_hash_count() == 2);
  // Once the old ones expire there is room again.
  CHECK(store.add(hash_of(3), addr(3, 3, 3, 3, 1), at(31min)));
}

TEST_CASE("peer store: a reply carries at most the asked number, chosen among all") {
  PeerStore store;
  std::mt19937_64 rng(5);
  for (std::uint8_t i = 0; i < 80; ++i) (void)store.add(hash_of(1), addr(4, 4, 4, i, 1), at(0ms));
  std::set<NodeAddress> seen;
  for (int round = 0; round < 20; ++round) {
    auto got = store.get(hash_of(1), 50, at(1s), rng);
    CHECK(got.size() == 50);
    seen.insert(got.begin(), got.end());
  }
  CHECK(seen.size() == 80);
}
