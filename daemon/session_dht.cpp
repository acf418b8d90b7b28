// The session's side of the DHT: starting and stopping the DhtService with the "dht" setting,
// telling it which torrents may use it (never private ones, BEP 27), handing the peers it finds
// to those torrents, and its figures for session.stats.
#include "daemon/dht/dht_service.hpp"
#include "daemon/log.hpp"
#include "daemon/net/peer_network.hpp"
#include "daemon/session.hpp"

namespace btd::daemon {

void Session::start_dht() {
  if (dht_ || !network_ || stopping_) return;
  DhtServiceConfig c;
  c.state_dir = config_.state_dir;
  c.listen_address = config_.listen_address;
  // The TCP peer port's number: it is what the BEP 5 port message and announces tell peers.
  c.port = network_->listen_port();
  c.bootstrap = config_.settings.dht_bootstrap_nodes;
  auto service = std::make_unique<DhtService>(loop_, writer_, std::move(c),
                                              [this](const InfoHash& h, std::vector<tracker::PeerEndpoint> peers) {
                                                add_peers(h, peers, PeerSource::dht);
                                              });
  if (auto r = service->start(); !r) {
    log_warning("DHT off: " + r.error().message);
    return;
  }
  dht_ = std::move(service);
  config_.torrent.dht_port = dht_->stats().port;  // what port messages tell peers
  network_->set_dht_bit(true);
  for (auto& [id, t] : torrents_)
    if (t->engine) t->engine->set_dht_port(config_.torrent.dht_port);
}

void Session::stop_dht() {
  if (!dht_) return;
  dht_->close();  // saves the node table first
  dht_.reset();
  config_.torrent.dht_port = 0;
  if (network_) network_->set_dht_bit(false);
  for (auto& [id, t] : torrents_)
    if (t->engine) t->engine->set_dht_port(0);
}

void Session::dht_tick() {
  if (!dht_) return;
  std::vector<dht::ScheduledTorrent> torrents;
  for (auto& [id, t] : torrents_) {
    // A magnet still fetching may turn out private; until then it is public, as in libtorrent.
    if (t->paused || t->meta->is_private || t->error) continue;
    if (t->fetch) torrents.push_back({t->meta->info_hash, t->fetch->peer_count()});
    else if (t->engine && !t->checking && !t->engine->error())
      torrents.push_back({t->meta->info_hash, t->engine->peer_count()});
  }
  dht_->update_torrents(torrents, network_->listen_port());
}

void Session::add_dht_stats(SessionStats& s) {
  if (!dht_) return;
  const DhtServiceStats d = dht_->stats();
  if (!d.running) return;
  auto n = [](auto v) { return static_cast<std::int64_t>(v); };
  s.dht.enabled = true;
  s.dht.port = d.port;
  s.dht.nodes = n(d.node.nodes);
  s.dht.good_nodes = n(d.node.good_nodes);
  s.dht.buckets = n(d.node.buckets);
  s.dht.lookups_done = n(d.node.lookups_done);
  s.dht.lookups_running = n(d.node.lookups_running);
  s.dht.peers_found = n(d.node.peers_found);
  s.dht.announces_received = n(d.node.announces_received);
  s.dht.queries_received = n(d.node.queries_received);
  s.dht.queries_dropped = n(d.node.queries_dropped);
  s.dht.bad_packets = n(d.node.bad_packets);
  s.dht.stored_peers = n(d.node.stored_peers);
}

}  // namespace btd::daemon
