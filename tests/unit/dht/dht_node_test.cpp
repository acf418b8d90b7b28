#include "core/dht/dht_node.hpp"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <set>

#include "core/util/overloaded.hpp"
#include "dht_test_util.hpp"

using namespace btd;
using namespace btd::dht;
using namespace btd::dht::test;

namespace {

// Many DhtNodes on one simulated network: datagrams are delivered in order, instantly, except
// to addresses that are "down".
struct Network {
  std::map<NodeAddress, std::unique_ptr<DhtNode>> nodes;
  std::set<NodeAddress> down;
  std::vector<DhtEvent> events;  // of the node under test (`watch`)
  NodeAddress watch{};
  std::size_t delivered = 0;

  DhtNode& add(const NodeAddress& a, std::uint64_t seed, TimePoint now, DhtConfig config = {}) {
    NodeId id;
    std::mt19937_64 rng(seed);
    for (auto& b : id.bytes) b = static_cast<std::uint8_t>(rng());
    auto& n = nodes[a];
    n = std::make_unique<DhtNode>(id, config, seed, now);
    return *n;
  }

  void run(TimePoint now) {
    for (bool busy = true; busy;) {
      busy = false;
      for (auto& [from, node] : nodes) {
        for (Datagram& d : node->take_outgoing()) {
          busy = true;
          auto to = nodes.find(d.to);
          if (to == nodes.end() || down.count(d.to)) continue;
          ++delivered;
          to->second->on_packet(d.bytes, from, now);
        }
        for (DhtEvent& e : node->take_events())
          if (from == watch) events.push_back(std::move(e));
      }
    }
  }

  std::vector<NodeAddress> found_peers() const {
    std::vector<NodeAddress> out;
    for (const DhtEvent& e : events)
      if (auto* f = std::get_if<dht_event::PeersFound>(&e)) out.insert(out.end(), f->peers.begin(), f->peers.end());
    return out;
  }
  const dht_event::LookupDone* done(std::uint64_t lookup) const {
    for (const DhtEvent& e : events)
      if (auto* d = std::get_if<dht_event::LookupDone>(&e); d && d->lookup == lookup) return d;
    return nullptr;
  }
};

InfoHash hash_of(std::uint8_t b) {
  InfoHash h;
  h.bytes.fill(b);
  return h;
}

// One node and raw packets to it, as a remote peer would send them.
struct Probe {
  DhtNode node{id_of(0x11, 0x22), DhtConfig{}, 9, at(0ms)};
  std::vector<KrpcMessage> ask(const std::string& packet, const NodeAddress& from, TimePoint now = at(0ms)) {
    node.on_packet(packet, from, now);
    std::vector<KrpcMessage> replies;
    for (Datagram& d : node.take_outgoing()) {
      if (d.to != from) continue;
      auto m = parse_krpc(d.bytes);
      REQUIRE(m.ok());
      replies.push_back(std::move(*m));
    }
    return replies;
  }
  KrpcMessage reply(const std::string& packet, const NodeAddress& from, TimePoint now = at(0ms)) {
    auto all = ask(packet, from, now);
    for (auto& m : all)
      if (m.type != KrpcType::query) return m;
    FAIL("no reply");
    return {};
  }
};

std::string query(const KrpcMessage& m) { return encode_krpc(m); }

const NodeId kRemote = id_of(0x77, 0x01);

}  // namespace

TEST_CASE("DHT node: answers ping with its id, the transaction and the asker's address (BEP 42 ip)") {
  Probe p;
  auto r = p.reply(query(make_query(Method::ping, "p1", kRemote)), addr(10, 0, 0, 5, 4000));
  CHECK(r.type == KrpcType::response);
  CHECK(r.transaction == "p1");
  CHECK(r.id == p.node.id());
  REQUIRE(r.your_ip);
  CHECK(*r.your_ip == addr(10, 0, 0, 5, 4000));
}

