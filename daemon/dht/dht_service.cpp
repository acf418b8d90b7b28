#include "daemon/dht/dht_service.hpp"

#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "core/dht/bootstrap_node.hpp"
#include "core/dht/dht_state.hpp"
#include "core/util/overloaded.hpp"
#include "daemon/log.hpp"
#include "daemon/state_store.hpp"

namespace btd::daemon {

namespace {

constexpr std::uint64_t kTickMs = 250;
constexpr std::uint64_t kSaveEveryMs = 5 * 60 * 1000;
constexpr std::size_t kSavedNodesToBootstrap = 16;
constexpr std::size_t kMaxDatagram = 65536;

dht::NodeAddress from_sockaddr(const sockaddr_in& a) {
  dht::NodeAddress n;
  std::memcpy(n.ip.data(), &a.sin_addr.s_addr, 4);
  n.port = ntohs(a.sin_port);
  return n;
}

sockaddr_in to_sockaddr(const dht::NodeAddress& n) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  std::memcpy(&a.sin_addr.s_addr, n.ip.data(), 4);
  a.sin_port = htons(n.port);
  return a;
}

}  // namespace

struct DhtService::Impl {
  struct Resolve {
    uv_getaddrinfo_t req{};
    Impl* impl = nullptr;
    std::uint16_t port = 0;
    std::string name;
    std::uint64_t generation = 0;
  };

  uv_loop_t* loop;
  StateWriter& writer;
  DhtServiceConfig config;
  OnPeers on_peers;
  std::unique_ptr<dht::DhtNode> node;
  dht::AnnounceSchedule schedule;
  std::map<std::uint64_t, InfoHash> torrent_lookups;  // lookup number -> torrent
  uv_udp_t* udp = nullptr;
  uv_timer_t* timer = nullptr;
  int open_handles = 0;
  int resolving = 0;
  bool closing = false;
  bool running = false;
  std::vector<dht::NodeAddress> saved_nodes;
  std::vector<dht::NodeAddress> resolved;
  std::uint64_t generation = 0;  // of the bootstrap list; stale resolutions are ignored
  std::uint64_t last_save_ms = 0;
  char recv_buffer[kMaxDatagram];

  Impl(uv_loop_t* l, StateWriter& w, DhtServiceConfig c, OnPeers p)
      : loop(l), writer(w), config(std::move(c)), on_peers(std::move(p)) {}

  dht::DhtNode::TimePoint now() const { return dht::DhtNode::TimePoint{std::chrono::milliseconds(uv_now(loop))}; }
  std::string path() const { return config.state_dir + "/dht.dat"; }

  void maybe_delete() {
    if (closing && open_handles == 0 && resolving == 0) delete this;
  }

  void flush() {
    if (!node) return;
    for (dht::Datagram& d : node->take_outgoing()) {
      if (!udp) continue;
      const sockaddr_in to = to_sockaddr(d.to);
      uv_buf_t buf = uv_buf_init(d.bytes.data(), static_cast<unsigned>(d.bytes.size()));
      // A full socket buffer drops the datagram: KRPC has its own time-outs and retries.
      (void)uv_udp_try_send(udp, &buf, 1, reinterpret_cast<const sockaddr*>(&to));
    }
    for (dht::DhtEvent& e : node->take_events()) {
      std::visit(Overloaded{
                     [&](dht::dht_event::PeersFound& f) {
                       std::vector<tracker::PeerEndpoint> peers;
                       for (const dht::NodeAddress& a : f.peers) peers.push_back(dht::to_peer_endpoint(a));
                       log_debug("DHT: " + std::to_string(peers.size()) + " peers for " + f.info_hash.hex().substr(0, 8));
                       if (on_peers) on_peers(f.info_hash, std::move(peers));
                     },
                     [&](dht::dht_event::LookupDone& d) {
                       auto it = torrent_lookups.find(d.lookup);
                       if (it == torrent_lookups.end()) return;
                       log_debug("DHT: lookup for " + it->second.hex().substr(0, 8) + " done, " +
                                 std::to_string(d.responded) + " nodes answered, announced to " +
                                 std::to_string(d.announced));
                       schedule.done(it->second, d.responded, now());
                       torrent_lookups.erase(it);
                     },
                     [&](dht::dht_event::IdChanged& c) {
                       log_notice("DHT: new node id " + c.id.hex().substr(0, 8) + " to fit our address " +
                                  tracker::format_ipv4(c.external_ip) + " (BEP 42)");
                       save();
                     },
                 },
                 e);
    }
  }

