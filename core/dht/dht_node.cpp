#include "core/dht/dht_node.hpp"

#include <algorithm>

namespace btd::dht {

namespace {
constexpr std::size_t kMaxPeersSeenPerLookup = 1000;
constexpr std::chrono::seconds kExpireEvery{60};
constexpr std::size_t kRefreshesPerTick = 2;
}  // namespace

DhtNode::DhtNode(NodeId id, DhtConfig config, std::uint64_t seed, TimePoint now)
    : config_(config),
      table_(std::make_unique<RoutingTable>(id, config.routing)),
      tokens_(seed ^ 0x5bd1e995u, now),
      store_(config.store),
      limiter_(config.queries),
      rng_(seed),
      next_tid_(static_cast<std::uint16_t>(seed >> 16)),
      last_expire_(now) {}

std::string DhtNode::next_transaction() {
  std::string t(2, '\0');
  do {
    ++next_tid_;
    t[0] = static_cast<char>(next_tid_ >> 8);
    t[1] = static_cast<char>(next_tid_);
  } while (pending_.count(t) != 0);
  return t;
}

bool DhtNode::id_acceptable(const NodeId& id, const NodeAddress& from) const noexcept {
  return !config_.enforce_node_id || bep42_exempt(from.ip) || bep42_valid(id, from.ip);
}

void DhtNode::send(const NodeAddress& to, KrpcMessage m) { outgoing_.push_back({to, encode_krpc(m)}); }

bool DhtNode::send_query(const NodeAddress& to, KrpcMessage m, std::uint64_t lookup, TimePoint now) {
  if (pending_.size() >= config_.max_pending || to.port == 0) return false;
  m.transaction = next_transaction();
  pending_.emplace(m.transaction, Pending{to, m.method, lookup, now});
  send(to, std::move(m));
  return true;
}

void DhtNode::on_packet(std::string_view bytes, const NodeAddress& from, TimePoint now) {
  if (from.port == 0) return;
  auto parsed = parse_krpc(bytes);
  if (!parsed) {
    ++counters_.bad_packets;
    return;
  }
  if (parsed->type == KrpcType::query) on_query(*parsed, from, now);
  else on_reply(*parsed, from, now);
}

void DhtNode::on_query(KrpcMessage& m, const NodeAddress& from, TimePoint now) {
  if (!limiter_.allow(from.ip, now)) {
    ++counters_.queries_dropped;
    return;
  }
  ++counters_.queries_received;
  if (!m.read_only && m.id != id() && id_acceptable(m.id, from)) {
    table_->on_query({m.id, from}, now);
    // A node that finds us is worth knowing, once it proves it answers.
    if (!table_->contains(from) && table_->has_room_for(m.id, now)) ping(from, now);
  }
  KrpcMessage r = make_response(m.transaction, id());
  r.your_ip = from;
  switch (m.method) {
    case Method::ping:
      break;
    case Method::find_node:
      r.nodes = table_->closest(m.target, config_.routing.k, now);
      break;
    case Method::get_peers:
      r.token = tokens_.make(from.ip, now);
      r.has_token = true;
      r.values = store_.get(m.info_hash, config_.values_per_reply, now, rng_);
      r.nodes = table_->closest(NodeId::from_hash(m.info_hash), config_.routing.k, now);
      break;
    case Method::announce_peer: {
      if (!tokens_.valid(m.token, from.ip, now)) {
        send(from, make_error(m.transaction, kErrorProtocol, "invalid token"));
        return;
      }
      const NodeAddress peer{from.ip, m.implied_port ? from.port : m.port};
      if (store_.add(m.info_hash, peer, now)) ++counters_.announces_received;
      break;
    }
    case Method::unknown:
      send(from, make_error(m.transaction, kErrorMethodUnknown, "method unknown"));
      return;
  }
  send(from, std::move(r));
}

void DhtNode::on_reply(KrpcMessage& m, const NodeAddress& from, TimePoint now) {
  auto it = pending_.find(m.transaction);
  // Only the address we asked may answer: anything else is stale or forged.
  if (it == pending_.end() || it->second.to != from) return;
  const Pending p = it->second;
  pending_.erase(it);
  Running* running = nullptr;
  if (p.lookup != 0) {
    auto l = lookups_.find(p.lookup);
    if (l != lookups_.end()) running = &l->second;
  }
  if (m.type == KrpcType::error) {
    if (running) running->lookup->on_failure(from);
  } else {
    if (m.your_ip) vote_external_ip(*m.your_ip, now);
    if (!m.read_only && id_acceptable(m.id, from)) {
      const RoutingTable::Update u = table_->on_response({m.id, from}, now);
      if (u.ping) ping(u.ping->address, now);
    }
    if (running) {
      m.nodes.erase(std::remove_if(m.nodes.begin(), m.nodes.end(), [&](const NodeInfo& n) { return n.id == id(); }),
                    m.nodes.end());
      running->lookup->on_response(from, m.id, m.nodes,
                                   m.has_token ? std::optional<std::string>(m.token) : std::nullopt);
      if (running->lookup->kind() == Lookup::Kind::get_peers && !m.values.empty()) {
        dht_event::PeersFound found{p.lookup, running->info_hash, {}};
        for (const NodeAddress& v : m.values) {
          if (running->peers_seen.size() >= kMaxPeersSeenPerLookup) break;
          if (running->peers_seen.insert(v).second) found.peers.push_back(v);
        }
        counters_.peers_found += found.peers.size();
        if (!found.peers.empty()) events_.emplace_back(std::in_place_type<dht_event::PeersFound>, std::move(found));
      }
    }
  }
  if (running) advance(p.lookup, now);
}

void DhtNode::ping(const NodeAddress& address, TimePoint now) {
  for (const auto& [t, p] : pending_)
    if (p.to == address) return;  // already waiting for it
  (void)send_query(address, make_query(Method::ping, {}, id()), 0, now);
}

std::optional<std::uint64_t> DhtNode::start_lookup(Lookup::Kind kind, const NodeId& target, Running running,
                                                   TimePoint now) {
  if (lookups_.size() >= config_.max_lookups) return std::nullopt;
  running.lookup = std::make_unique<Lookup>(kind, target, config_.lookup);
  for (const NodeInfo& n : table_->closest(target, 2 * config_.lookup.k, now)) running.lookup->add_candidate(n);
  const std::uint64_t number = next_lookup_++;
  lookups_.emplace(number, std::move(running));
  return number;
}

void DhtNode::bootstrap(const std::vector<NodeAddress>& nodes, TimePoint now) {
  bootstrap_nodes_ = nodes;
  if (bootstrap_nodes_.size() > config_.max_pending) bootstrap_nodes_.resize(config_.max_pending);
  last_bootstrap_ = now;
  Running r;
  r.bootstrap = true;
  auto number = start_lookup(Lookup::Kind::find_node, id(), std::move(r), now);
  if (!number) return;
  for (const NodeAddress& a : nodes) lookups_.at(*number).lookup->add_bootstrap(a);
  advance(*number, now);
}

std::optional<std::uint64_t> DhtNode::get_peers(const InfoHash& info_hash, std::optional<std::uint16_t> announce_port,
                                                TimePoint now) {
  Running r;
  r.info_hash = info_hash;
  r.announce_port = announce_port;
  auto number = start_lookup(Lookup::Kind::get_peers, NodeId::from_hash(info_hash), std::move(r), now);
  if (number) advance(*number, now);
  return number;
}

std::optional<std::uint64_t> DhtNode::find_node(const NodeId& target, TimePoint now) {
  auto number = start_lookup(Lookup::Kind::find_node, target, Running{}, now);
  if (number) advance(*number, now);
  return number;
}

void DhtNode::advance(std::uint64_t number, TimePoint now) {
  auto it = lookups_.find(number);
  if (it == lookups_.end()) return;
  Lookup& l = *it->second.lookup;
  for (const NodeAddress& to : l.next(now)) {
    KrpcMessage q = make_query(l.kind() == Lookup::Kind::get_peers ? Method::get_peers : Method::find_node, {}, id());
    if (l.kind() == Lookup::Kind::get_peers) q.info_hash = it->second.info_hash;
    else q.target = l.target();
    if (!send_query(to, std::move(q), number, now)) l.on_failure(to);
  }
  if (l.done()) finish(number, now);
}

void DhtNode::finish(std::uint64_t number, TimePoint now) {
  auto it = lookups_.find(number);
  if (it == lookups_.end()) return;
  Running& r = it->second;
  dht_event::LookupDone done{number, r.lookup->target(), r.lookup->kind() == Lookup::Kind::get_peers,
                             r.lookup->responded(), 0};
  if (done.get_peers && r.announce_port) {
    for (const auto& [to, token] : r.lookup->announce_targets()) {
      KrpcMessage q = make_query(Method::announce_peer, {}, id());
      q.info_hash = r.info_hash;
      q.token = token;
      q.implied_port = *r.announce_port == 0;
      q.port = *r.announce_port;
      if (send_query(to, std::move(q), 0, now)) ++done.announced;
    }
  }
  lookups_.erase(it);
  ++counters_.lookups_done;
  events_.emplace_back(std::in_place_type<dht_event::LookupDone>, done);
}

void DhtNode::tick(TimePoint now) {
  std::set<std::uint64_t> touched;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now - it->second.sent < config_.query_timeout) {
      ++it;
      continue;
    }
    const Pending p = it->second;
    it = pending_.erase(it);
    table_->on_failure(p.to);
    if (p.lookup != 0) {
      auto l = lookups_.find(p.lookup);
      if (l != lookups_.end()) {
        l->second.lookup->on_failure(p.to);
        touched.insert(p.lookup);
      }
    }
  }
  // Slow queries let others go ahead (Lookup::next), so every running lookup is looked at.
  for (const auto& [number, r] : lookups_) touched.insert(number);
  for (std::uint64_t number : touched) advance(number, now);

  if (table_->size() > 0) {
    std::size_t started = 0;
    for (int prefix : table_->idle_buckets(config_.bucket_refresh, now)) {
      if (started >= kRefreshesPerTick) break;
      NodeId random;
      for (auto& b : random.bytes) b = static_cast<std::uint8_t>(rng_());
      if (!find_node(id_in_bucket(id(), prefix, random), now)) break;
      table_->mark_bucket_refreshed(prefix, now);
      ++started;
    }
    for (const NodeInfo& n : table_->questionable(config_.pings_per_tick, now)) ping(n.address, now);
  }
  if (table_->size() < config_.routing.k && !bootstrap_nodes_.empty() &&
      now - last_bootstrap_ >= config_.rebootstrap_interval &&
      std::none_of(lookups_.begin(), lookups_.end(), [](const auto& l) { return l.second.bootstrap; }))
    bootstrap(std::vector<NodeAddress>(bootstrap_nodes_), now);
  if (now - last_expire_ >= kExpireEvery) {
    store_.expire(now);
    last_expire_ = now;
  }
}

