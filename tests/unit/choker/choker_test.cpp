#include "core/choker/choker.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <vector>

using namespace btd;
using namespace std::chrono_literals;

namespace {

const Choker::TimePoint t0 = Choker::TimePoint{} + 1000s;
const Choker::TimePoint long_ago = Choker::TimePoint{};  // connected well before t0

ChokerPeerView peer(std::uint32_t id, double down, double up = 0, bool interested = true) {
  ChokerPeerView p;
  p.id = PeerKey{id};
  p.interested = interested;
  p.download_rate = down;
  p.upload_rate = up;
  p.connected_at = long_ago;
  return p;
}

std::set<std::uint32_t> ids(const std::vector<PeerKey>& v) {
  std::set<std::uint32_t> out;
  for (PeerKey k : v) out.insert(k.get());
  return out;
}

ChokerConfig no_optimistic() {
  ChokerConfig c;
  c.optimistic_slots = 0;
  return c;
}

}  // namespace

TEST_CASE("tit-for-tat unchokes the interested peers that give us the most") {
  Choker choker(no_optimistic(), 1);
  const std::vector<ChokerPeerView> peers{
      peer(1, 100), peer(2, 900), peer(3, 300), peer(4, 5000, 0, false),  // 4 not interested
      peer(5, 700), peer(6, 50),  peer(7, 800)};
  const ChokeDecision d = choker.recompute(peers, false, t0);
  CHECK(ids(d.unchoke) == std::set<std::uint32_t>{2, 7, 5, 3});
  CHECK(d.optimistic.empty());
}

TEST_CASE("the slot count is respected, optimistic slots on top") {
  ChokerConfig c;
  c.upload_slots = 2;
  c.optimistic_slots = 1;
  Choker choker(c, 2);
  std::vector<ChokerPeerView> peers;
  for (std::uint32_t i = 1; i <= 10; ++i) peers.push_back(peer(i, i * 10.0));
  const ChokeDecision d = choker.recompute(peers, false, t0);
  REQUIRE(d.unchoke.size() == 3);
  REQUIRE(d.optimistic.size() == 1);
  CHECK(ids(d.unchoke).count(10) == 1);
  CHECK(ids(d.unchoke).count(9) == 1);
  CHECK(ids(d.optimistic).count(9) == 0);
  CHECK(ids(d.optimistic).count(10) == 0);
  CHECK(ids(d.unchoke).count(d.optimistic[0].get()) == 1);
}

TEST_CASE("nobody uninterested is unchoked, not even optimistically") {
  Choker choker(ChokerConfig{}, 3);
  const std::vector<ChokerPeerView> peers{peer(1, 1e6, 1e6, false), peer(2, 0, 0, false)};
  CHECK(choker.recompute(peers, false, t0).unchoke.empty());
  CHECK(choker.recompute(peers, true, t0 + 10s).unchoke.empty());
  CHECK(choker.recompute({}, false, t0 + 20s).unchoke.empty());
}

TEST_CASE("snubbed peers get no tit-for-tat slot but may be the optimistic unchoke") {
  ChokerConfig c;
  c.upload_slots = 2;
  Choker choker(c, 4);
  std::vector<ChokerPeerView> peers{peer(1, 100), peer(2, 200), peer(3, 9999)};
  peers[2].snubbed = true;  // its old rate is stale: it stopped sending
  const ChokeDecision d = choker.recompute(peers, false, t0);
  CHECK(ids(std::vector<PeerKey>(d.unchoke.begin(), d.unchoke.end() - 1)) ==
        std::set<std::uint32_t>{1, 2});
  CHECK(ids(d.optimistic) == std::set<std::uint32_t>{3});  // the only one left
}

TEST_CASE("the optimistic unchoke rotates every 30 seconds, not every recompute") {
  ChokerConfig c;
  c.upload_slots = 1;
  Choker opt(c, 5);
  std::vector<ChokerPeerView> peers{peer(1, 1000), peer(2, 0), peer(3, 0), peer(4, 0)};
  const auto first = opt.recompute(peers, false, t0).optimistic;
  REQUIRE(first.size() == 1);
  CHECK(first[0] != PeerKey{1});
  CHECK(opt.recompute(peers, false, t0 + 10s).optimistic == first);
  CHECK(opt.recompute(peers, false, t0 + 20s).optimistic == first);
  const auto rotated = opt.recompute(peers, false, t0 + 30s).optimistic;
  REQUIRE(rotated.size() == 1);
  CHECK(rotated != first);
  CHECK(rotated[0] != PeerKey{1});
  CHECK(opt.recompute(peers, false, t0 + 40s).optimistic == rotated);
}

