#pragma once
// One DHT node, sans-I/O (BEP 5, with BEP 42 id checks and BEP 43 read-only awareness): it
// answers queries (ping, find_node, get_peers, announce_peer), keeps the routing table, runs
// iterative lookups and announces. Packets and time come in through on_packet() and tick();
// datagrams to send and results come out through take_outgoing() and take_events().
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "core/dht/krpc.hpp"
#include "core/dht/lookup.hpp"
#include "core/dht/peer_store.hpp"
#include "core/dht/query_limiter.hpp"
#include "core/dht/routing_table.hpp"
#include "core/dht/token_keeper.hpp"

namespace btd::dht {

struct DhtConfig {
  RoutingConfig routing;
  LookupConfig lookup;
  PeerStoreLimits store;
  QueryLimits queries;
  std::chrono::milliseconds query_timeout{4000};
  std::chrono::seconds bucket_refresh{15 * 60};
  std::size_t max_lookups = 32;        // running at once; more get_peers calls are refused
  std::size_t max_pending = 512;       // queries of ours awaiting an answer
  std::size_t values_per_reply = 50;   // peers in one get_peers answer (fits a UDP datagram)
  std::size_t pings_per_tick = 4;      // questionable nodes checked per tick
  // While the table holds fewer than k nodes, the bootstrap nodes are asked again this often.
  std::chrono::seconds rebootstrap_interval{30};
  // BEP 42: nodes whose id does not match their (public) address are answered but not added
  // to the routing table. Loopback and private addresses are exempt, as in libtorrent.
  bool enforce_node_id = true;
  // BEP 42 for our own id: once this many answers named our address ("ip") and most agree on a
  // public one our id does not fit, we take a new id that fits it.
  unsigned ip_votes_needed = 10;
};

struct Datagram {
  NodeAddress to;
  std::string bytes;
};

namespace dht_event {
// Peers a get_peers lookup found (each reported once per lookup).
struct PeersFound { std::uint64_t lookup; InfoHash info_hash; std::vector<NodeAddress> peers; };
struct LookupDone {
  std::uint64_t lookup;
  NodeId target;
  bool get_peers = false;
  std::size_t responded = 0;  // nodes that answered
  std::size_t announced = 0;  // announce_peer queries sent
};
// Our id changed to fit our public address (BEP 42); the routing table was rebuilt around it.
struct IdChanged { NodeId id; Ipv4 external_ip; };
}  // namespace dht_event
using DhtEvent = std::variant<dht_event::PeersFound, dht_event::LookupDone, dht_event::IdChanged>;

struct DhtStats {
  std::size_t nodes = 0;        // in the routing table
  std::size_t good_nodes = 0;
  std::size_t buckets = 0;
  std::size_t replacements = 0;
  std::uint64_t lookups_done = 0;
  std::size_t lookups_running = 0;
  std::uint64_t peers_found = 0;         // through our get_peers lookups
  std::uint64_t announces_received = 0;  // valid announce_peer queries
  std::uint64_t queries_received = 0;    // answered
  std::uint64_t queries_dropped = 0;     // rate-limited
  std::uint64_t bad_packets = 0;         // malformed, oversized
  std::size_t stored_peers = 0;          // from others' announces
  std::size_t stored_info_hashes = 0;
};

class DhtNode {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  DhtNode(NodeId id, DhtConfig config, std::uint64_t seed, TimePoint now);

  const NodeId& id() const noexcept { return table_->our_id(); }
  const RoutingTable& table() const noexcept { return *table_; }

  // A datagram from `from`.
  void on_packet(std::string_view bytes, const NodeAddress& from, TimePoint now);
  // Time-outs, bucket refreshes and pings of questionable nodes; call every few hundred ms.
  void tick(TimePoint now);

  // Joins the network through these nodes (ids unknown): a find_node lookup of our own id.
  // They are kept, and asked again while the table stays small.
  void bootstrap(const std::vector<NodeAddress>& nodes, TimePoint now);
  // A node heard of outside the DHT (a peer's BEP 5 port message, saved state): pinged, and
  // added when it answers.
  void ping(const NodeAddress& address, TimePoint now);
  // A get_peers lookup; when it ends, announce_peer to the closest nodes that gave tokens if
  // `announce_port` is set (0: implied_port, the port we send from). Returns the lookup's
  // number, or nullopt when too many lookups are running.
  std::optional<std::uint64_t> get_peers(const InfoHash& info_hash, std::optional<std::uint16_t> announce_port,
                                         TimePoint now);
  std::optional<std::uint64_t> find_node(const NodeId& target, TimePoint now);

  std::vector<Datagram> take_outgoing();
  std::vector<DhtEvent> take_events();
  DhtStats stats(TimePoint now) const;

 private:
  struct Pending {
    NodeAddress to;
    Method method;
    std::uint64_t lookup = 0;  // 0: not part of a lookup
    TimePoint sent;
  };
  struct Running {
    std::unique_ptr<Lookup> lookup;
    InfoHash info_hash;
    std::optional<std::uint16_t> announce_port;
    std::set<NodeAddress> peers_seen;
    bool bootstrap = false;
  };

  void on_query(KrpcMessage& m, const NodeAddress& from, TimePoint now);
  void on_reply(KrpcMessage& m, const NodeAddress& from, TimePoint now);
  bool id_acceptable(const NodeId& id, const NodeAddress& from) const noexcept;
  void send(const NodeAddress& to, KrpcMessage m);
  // A query of ours; false when too many are pending.
  bool send_query(const NodeAddress& to, KrpcMessage m, std::uint64_t lookup, TimePoint now);
  std::optional<std::uint64_t> start_lookup(Lookup::Kind kind, const NodeId& target, Running running, TimePoint now);
  void advance(std::uint64_t lookup, TimePoint now);
  void finish(std::uint64_t lookup, TimePoint now);
  std::string next_transaction();
  void vote_external_ip(const NodeAddress& seen_as, TimePoint now);

  DhtConfig config_;
  std::unique_ptr<RoutingTable> table_;  // replaced when our id changes
  TokenKeeper tokens_;
  PeerStore store_;
  QueryLimiter limiter_;
  std::mt19937_64 rng_;
  std::uint16_t next_tid_;
  std::uint64_t next_lookup_ = 1;
  std::map<std::string, Pending> pending_;
  std::map<std::uint64_t, Running> lookups_;
  std::vector<Datagram> outgoing_;
  std::vector<DhtEvent> events_;
  DhtStats counters_;
  TimePoint last_expire_{};
  std::map<Ipv4, unsigned> ip_votes_;
  unsigned ip_votes_total_ = 0;
  std::vector<NodeAddress> bootstrap_nodes_;
  TimePoint last_bootstrap_{};
};

}  // namespace btd::dht