  void save() {
    if (!node) return;
    dht::DhtState state{node->id(), node->table().all()};
    last_save_ms = uv_now(loop);
    writer.enqueue([file = path(), bytes = dht::encode_dht_state(state)] { return write_file_durably(file, bytes); },
                   [](Result<void> r) {
                     if (!r) log_warning("cannot save the DHT node table: " + r.error().message);
                   });
  }

  dht::NodeId load_or_make_id() {
    std::ifstream in(path(), std::ios::binary);
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      auto state = dht::parse_dht_state(text.str());
      if (state) {
        for (const dht::NodeInfo& n : state->nodes)
          if (saved_nodes.size() < kSavedNodesToBootstrap) saved_nodes.push_back(n.address);
        log_info("DHT: " + std::to_string(state->nodes.size()) + " nodes loaded from " + path());
        return state->id;
      }
      log_warning(path() + ": " + state.error().message + "; starting with a new node id");
    }
    std::random_device rd;
    dht::NodeId id;
    for (auto& b : id.bytes) b = static_cast<std::uint8_t>(rd());
    return id;
  }

  void bootstrap() {
    if (!node) return;
    std::vector<dht::NodeAddress> all = saved_nodes;
    all.insert(all.end(), resolved.begin(), resolved.end());
    if (all.empty()) return;
    node->bootstrap(all, now());
    flush();
  }

  void resolve_all() {
    ++generation;
    resolved.clear();
    int started = 0;
    for (const std::string& text : config.bootstrap) {
      auto hp = dht::parse_host_port(text);
      if (!hp) continue;
      auto* r = new Resolve;
      r->impl = this;
      r->port = hp->port;
      r->name = text;
      r->generation = generation;
      r->req.data = r;
      addrinfo hints{};
      hints.ai_family = AF_INET;  // BEP 5's DHT is IPv4
      hints.ai_socktype = SOCK_DGRAM;
      const int rc = uv_getaddrinfo(loop, &r->req, on_resolved, hp->host.c_str(), nullptr, &hints);
      if (rc != 0) {
        log_warning("DHT: cannot resolve bootstrap node " + text + ": " + uv_strerror(rc));
        delete r;
        continue;
      }
      ++resolving;
      ++started;
    }
    if (started == 0) bootstrap();  // saved nodes only
  }

  static void on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* result) {
    auto* r = static_cast<Resolve*>(req->data);
    Impl* self = r->impl;
    --self->resolving;
    if (!self->closing && r->generation == self->generation) {
      if (status != 0) {
        log_warning("DHT: cannot resolve bootstrap node " + r->name + ": " + uv_strerror(status));
      } else {
        for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
          if (ai->ai_family != AF_INET) continue;
          dht::NodeAddress a = from_sockaddr(*reinterpret_cast<const sockaddr_in*>(ai->ai_addr));
          a.port = r->port;
          self->resolved.push_back(a);
          break;  // one address per name is enough
        }
      }
      if (self->resolving == 0) self->bootstrap();
    }
    uv_freeaddrinfo(result);
    delete r;
    self->maybe_delete();
  }

  static void on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
    auto* self = static_cast<Impl*>(h->data);
    *buf = uv_buf_init(self->recv_buffer, sizeof(self->recv_buffer));
  }

  static void on_receive(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* from, unsigned) {
    auto* self = static_cast<Impl*>(h->data);
    if (nread <= 0 || from == nullptr || from->sa_family != AF_INET || !self->node) return;
    self->node->on_packet(std::string_view(buf->base, static_cast<std::size_t>(nread)),
                          from_sockaddr(*reinterpret_cast<const sockaddr_in*>(from)), self->now());
    self->flush();
  }

  static void on_tick(uv_timer_t* t) {
    auto* self = static_cast<Impl*>(t->data);
    if (!self->node) return;
    self->node->tick(self->now());
    self->flush();
    if (uv_now(self->loop) - self->last_save_ms >= kSaveEveryMs) self->save();
  }

  static void on_closed(uv_handle_t* h) {
    auto* self = static_cast<Impl*>(h->data);
    if (h->type == UV_UDP) delete reinterpret_cast<uv_udp_t*>(h);
    else delete reinterpret_cast<uv_timer_t*>(h);
    --self->open_handles;
    self->maybe_delete();
  }

  Result<void> start() {
    sockaddr_in addr{};
    if (uv_ip4_addr(config.listen_address.c_str(), config.port, &addr) != 0) {
      // An IPv6 listen address: the DHT here is IPv4, so it listens on every IPv4 address.
      uv_ip4_addr("0.0.0.0", config.port, &addr);
    }
    udp = new uv_udp_t;
    uv_udp_init(loop, udp);
    udp->data = this;
    ++open_handles;
    int rc = uv_udp_bind(udp, reinterpret_cast<const sockaddr*>(&addr), 0);
    if (rc == UV_EADDRINUSE) {
      // Someone else has UDP at our TCP port's number: any port still works, peers learn it from
      // our port messages (only announces name the TCP port).
      log_warning("DHT: UDP port " + std::to_string(config.port) + " is taken; using another one");
      addr.sin_port = 0;
      rc = uv_udp_bind(udp, reinterpret_cast<const sockaddr*>(&addr), 0);
    }
    if (rc == 0) {
      sockaddr_in bound{};
      int len = sizeof(bound);
      if (uv_udp_getsockname(udp, reinterpret_cast<sockaddr*>(&bound), &len) == 0) config.port = ntohs(bound.sin_port);
      rc = uv_udp_recv_start(udp, on_alloc, on_receive);
    }
    if (rc != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(udp), on_closed);
      udp = nullptr;
      return Error(Errc::io_error, "cannot listen for DHT on UDP " + config.listen_address + ":" +
                                       std::to_string(config.port) + ": " + uv_strerror(rc));
    }
    std::random_device rd;
    const std::uint64_t seed = (std::uint64_t{rd()} << 32) ^ rd();
    node = std::make_unique<dht::DhtNode>(load_or_make_id(), config.node, seed, now());
    timer = new uv_timer_t;
    uv_timer_init(loop, timer);
    timer->data = this;
    ++open_handles;
    uv_timer_start(timer, on_tick, kTickMs, kTickMs);
    last_save_ms = uv_now(loop);
    running = true;
    log_notice("DHT: node " + node->id().hex().substr(0, 8) + " on UDP port " + std::to_string(config.port) +
               ", " + std::to_string(config.bootstrap.size()) + " bootstrap nodes, " +
               std::to_string(saved_nodes.size()) + " saved nodes");
    resolve_all();
    return {};
  }

  void close() {
    if (closing) return;
    if (running) save();
    closing = true;
    running = false;
    if (udp) uv_close(reinterpret_cast<uv_handle_t*>(udp), on_closed);
    if (timer) {
      uv_timer_stop(timer);
      uv_close(reinterpret_cast<uv_handle_t*>(timer), on_closed);
    }
    udp = nullptr;
    timer = nullptr;
    node.reset();
    // In-flight DNS lookups cannot be cancelled once running: they come back to a closing Impl.
    maybe_delete();
  }
};

