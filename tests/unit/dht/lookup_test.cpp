#include "core/dht/lookup.hpp"

#include <doctest/doctest.h>

#include "dht_test_util.hpp"

using namespace btd::dht;
using namespace btd::dht::test;

namespace {
NodeInfo node(std::uint8_t first) { return {id_of(first), addr(2, 0, 0, first, 1000)}; }
}  // namespace

TEST_CASE("lookup: alpha queries at a time, closest first, until the k closest answered") {
  LookupConfig config;
  config.k = 3;
  Lookup l(Lookup::Kind::find_node, id_of(0x00), config);
  for (std::uint8_t f : {0x80, 0x40, 0x20, 0x10, 0x08}) l.add_candidate(node(f));
  auto first = l.next(at(0ms));
  CHECK(first == std::vector<NodeAddress>{node(0x08).address, node(0x10).address, node(0x20).address});
  CHECK(l.next(at(0ms)).empty());  // three in flight
  CHECK_FALSE(l.done());
  // 0x08 knows closer ones.
  l.on_response(node(0x08).address, node(0x08).id, {node(0x02), node(0x01)}, std::nullopt);
  auto second = l.next(at(100ms));
  CHECK(second == std::vector<NodeAddress>{node(0x01).address});
  l.on_response(node(0x01).address, node(0x01).id, {}, std::string("t1"));
  l.on_failure(node(0x10).address);
  l.on_response(node(0x20).address, node(0x20).id, {}, std::nullopt);
  // k=3 closest live: 0x01 (answered), 0x02 (fresh), 0x08 (answered).
  CHECK(l.next(at(200ms)) == std::vector<NodeAddress>{node(0x02).address});
  CHECK_FALSE(l.done());
  l.on_response(node(0x02).address, node(0x02).id, {}, std::string("t2"));
  CHECK(l.done());
  CHECK(l.next(at(300ms)).empty());
  // 0x40 and 0x80 were never asked: farther than the k closest.
  auto targets = l.announce_targets();
  REQUIRE(targets.size() == 2);
  CHECK(targets[0] == std::pair(node(0x01).address, std::string("t1")));
  CHECK(targets[1] == std::pair(node(0x02).address, std::string("t2")));
  CHECK(l.closest_responded().size() == 3);
}

TEST_CASE("lookup: a slow query lets another go ahead") {
  LookupConfig config;
  config.alpha = 1;
  Lookup l(Lookup::Kind::get_peers, id_of(0x00), config);
  l.add_candidate(node(0x01));
  l.add_candidate(node(0x02));
  CHECK(l.next(at(0ms)).size() == 1);
  CHECK(l.next(at(1s)).empty());
  CHECK(l.next(at(2s)).size() == 1);  // the first is slower than 1.5 s
  CHECK(l.in_flight() == 2);
}

TEST_CASE("lookup: bootstrap nodes are asked first and join once they answer") {
  Lookup l(Lookup::Kind::find_node, id_of(0x00));
  l.add_bootstrap(addr(9, 9, 9, 9, 6881));
  l.add_bootstrap(addr(9, 9, 9, 9, 6881));  // duplicate
  auto sent = l.next(at(0ms));
  REQUIRE(sent.size() == 1);
  l.on_response(addr(9, 9, 9, 9, 6881), id_of(0x70), {node(0x03)}, std::nullopt);
  CHECK(l.next(at(10ms)) == std::vector<NodeAddress>{node(0x03).address});
  l.on_response(node(0x03).address, node(0x03).id, {}, std::nullopt);
  CHECK(l.done());
  CHECK(l.responded() == 2);
}

TEST_CASE("lookup: with nothing to ask it is done at once; dead nodes end it too") {
  Lookup empty(Lookup::Kind::find_node, id_of(0x00));
  CHECK(empty.next(at(0ms)).empty());
  CHECK(empty.done());
  Lookup l(Lookup::Kind::find_node, id_of(0x00));
  l.add_candidate(node(0x01));
  (void)l.next(at(0ms));
  l.on_failure(node(0x01).address);
  CHECK(l.done());
  CHECK(l.responded() == 0);
}

TEST_CASE("lookup: answers from addresses never asked, or under another id, are not trusted") {
  Lookup l(Lookup::Kind::find_node, id_of(0x00));
  l.add_candidate(node(0x10));
  l.on_response(node(0x10).address, node(0x10).id, {node(0x01)}, std::nullopt);  // not asked yet
  CHECK(l.next(at(0ms)) == std::vector<NodeAddress>{node(0x10).address});
  l.on_response(node(0x10).address, id_of(0x55), {}, std::nullopt);  // another id
  CHECK(l.responded() == 0);
  CHECK(l.done());
}

TEST_CASE("lookup: candidates are bounded, the farthest forgotten") {
  LookupConfig config;
  config.max_candidates = 10;
  Lookup l(Lookup::Kind::find_node, id_of(0x00), config);
  for (int i = 1; i <= 50; ++i) l.add_candidate({id_of(static_cast<std::uint8_t>(i)), addr(3, 0, 0, static_cast<std::uint8_t>(i), 1)});
  auto sent = l.next(at(0ms));
  CHECK(sent.front() == addr(3, 0, 0, 1, 1));
}
