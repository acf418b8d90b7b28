// Magnet links in the session: a torrent added from a magnet URI fetches its info dict from peers
// (MetadataFetch executes here), is stored as <infohash>.magnet until then, and once the dict
// verifies it is stored as <infohash>.torrent and goes on exactly as an added .torrent: check,
// download, seed. Also the session's entry point for peers from any source (trackers, the user,
// and later the DHT, PEX and LSD).
#include <algorithm>

#include "core/magnet/select_only.hpp"
#include "core/metadata/torrent_from_metadata.hpp"
#include "core/util/overloaded.hpp"
#include "daemon/log.hpp"
#include "daemon/net/peer_network.hpp"
#include "daemon/session.hpp"
#include "daemon/tracker/torrent_announcer.hpp"
#include "rpc/error_codes.hpp"

namespace btd::daemon {

rpc::RpcResult<rpc::Json> Session::add_magnet(const std::string& uri, std::string download_dir, bool paused,
                                              const std::vector<std::string>& peers, std::int64_t added_at,
                                              std::optional<ResumeData> resume, const AddSelection& selection) {
  auto magnet = parse_magnet(uri);
  if (!magnet) return rpc::RpcError(rpc::code::invalid_metainfo, magnet.error().message);
  const std::string id = magnet->info_hash.hex();
  if (TorrentEntry* existing = find(id))
    return rpc::Json{{"id", id}, {"name", existing->meta->name}, {"duplicate", true}};

  auto parsed = parse_named_peers(peers);
  if (!parsed) return parsed.error();
  std::vector<tracker::PeerEndpoint> named = std::move(*parsed);
  // x.pe (BEP 9) names peers as the user's --peer does; one that is not an address:port (a host
  // name, say) is skipped: the link stays usable through its other sources.
  for (const std::string& p : magnet->peers) {
    if (auto ep = tracker::parse_endpoint(p)) named.push_back(*ep);
    else log_warning(id.substr(0, 8) + ": magnet x.pe=" + p + " is not an IP address and port; skipped");
  }
  if (magnet->select_only) {
    // BEP 53: kept with the link (the .magnet file) and applied once the metadata names the
    // files (apply_select_only); a malformed one is said now, and then means every file.
    if (auto so = parse_select_only(*magnet->select_only); !so)
      log_warning(id.substr(0, 8) + ": " + so.error().message + "; every file will be downloaded");
  }

  auto entry = std::make_unique<TorrentEntry>();
  entry->id = id;
  entry->meta = std::make_shared<const Metainfo>(placeholder_metainfo(*magnet));
  entry->download_dir = download_dir.empty() ? config_.download_dir : download_dir;
  entry->added_at = added_at;
  entry->paused = paused;
  remember_peers(entry->named_peers, named);
  entry->pending_selection = selection;
  if (resume) {
    if (resume->pending_only) entry->pending_selection.only = resume->pending_only;
    if (!resume->pending_skip.empty()) entry->pending_selection.skip = resume->pending_skip;
    entry->downloaded_before = resume->downloaded_total;
    entry->uploaded_before = resume->uploaded_total;
    entry->limits.download_rate_limit = resume->download_rate_limit;
    entry->limits.upload_rate_limit = resume->upload_rate_limit;
    if (resume->max_connections) entry->limits.max_connections = static_cast<std::size_t>(*resume->max_connections);
    for (const std::string& p : resume->peers)
      if (auto ep = tracker::parse_endpoint(p)) entry->tracker_peers.push_back(*ep);
    entry->resume = std::move(resume);
  }
  entry->magnet = std::move(*magnet);

  MetadataFetchConfig fc;
  fc.client_name = config_.torrent.client_name;
  fc.listen_port = config_.torrent.listen_port;
  fc.max_connecting = config_.torrent.max_connecting;
  entry->fetch = std::make_unique<MetadataFetch>(entry->meta->info_hash, fc);

  TorrentEntry& t = *entry;
  torrents_[id] = std::move(entry);
  log_info("added magnet " + id + " \"" + t.meta->name + "\" to " + t.download_dir + ": fetching its metadata");
  events_.emit("torrent.added", {{"id", id}, {"name", t.meta->name}});
  apply_torrent_limits(t);
  const TimePoint n = now();
  if (t.paused) t.fetch->set_paused(true, n);
  if (!t.named_peers.empty()) t.fetch->add_peer_candidates(t.named_peers, n, true);
  if (!t.tracker_peers.empty()) t.fetch->add_peer_candidates(t.tracker_peers, n);
  start_announcer(t, false);
  drain_fetch(t);
  return rpc::Json{{"id", id}, {"name", t.meta->name}, {"duplicate", false}};
}

void Session::add_new_magnet(const std::string& uri, std::string download_dir, bool paused,
                             const std::vector<std::string>& peers, std::int64_t added_at, rpc::Responder respond,
                             const AddSelection& selection) {
  // The metadata may arrive before this is written: the .torrent is queued after it and wins
  // on a restart.
  answer_when_durable(
      add_magnet(uri, std::move(download_dir), paused, peers, added_at, std::nullopt, selection), "magnet",
      [uri](const StateStore& store, const std::string& id) { return store.save_magnet(id, uri); },
      std::move(respond));
}

void Session::drain_fetch(TorrentEntry& t) {
  if (!t.fetch) return;
  const std::string id = t.id;
  for (;;) {
    std::vector<TorrentEffect> effects = t.fetch->take_effects();
    if (effects.empty()) break;
    for (TorrentEffect& effect : effects) {
      std::visit(Overloaded{
                     [&](torrent_effect::Send& e) { network_->send(e.peer.get(), std::move(e.bytes)); },
                     [&](torrent_effect::Close& e) {
                       socket_torrent_.erase(e.peer.get());
                       network_->close(e.peer.get(), e.reason);
                       log_debug(id.substr(0, 8) + ": closed peer: " + e.reason);
                     },
                     [&](torrent_effect::Connect& e) { connect_peer(t, e.endpoint); },
                     [&](auto&) {},  // a metadata fetch has no disk, pieces or completion
                 },
                 effect);
    }
  }
  if (t.fetch->done()) on_metadata_fetched(t);
}

void Session::on_metadata_fetched(TorrentEntry& t) {
  auto made = torrent_from_metadata(*t.magnet, t.fetch->take_metadata());
  // The peers that served it are dialled again by the engine: their connections knew nothing
  // of pieces (there were none when their bitfields came).
  remember_peers(t.tracker_peers, t.fetch->known_peers());
  close_peers(t, "metadata complete; reconnecting to download");
  t.fetch.reset();
  auto fail = [&](std::string message) {
    t.error = std::move(message);
    log_error(t.id.substr(0, 8) + ": " + *t.error);
    events_.emit("torrent.error", {{"id", t.id}, {"message", *t.error}});
    for (auto& w : std::vector<std::shared_ptr<PieceWaiter>>(t.waiters))
      if (!w->done) fail_waiter(t, w, rpc::RpcError(rpc::code::invalid_metainfo, *t.error));
  };
  if (!made) {
    // It hashed to the info-hash, so the link itself names a torrent btd cannot take.
    fail("the metadata fetched for this magnet link is not a usable torrent: " + made.error().message);
    return;
  }
  t.meta = std::make_shared<const Metainfo>(std::move(made->meta));
  t.torrent_bytes = std::move(made->torrent_bytes);
  if (auto opened = open_disk(t); !opened) {
    fail(opened.error().message);
    return;
  }
  // Before the check, so the engine starts with the selection: torrent.add's first, so= if none.
  apply_pending_selection(t);
  apply_select_only(t);
  // get-piece calls made while fetching: checked now, fetched once the engine starts.
  for (auto& w : std::vector<std::shared_ptr<PieceWaiter>>(t.waiters)) {
    if (w->done || !w->unresolved) continue;
    auto span = resolve_piece_request(*t.meta, *w->unresolved);
    if (!span) {
      fail_waiter(t, w, span.error());
      continue;
    }
    w->piece = span->piece;
    w->offset = span->offset;
    w->length = span->length;
    w->unresolved.reset();
  }
  log_notice(t.id.substr(0, 8) + ": metadata received: \"" + t.meta->name + "\", " +
             std::to_string(t.meta->files.size()) + " files, " + std::to_string(t.meta->total_size) + " bytes" +
             (t.meta->is_private ? ", private (no DHT, PEX or LSD from now on)" : ""));
  // Stored exactly as an added .torrent: a restart loads it and fetches nothing.
  writer_.enqueue([store = store_, id = t.id, bytes = t.torrent_bytes] { return store.save_torrent(id, bytes); },
                  [id = t.id](Result<void> saved) {
                    if (!saved)
                      log_error("cannot save the fetched metadata of " + id + " (" + saved.error().message +
                                "); a restart fetches it again");
                  });
  apply_torrent_limits(t);
  start_check(t);
  save_resume(t);
}

std::size_t Session::add_peers(TorrentEntry& t, const std::vector<tracker::PeerEndpoint>& peers, PeerSource source) {
  const bool discovery = source == PeerSource::dht || source == PeerSource::pex || source == PeerSource::lsd;
  if (discovery && t.meta->is_private) return 0;  // BEP 27
  const bool named = source == PeerSource::user;
  remember_peers(named ? t.named_peers : t.tracker_peers, peers);
  if (t.fetch) {
    t.fetch->add_peer_candidates(peers, now(), named);
    drain_fetch(t);
  } else if (t.engine) {
    t.engine->add_peer_candidates(peers, now(), named);
    drain(t);
  }
  return peers.size();
}

std::size_t Session::add_peers(const InfoHash& info_hash, const std::vector<tracker::PeerEndpoint>& peers,
                               PeerSource source) {
  TorrentEntry* t = find(info_hash);
  return t == nullptr ? 0 : add_peers(*t, peers, source);
}

bool Session::is_private(const InfoHash& info_hash) {
  TorrentEntry* t = find(info_hash);
  return t != nullptr && t->meta->is_private;
}

}  // namespace btd::daemon
