#include "core/dht/routing_table.hpp"

#include <doctest/doctest.h>

#include "dht_test_util.hpp"

using namespace btd::dht;
using namespace btd::dht::test;

namespace {

// Our id is all zeros: a node's bucket is the number of leading zero bits of its id.
const NodeId kOurs{};

NodeInfo node(std::uint8_t first, std::uint8_t n, std::uint8_t fill = 0) {
  NodeId id = id_of(first, fill);
  id.bytes[19] = n;
  return {id, addr(1, 0, first, n, 6881)};
}

}  // namespace

TEST_CASE("routing table: k nodes per bucket; the bucket holding our id splits, others do not") {
  RoutingTable table(kOurs);
  // Eight far nodes (first bit set) fill the only bucket.
  for (std::uint8_t i = 0; i < 8; ++i) CHECK(table.on_response(node(0x80, i), at(0ms)).added);
  CHECK(table.size() == 8);
  CHECK(table.bucket_count() == 1);
  // A ninth far node: the bucket holds our id too, so it splits, but every far node stays in the
  // far half, which is full: the newcomer waits as a replacement.
  auto u = table.on_response(node(0x80, 8), at(0ms));
  CHECK_FALSE(u.added);
  CHECK(table.bucket_count() == 2);
  CHECK(table.size() == 8);
  CHECK(table.replacement_count() == 1);
  CHECK_FALSE(u.ping);  // all eight are good: nobody to ping
  // Near nodes go into the new half.
  for (std::uint8_t i = 0; i < 8; ++i) CHECK(table.on_response(node(0x01, i), at(0ms)).added);
  CHECK(table.size() == 16);
  CHECK(table.bucket_count() >= 2);
  // The far bucket never splits: more far nodes only fill its replacements (bounded).
  for (std::uint8_t i = 20; i < 40; ++i) CHECK_FALSE(table.on_response(node(0xc0, i), at(0ms)).added);
  CHECK(table.replacement_count() <= 2 * 8);
  CHECK(table.size() == 16);
}

TEST_CASE("routing table: our own id and port 0 are never added") {
  RoutingTable table(kOurs);
  CHECK_FALSE(table.on_response({kOurs, addr(1, 1, 1, 1, 1)}, at(0ms)).added);
  CHECK_FALSE(table.on_response({id_of(0x80), addr(1, 1, 1, 1, 0)}, at(0ms)).added);
  CHECK(table.size() == 0);
}

TEST_CASE("routing table: good, questionable after 15 minutes, bad after failures") {
  RoutingTable table(kOurs);
  (void)table.on_response(node(0x80, 1), at(0ms));
  const TableNode* n = table.find(node(0x80, 1).id);
  REQUIRE(n);
  CHECK(table.status(*n, at(14min)) == NodeStatus::good);
  CHECK(table.status(*n, at(15min)) == NodeStatus::questionable);
  // A query from a node that answered before keeps it good.
  table.on_query(node(0x80, 1), at(14min));
  CHECK(table.status(*n, at(20min)) == NodeStatus::good);
  table.on_failure(node(0x80, 1).address);
  CHECK(table.status(*n, at(20min)) == NodeStatus::good);
  table.on_failure(node(0x80, 1).address);
  CHECK(table.status(*n, at(20min)) == NodeStatus::bad);
  // An answer makes it good again.
  (void)table.on_response(node(0x80, 1), at(21min));
  CHECK(table.status(*table.find(node(0x80, 1).id), at(21min)) == NodeStatus::good);
}

TEST_CASE("routing table: a full bucket with questionable nodes asks for a ping; a failing node gives way") {
  RoutingTable table(kOurs);
  // Fill both halves so the far bucket cannot split any more.
  for (std::uint8_t i = 0; i < 8; ++i) (void)table.on_response(node(0x80, i), at(std::chrono::seconds(i)));
  (void)table.on_response(node(0x01, 0), at(0ms));
  REQUIRE(table.bucket_count() == 2);
  // 20 minutes later all far nodes are questionable: a newcomer waits, the oldest gets pinged.
  auto u = table.on_response(node(0x90, 50), at(20min));
  CHECK_FALSE(u.added);
  REQUIRE(u.ping);
  CHECK(u.ping->id == node(0x80, 0).id);
  // It does not answer twice: the newcomer takes its place.
  table.on_failure(node(0x80, 0).address);
  table.on_failure(node(0x80, 0).address);
  CHECK(table.find(node(0x80, 0).id) == nullptr);
  CHECK(table.find(node(0x90, 50).id) != nullptr);
  CHECK(table.replacement_count() == 0);
}

TEST_CASE("routing table: bad nodes are replaced by newcomers at once") {
  RoutingTable table(kOurs);
  for (std::uint8_t i = 0; i < 8; ++i) (void)table.on_response(node(0x80, i), at(0ms));
  (void)table.on_response(node(0x01, 0), at(0ms));
  table.on_failure(node(0x80, 3).address);
  table.on_failure(node(0x80, 3).address);
  CHECK(table.has_room_for(node(0xa0, 9).id, at(1s)));
  CHECK(table.on_response(node(0xa0, 9), at(1s)).added);
  CHECK(table.find(node(0x80, 3).id) == nullptr);
  CHECK_FALSE(table.has_room_for(node(0xa0, 10).id, at(1s)));
}

TEST_CASE("routing table: a known id claimed from another address is not believed") {
  RoutingTable table(kOurs);
  const NodeInfo good = node(0x80, 1);
  (void)table.on_response(good, at(0ms));
  NodeInfo hijack = good;
  hijack.address = addr(6, 6, 6, 6, 6);
  (void)table.on_response(hijack, at(1s));
  CHECK(table.find(good.id)->info.address == good.address);
  CHECK(table.size() == 1);
  // The same address under a new id replaces the old entry (the node restarted).
  NodeInfo restarted{id_of(0x40), good.address};
  CHECK(table.on_response(restarted, at(2s)).added);
  CHECK(table.find(good.id) == nullptr);
  CHECK(table.size() == 1);
}

TEST_CASE("routing table: closest nodes by XOR distance, bad ones left out") {
  RoutingTable table(kOurs);
  for (std::uint8_t first : {0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02, 0x01})
    (void)table.on_response(node(first, 1), at(0ms));
  const NodeId target = id_of(0x21);
  auto close = table.closest(target, 3, at(1s));
  REQUIRE(close.size() == 3);
  CHECK(close[0].id == node(0x20, 1).id);
  CHECK(close[1].id.bytes[0] < 0x10);  // the small ids, closest to 0x21 after 0x20
  table.on_failure(node(0x20, 1).address);
  table.on_failure(node(0x20, 1).address);
  close = table.closest(target, 3, at(1s));
  CHECK(close[0].id != node(0x20, 1).id);
  CHECK(table.closest(target, 100, at(1s)).size() == 7);
}

TEST_CASE("routing table: idle buckets are refresh targets until marked") {
  RoutingTable table(kOurs);
  (void)table.on_response(node(0x80, 1), at(0ms));
  CHECK(table.idle_buckets(std::chrono::minutes(15), at(10min)).empty());
  CHECK(table.idle_buckets(std::chrono::minutes(15), at(16min)) == std::vector<int>{0});
  table.mark_bucket_refreshed(0, at(16min));
  CHECK(table.idle_buckets(std::chrono::minutes(15), at(17min)).empty());
}