void DhtNode::vote_external_ip(const NodeAddress& seen_as, TimePoint now) {
  if (config_.ip_votes_needed == 0 || bep42_exempt(seen_as.ip)) return;
  ++ip_votes_[seen_as.ip];
  if (++ip_votes_total_ < config_.ip_votes_needed) return;
  auto best = std::max_element(ip_votes_.begin(), ip_votes_.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  const Ipv4 ip = best->first;
  const bool agreed = 2 * best->second > ip_votes_total_;
  ip_votes_.clear();
  ip_votes_total_ = 0;
  if (!agreed || bep42_valid(id(), ip)) return;
  NodeId random;
  for (auto& b : random.bytes) b = static_cast<std::uint8_t>(rng_());
  const NodeId fresh = bep42_id(ip, random);
  // Buckets are defined by our id: the table is rebuilt around the new one, keeping its nodes.
  auto table = std::make_unique<RoutingTable>(fresh, config_.routing);
  for (const NodeInfo& n : table_->all()) (void)table->on_response(n, now);
  table_ = std::move(table);
  events_.emplace_back(std::in_place_type<dht_event::IdChanged>, dht_event::IdChanged{fresh, ip});
}

std::vector<Datagram> DhtNode::take_outgoing() { return std::exchange(outgoing_, {}); }
std::vector<DhtEvent> DhtNode::take_events() { return std::exchange(events_, {}); }

DhtStats DhtNode::stats(TimePoint now) const {
  DhtStats s = counters_;
  s.nodes = table_->size();
  s.good_nodes = table_->good_count(now);
  s.buckets = table_->bucket_count();
  s.replacements = table_->replacement_count();
  s.lookups_running = lookups_.size();
  s.stored_peers = store_.peer_count();
  s.stored_info_hashes = store_.info_hash_count();
  return s;
}

}  // namespace btd::dht