TEST_CASE("DHT node: a node that queries us is pinged, and joins the table when it answers") {
  Probe p;
  auto out = p.ask(query(make_query(Method::ping, "p1", kRemote)), addr(10, 0, 0, 5, 4000));
  REQUIRE(out.size() == 2);
  const KrpcMessage* ping = out[0].type == KrpcType::query ? &out[0] : &out[1];
  CHECK(ping->method == Method::ping);
  CHECK(p.node.table().size() == 0);
  // A forged answer from another address is ignored; the right one is taken.
  p.node.on_packet(encode_krpc(make_response(ping->transaction, kRemote)), addr(10, 0, 0, 6, 4000), at(10ms));
  CHECK(p.node.table().size() == 0);
  p.node.on_packet(encode_krpc(make_response(ping->transaction, kRemote)), addr(10, 0, 0, 5, 4000), at(10ms));
  CHECK(p.node.table().size() == 1);
  // Answered once; a replay of the same answer does nothing more.
  p.node.on_packet(encode_krpc(make_response(ping->transaction, id_of(0x55))), addr(10, 0, 0, 5, 4000), at(20ms));
  CHECK(p.node.table().find(kRemote) != nullptr);
}

TEST_CASE("DHT node: get_peers gives a token and nodes; announce_peer needs that token from that IP") {
  Probe p;
  KrpcMessage gp = make_query(Method::get_peers, "g1", kRemote);
  gp.info_hash = hash_of(0xab);
  auto r = p.reply(query(gp), addr(10, 0, 0, 5, 4000));
  REQUIRE(r.has_token);
  CHECK(r.values.empty());

  KrpcMessage ann = make_query(Method::announce_peer, "a1", kRemote);
  ann.info_hash = hash_of(0xab);
  ann.port = 51413;
  ann.token = r.token;
  // From another IP the token is refused with 203.
  auto refused = p.reply(query(ann), addr(10, 0, 0, 9, 4000));
  CHECK(refused.type == KrpcType::error);
  CHECK(refused.error_code == kErrorProtocol);
  ann.token = "forged!!";
  CHECK(p.reply(query(ann), addr(10, 0, 0, 5, 4000)).type == KrpcType::error);
  ann.token = r.token;
  CHECK(p.reply(query(ann), addr(10, 0, 0, 5, 4000)).type == KrpcType::response);
  // implied_port: the UDP source port is the peer's port.
  KrpcMessage gp2 = gp;
  auto r2 = p.reply(query(gp2), addr(10, 0, 0, 7, 7777));
  KrpcMessage ann2 = ann;
  ann2.token = r2.token;
  ann2.implied_port = true;
  ann2.port = 1;
  CHECK(p.reply(query(ann2), addr(10, 0, 0, 7, 7777)).type == KrpcType::response);
  CHECK(p.node.stats(at(0ms)).announces_received == 2);

  auto r3 = p.reply(query(gp), addr(10, 0, 0, 8, 1), at(1s));
  std::set<NodeAddress> values(r3.values.begin(), r3.values.end());
  CHECK(values == std::set<NodeAddress>{addr(10, 0, 0, 5, 51413), addr(10, 0, 0, 7, 7777)});
  // 30 minutes later they are gone.
  auto r4 = p.reply(query(gp), addr(10, 0, 0, 8, 1), at(31min));
  CHECK(r4.values.empty());
}

TEST_CASE("DHT node: unknown methods get error 204; garbage is counted and dropped") {
  Probe p;
  auto r = p.reply("d1:ad2:id20:abcdefghij0123456789e1:q8:vote_foo1:t2:zz1:y1:qe", addr(10, 0, 0, 5, 4000));
  CHECK(r.type == KrpcType::error);
  CHECK(r.error_code == kErrorMethodUnknown);
  CHECK(r.transaction == "zz");
  for (const std::string& junk : {std::string("hello"), std::string(5000, 'x'), std::string("d1:y1:re"), std::string()})
    CHECK(p.ask(junk, addr(10, 0, 0, 5, 4000)).empty());
  CHECK(p.node.stats(at(0ms)).bad_packets == 4);
  // Answers to queries never sent are ignored.
  CHECK(p.ask(encode_krpc(make_response("??", kRemote)), addr(10, 0, 0, 5, 4000)).empty());
  CHECK(p.node.table().size() == 0);
}

TEST_CASE("DHT node: queries beyond the per-IP rate are dropped unanswered") {
  DhtConfig config;
  config.queries.per_ip_rate = 1;
  config.queries.per_ip_burst = 3;
  DhtNode node(id_of(0x11), config, 1, at(0ms));
  int answered = 0;
  for (int i = 0; i < 10; ++i) {
    node.on_packet(query(make_query(Method::ping, "p" + std::to_string(i), kRemote)), addr(8, 8, 8, 8, 1), at(0ms));
    for (const Datagram& d : node.take_outgoing()) {
      auto m = parse_krpc(d.bytes);
      if (m && m->type == KrpcType::response) ++answered;
    }
  }
  CHECK(answered == 3);
  CHECK(node.stats(at(0ms)).queries_dropped == 7);
}