TEST_CASE("an optimistic peer that earns a regular slot frees the optimistic one") {
  ChokerConfig c;
  c.upload_slots = 1;
  Choker choker(c, 6);
  std::vector<ChokerPeerView> peers{peer(1, 1000), peer(2, 0), peer(3, 0)};
  const auto first = choker.recompute(peers, false, t0).optimistic.at(0);
  // The optimistic peer reciprocates and becomes our best source.
  for (auto& p : peers) p.download_rate = p.id == first ? 5000 : (p.id == PeerKey{1} ? 1000 : 0);
  const ChokeDecision d = choker.recompute(peers, false, t0 + 10s);
  CHECK(d.unchoke.at(0) == first);
  REQUIRE(d.optimistic.size() == 1);
  CHECK(d.optimistic[0] != first);
  CHECK(d.unchoke.size() == 2);
}

TEST_CASE("newly connected peers are three times as likely to be the optimistic unchoke") {
  ChokerConfig c;
  c.upload_slots = 0;
  std::map<std::uint32_t, int> wins;
  const int runs = 1200;
  for (int s = 0; s < runs; ++s) {
    Choker choker(c, static_cast<std::uint64_t>(s));
    std::vector<ChokerPeerView> peers{peer(1, 0), peer(2, 0), peer(3, 0), peer(4, 0)};
    peers[3].connected_at = t0 - 5s;  // peer 4 is new
    ++wins[choker.recompute(peers, false, t0).optimistic.at(0).get()];
  }
  // Expected: peer 4 half the time (3 of 6), the others a sixth each.
  CHECK(wins[4] > runs * 0.42);
  CHECK(wins[4] < runs * 0.58);
  for (std::uint32_t id : {1u, 2u, 3u}) {
    CHECK(wins[id] > runs * 0.11);
    CHECK(wins[id] < runs * 0.23);
  }
}

TEST_CASE("seeding ranks by upload rate and ignores download rate") {
  Choker choker(no_optimistic(), 7);
  std::vector<ChokerPeerView> peers{peer(1, 9e6, 10), peer(2, 0, 500), peer(3, 0, 300),
                                    peer(4, 0, 400),  peer(5, 0, 200), peer(6, 0, 100)};
  peers[4].snubbed = true;  // meaningless for a seed: it never downloads from anyone
  CHECK(ids(choker.recompute(peers, true, t0).unchoke) == std::set<std::uint32_t>{2, 4, 3, 5});
}

TEST_CASE("seeding rotates long-unchoked peers out so waiting peers get a turn") {
  Choker choker(no_optimistic(), 8);
  std::vector<ChokerPeerView> peers;
  for (std::uint32_t i = 1; i <= 6; ++i) peers.push_back(peer(i, 0, 100));
  // Equal rates: peers 1..4 first (by id), 5 and 6 wait.
  CHECK(ids(choker.recompute(peers, true, t0).unchoke) == std::set<std::uint32_t>{1, 2, 3, 4});
  CHECK(ids(choker.recompute(peers, true, t0 + 50s).unchoke) ==
        std::set<std::uint32_t>{1, 2, 3, 4});
  // After seed_rotation the four yield: 5 and 6 get in, two of the old ones keep a slot.
  const auto later = ids(choker.recompute(peers, true, t0 + 60s).unchoke);
  CHECK(later.size() == 4);
  CHECK(later.count(5) == 1);
  CHECK(later.count(6) == 1);
}

TEST_CASE("no rotation when every interested peer fits") {
  Choker choker(no_optimistic(), 9);
  std::vector<ChokerPeerView> peers{peer(1, 0, 5), peer(2, 0, 6)};
  CHECK(ids(choker.recompute(peers, true, t0).unchoke) == std::set<std::uint32_t>{1, 2});
  CHECK(ids(choker.recompute(peers, true, t0 + 600s).unchoke) == std::set<std::uint32_t>{1, 2});
}

TEST_CASE("equal download rates keep the peers already unchoked") {
  ChokerConfig c = no_optimistic();
  c.upload_slots = 2;
  Choker choker(c, 10);
  std::vector<ChokerPeerView> peers{peer(3, 0), peer(4, 0)};
  CHECK(ids(choker.recompute(peers, false, t0).unchoke) == std::set<std::uint32_t>{3, 4});
  peers.push_back(peer(1, 0));
  peers.push_back(peer(2, 0));
  // 1 and 2 have lower ids but 3 and 4 hold their slots.
  CHECK(ids(choker.recompute(peers, false, t0 + 10s).unchoke) == std::set<std::uint32_t>{3, 4});
}

TEST_CASE("recompute is due every 10 seconds") {
  Choker choker(ChokerConfig{}, 11);
  CHECK(choker.due(t0));
  (void)choker.recompute({}, false, t0);
  CHECK_FALSE(choker.due(t0 + 9s));
  CHECK(choker.due(t0 + 10s));
  CHECK(choker.next_due() == t0 + 10s);
}

TEST_CASE("broken rate meters do not poison the ranking") {
  ChokerConfig c = no_optimistic();
  c.upload_slots = 1;
  Choker choker(c, 12);
  const std::vector<ChokerPeerView> peers{peer(1, std::numeric_limits<double>::quiet_NaN()),
                                          peer(2, -50), peer(3, 10)};
  CHECK(ids(choker.recompute(peers, false, t0).unchoke) == std::set<std::uint32_t>{3});
}