DhtService::DhtService(uv_loop_t* loop, StateWriter& writer, DhtServiceConfig config, OnPeers on_peers)
    : impl_(new Impl(loop, writer, std::move(config), std::move(on_peers))) {}

DhtService::~DhtService() { close(); }

Result<void> DhtService::start() { return impl_->start(); }

void DhtService::close() {
  if (impl_ == nullptr) return;
  Impl* impl = impl_;
  impl_ = nullptr;
  impl->close();
}

void DhtService::set_bootstrap(std::vector<std::string> nodes) {
  if (impl_ == nullptr || !impl_->running) return;
  impl_->config.bootstrap = std::move(nodes);
  impl_->resolve_all();
}

void DhtService::add_node(const tracker::PeerEndpoint& node) {
  if (impl_ == nullptr || !impl_->node) return;
  auto a = dht::to_node_address(node);
  if (!a || a->port == 0) return;
  impl_->node->ping(*a, impl_->now());
  impl_->flush();
}

void DhtService::update_torrents(const std::vector<dht::ScheduledTorrent>& torrents, std::uint16_t announce_port) {
  if (impl_ == nullptr || !impl_->node) return;
  const auto now = impl_->now();
  for (const InfoHash& h : impl_->schedule.due(torrents, now)) {
    auto lookup = impl_->node->get_peers(h, announce_port, now);
    if (!lookup) {
      impl_->schedule.done(h, 0, now);  // too many running: tried again shortly
      continue;
    }
    impl_->torrent_lookups[*lookup] = h;
  }
  impl_->flush();
}

DhtServiceStats DhtService::stats() const {
  DhtServiceStats s;
  if (impl_ == nullptr || !impl_->node) return s;
  s.running = impl_->running;
  s.port = impl_->config.port;
  s.node = impl_->node->stats(impl_->now());
  return s;
}

}  // namespace btd::daemon