TEST_CASE("DHT node: BEP 42: a public address with a non-matching id is answered but not added") {
  Probe p;
  const NodeAddress public_addr = addr(124, 31, 75, 21, 6881);
  NodeId random;
  random.bytes.fill(0x42);
  for (const auto& [id, expect_added] : {std::pair(random, false), std::pair(bep42_id({124, 31, 75, 21}, random), true)}) {
    auto out = p.ask(query(make_query(Method::ping, "p1", id)), public_addr);
    bool pinged = false;
    for (const KrpcMessage& m : out) {
      CHECK((m.type == KrpcType::response || m.method == Method::ping));
      if (m.type != KrpcType::query) continue;
      pinged = true;
      p.node.on_packet(encode_krpc(make_response(m.transaction, id)), public_addr, at(0ms));
    }
    CHECK(pinged == expect_added);
    CHECK((p.node.table().find(id) != nullptr) == expect_added);
  }
}

TEST_CASE("DHT node: read-only nodes (BEP 43) are answered but never added") {
  Probe p;
  auto out = p.ask("d1:ad2:id20:abcdefghij0123456789e1:q4:ping2:roi1e1:t2:aa1:y1:qe", addr(10, 0, 0, 5, 4000));
  REQUIRE(out.size() == 1);
  CHECK(out[0].type == KrpcType::response);
}

TEST_CASE("DHT node: 40 nodes bootstrap from one; a get_peers lookup finds an announced peer") {
  Network net;
  const TimePoint t0 = at(0ms);
  const NodeAddress router = addr(10, 1, 0, 1, 6881);
  net.add(router, 1000, t0);
  for (std::uint8_t i = 2; i < 42; ++i) net.add(addr(10, 1, 0, i, 6881), 1000 + i, t0);
  for (auto& [a, n] : net.nodes)
    if (a != router) n->bootstrap({router}, t0);
  net.run(t0);
  // The router knew nobody when the first ones came: a second round (the re-bootstrap of a
  // small table) spreads the knowledge.
  for (auto& [a, n] : net.nodes) n->tick(t0 + 31s);
  net.run(t0 + 31s);
  std::size_t total = 0;
  for (auto& [a, n] : net.nodes) {
    CHECK(n->table().size() >= 8);
    total += n->table().size();
  }
  CHECK(total > 40 * 8);

  // Node 5 announces that it has a torrent on TCP port 51413.
  const InfoHash h = hash_of(0x5e);
  DhtNode& seeder = *net.nodes.at(addr(10, 1, 0, 5, 6881));
  net.watch = addr(10, 1, 0, 5, 6881);
  auto announce = seeder.get_peers(h, std::uint16_t{51413}, t0 + 32s);
  REQUIRE(announce);
  net.run(t0 + 32s);
  const auto* done = net.done(*announce);
  REQUIRE(done);
  CHECK(done->get_peers);
  CHECK(done->responded >= 8);
  CHECK(done->announced >= 8);
  CHECK(net.found_peers().empty());  // nobody had announced before

  // Node 30, which never talked to node 5 directly, finds it.
  net.watch = addr(10, 1, 0, 30, 6881);
  net.events.clear();
  auto lookup = net.nodes.at(net.watch)->get_peers(h, std::nullopt, t0 + 33s);
  REQUIRE(lookup);
  net.run(t0 + 33s);
  REQUIRE(net.done(*lookup));
  CHECK(net.done(*lookup)->announced == 0);
  auto peers = net.found_peers();
  REQUIRE(peers.size() == 1);
  CHECK(peers[0] == addr(10, 1, 0, 5, 51413));
  CHECK(net.nodes.at(net.watch)->stats(t0 + 33s).peers_found == 1);
  CHECK(net.nodes.at(net.watch)->stats(t0 + 33s).lookups_done >= 2);
}

