// The session's side of local service discovery (BEP 14): starting and stopping the LsdService
// with the "lsd" setting, telling it which torrents may be announced (running, never private:
// BEP 27), and handing the peers other clients announce to our torrents.
#include "core/util/hex.hpp"
#include "daemon/log.hpp"
#include "daemon/lsd/lsd_service.hpp"
#include "daemon/net/peer_network.hpp"
#include "daemon/session.hpp"

namespace btd::daemon {

void Session::start_lsd() {
  if (lsd_ || !network_ || stopping_) return;
  LsdServiceConfig c;
  c.interface_address = config_.settings.lsd_interface;
  auto service = std::make_unique<LsdService>(loop_, std::move(c),
                                              [this](const InfoHash& h, const tracker::PeerEndpoint& peer) {
                                                TorrentEntry* t = find(h);
                                                if (t == nullptr || t->meta->is_private) return false;
                                                log_debug(t->id.substr(0, 8) + ": LSD: peer " + tracker::to_string(peer));
                                                return add_peers(*t, {peer}, PeerSource::lsd) > 0;
                                              });
  if (auto r = service->start(); !r) {
    log_warning("LSD off: " + r.error().message);
    return;
  }
  lsd_ = std::move(service);
}

void Session::stop_lsd() {
  if (!lsd_) return;
  lsd_->close();
  lsd_.reset();
}

void Session::add_lsd_stats(SessionStats& s) const {
  if (!lsd_) return;
  const LsdServiceStats& l = lsd_->stats();
  auto n = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  s.lsd.enabled = true;
  s.lsd.announces_sent = n(l.announces_sent);
  s.lsd.announces_received = n(l.announces_received);
  s.lsd.bad_announces = n(l.bad_announces);
  s.lsd.peers_found = n(l.peers_found);
}

void Session::lsd_tick() {
  if (!lsd_) return;
  std::vector<InfoHash> active;
  for (auto& [id, t] : torrents_) {
    if (t->paused || t->meta->is_private || t->error) continue;
    if (t->fetch || (t->engine && !t->checking && !t->engine->error())) active.push_back(t->meta->info_hash);
  }
  lsd_->tick(active, network_->listen_port());
}

}  // namespace btd::daemon