TEST_CASE("DHT node: unanswered queries time out, fail the node and end the lookup") {
  Network net;
  const TimePoint t0 = at(0ms);
  DhtConfig config;
  config.query_timeout = std::chrono::milliseconds(2000);
  DhtNode& me = net.add(addr(10, 2, 0, 1, 1), 1, t0, config);
  net.add(addr(10, 2, 0, 2, 1), 2, t0);
  net.watch = addr(10, 2, 0, 1, 1);
  me.bootstrap({addr(10, 2, 0, 2, 1)}, t0);
  net.run(t0);
  CHECK(me.table().size() == 1);
  // The only node goes away; a lookup through it waits for the time-out, then ends.
  net.down.insert(addr(10, 2, 0, 2, 1));
  net.events.clear();
  auto lookup = me.get_peers(hash_of(1), std::nullopt, t0 + 1s);
  REQUIRE(lookup);
  net.run(t0 + 1s);
  CHECK(net.done(*lookup) == nullptr);
  CHECK(me.stats(t0 + 1s).lookups_running == 1);
  me.tick(t0 + 2500ms);
  net.run(t0 + 2500ms);
  CHECK(net.done(*lookup) == nullptr);
  me.tick(t0 + 3s);
  net.run(t0 + 3s);
  REQUIRE(net.done(*lookup));
  CHECK(net.done(*lookup)->responded == 0);
  // Two failures make it bad: no longer offered.
  me.ping(addr(10, 2, 0, 2, 1), t0 + 3s);
  net.run(t0 + 3s);
  me.tick(t0 + 6s);
  CHECK(me.table().closest(me.id(), 8, t0 + 6s).empty());
}

TEST_CASE("DHT node: lookups and pending queries are bounded") {
  DhtConfig config;
  config.max_lookups = 1;
  config.max_pending = 4;
  DhtNode node(id_of(0x11), config, 1, at(0ms));
  std::vector<NodeAddress> many;
  for (std::uint8_t i = 1; i < 20; ++i) many.push_back(addr(10, 3, 0, i, 1));
  node.bootstrap(many, at(0ms));
  CHECK(node.take_outgoing().size() == 3);  // alpha
  CHECK_FALSE(node.get_peers(hash_of(1), std::nullopt, at(0ms)));
  for (std::uint8_t i = 30; i < 40; ++i) node.ping(addr(10, 3, 0, i, 1), at(0ms));
  CHECK(node.take_outgoing().size() == 1);  // 4 pending at most
}

TEST_CASE("DHT node: BEP 42: when answers agree on our public address, our id is made to fit it") {
  const auto run_votes = [](const Ipv4& seen_ip, int voters) {
    DhtConfig config;
    config.ip_votes_needed = 10;
    auto node = std::make_unique<DhtNode>(id_of(0x42, 0x42), config, 3, at(0ms));
    std::vector<NodeAddress> routers;
    for (int i = 0; i < voters; ++i) routers.push_back(addr(10, 9, 0, static_cast<std::uint8_t>(i + 1), 6881));
    node->bootstrap(routers, at(0ms));
    // Answer every query (lookups go on as they get answers) with our address as seen.
    for (int round = 0; round < 10; ++round) {
      for (Datagram& d : node->take_outgoing()) {
        auto q = parse_krpc(d.bytes);
        REQUIRE(q.ok());
        KrpcMessage r = make_response(q->transaction, id_of(0x80, d.to.ip[3]));
        r.your_ip = NodeAddress{seen_ip, 6881};
        node->on_packet(encode_krpc(r), d.to, at(std::chrono::milliseconds(round)));
      }
    }
    return node;
  };
  const Ipv4 public_ip{124, 31, 75, 21};
  auto moved = run_votes(public_ip, 12);
  CHECK(moved->id() != id_of(0x42, 0x42));
  CHECK(bep42_valid(moved->id(), public_ip));
  CHECK(moved->table().our_id() == moved->id());
  CHECK(moved->table().size() >= 8);  // the nodes known before are kept (as many as fit a bucket)
  bool told = false;
  for (const DhtEvent& e : moved->take_events())
    if (auto* c = std::get_if<dht_event::IdChanged>(&e)) told = c->id == moved->id() && c->external_ip == public_ip;
  CHECK(told);
  // Too few answers, or a private address, change nothing.
  CHECK(run_votes(public_ip, 5)->id() == id_of(0x42, 0x42));
  CHECK(run_votes(Ipv4{192, 168, 1, 2}, 12)->id() == id_of(0x42, 0x42));
}
