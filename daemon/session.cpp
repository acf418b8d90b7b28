#include "daemon/session.hpp"

#include <algorithm>
#include <random>

#include "core/util/base64.hpp"
#include "core/util/overloaded.hpp"
#include "core/util/hex.hpp"
#include "daemon/log.hpp"
#include "daemon/net/peer_network.hpp"
#include "daemon/net/peer_handshaker.hpp"
#include "daemon/tracker/torrent_announcer.hpp"
#include "daemon/tracker/http_client.hpp"
#include "daemon/tracker/udp_tracker_socket.hpp"
#include "rpc/error_codes.hpp"

namespace btd::daemon {

namespace {

void close_timer(uv_timer_t* timer) {
  if (timer == nullptr) return;
  uv_timer_stop(timer);
  uv_close(reinterpret_cast<uv_handle_t*>(timer),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

struct WaiterTimerData {
  Session* session;
  std::string id;
  std::weak_ptr<PieceWaiter> waiter;
  std::uint64_t timeout_ms;
};

// Waiter timers carry heap data: it is freed in the close callback, whichever path closes them.
void close_waiter_timer(PieceWaiter& w) {
  if (w.timer == nullptr) return;
  uv_timer_stop(w.timer);
  uv_close(reinterpret_cast<uv_handle_t*>(w.timer), [](uv_handle_t* h) {
    auto* timer = reinterpret_cast<uv_timer_t*>(h);
    delete static_cast<WaiterTimerData*>(timer->data);
    delete timer;
  });
  w.timer = nullptr;
}

TorrentFiles torrent_files(const Metainfo& m, const std::string& download_dir) {
  std::vector<LayoutFile> layout_files;
  std::vector<std::string> paths;
  for (const FileEntry& f : m.files) {
    layout_files.push_back({f.size, f.pad});
    paths.push_back(f.path);
  }
  auto layout = StorageLayout::create(std::move(layout_files), m.piece_length);
  // The metainfo parser checked the same sizes, so this cannot fail for a parsed torrent.
  return TorrentFiles{download_dir, std::move(paths), std::move(*layout), m.piece_hashes};
}

}  // namespace

Session::Session(uv_loop_t* loop, SessionConfig config, EventHub& events)
    : loop_(loop), config_(std::move(config)), events_(events), store_(config_.state_dir) {
  std::random_device rd;
  rng_state_ = (std::uint64_t{rd()} << 32) ^ rd();
  std::array<std::uint8_t, wire::kPeerIdRandomChars> random{};
  for (auto& b : random) b = static_cast<std::uint8_t>(rd());
  peer_id_ = wire::make_peer_id(random);
}

Session::~Session() = default;

Session::TimePoint Session::now() const {
  // uv_now is the loop's cached monotonic millisecond clock: the engine's time source.
  return TimePoint{std::chrono::milliseconds(uv_now(loop_))};
}

Result<void> Session::start() {
  net::PeerNetworkOptions net_options;
  net_options.peer_id = peer_id_;
  net_options.max_connections = config_.max_connections;
  net_options.max_connections_per_torrent = config_.torrent.max_peers;
  net::PeerNetworkCallbacks callbacks;
  callbacks.lookup = [this](const InfoHash& h) -> std::optional<net::TorrentMatch> {
    TorrentEntry* t = find(h);
    if (t == nullptr || !t->engine) return std::nullopt;
    return net::TorrentMatch{};
  };
  callbacks.on_peer_ready = [this](const net::PeerReady& r) { on_peer_ready(r); };
  callbacks.on_data = [this](net::SocketId s, std::string_view bytes) { on_peer_data(s, bytes); };
  callbacks.on_drain = [](net::SocketId) {};
  callbacks.on_closed = [this](net::SocketId s, const std::string& reason) { on_peer_closed(s, reason); };
  network_ = std::make_unique<net::PeerNetwork>(loop_, net_options, std::move(callbacks));
  if (auto r = network_->listen(config_.listen_address, static_cast<std::uint16_t>(config_.listen_port)); !r)
    return r;
  config_.torrent.listen_port = network_->listen_port();
  http_ = std::make_unique<HttpClient>(loop_);
  udp_ = std::make_unique<UdpTrackerSocket>(loop_);
  if (auto r = udp_->open(); !r) log_warning("UDP trackers unavailable: " + r.error().message);

  tick_timer_ = new uv_timer_t;
  uv_timer_init(loop_, tick_timer_);
  tick_timer_->data = this;
  uv_timer_start(tick_timer_, [](uv_timer_t* t) { static_cast<Session*>(t->data)->tick(); }, 1000, 1000);

  std::vector<std::string> problems;
  for (StoredTorrent& st : store_.load_all(problems)) {
    auto r = add_torrent(std::move(st.torrent_bytes), st.download_dir, st.paused, {}, st.added_at, false);
    if (!r) log_error("cannot restore torrent " + st.id + ": " + r.error().message);
  }
  for (const auto& p : problems) log_error("state dir: " + p);
  return {};
}

void Session::stop(std::function<void()> done) {
  stopping_ = true;
  close_timer(tick_timer_);
  tick_timer_ = nullptr;
  auto remaining = std::make_shared<std::size_t>(torrents_.size() + 1);
  auto finish = [this, remaining, done]() {
    if (--*remaining > 0) return;
    if (network_) network_->close_all();
    // Every handle must be closed before the loop can be: announcer timers, disk jobs' state.
    for (auto& [tid, t] : torrents_) {
      if (t->announcer) t->announcer->close();
      if (t->disk) t->disk->close();
    }
    for (auto& a : stopping_announcers_) a->close();
    finished_announcers_.clear();
    if (http_) http_->close();
    if (udp_) udp_->close();
    done();
  };
  for (auto& [id, t] : torrents_) {
    for (auto& w : t->waiters) {
      close_waiter_timer(*w);
      if (!w->done) w->respond.error(rpc::code::internal_error, "daemon is shutting down");
    }
    t->waiters.clear();
    if (t->disk) t->disk->cancel_check();
    if (t->announcer) t->announcer->stop(finish);
    else finish();
  }
  finish();
}

SessionStats Session::stats() {
  SessionStats s;
  if (network_) s.listen_port = network_->listen_port();
  s.torrents = static_cast<std::int64_t>(torrents_.size());
  const TimePoint t = now();
  for (auto& [id, e] : torrents_) {
    if (!e->engine) continue;
    s.download_rate += static_cast<std::int64_t>(e->engine->download_rate(t));
    s.upload_rate += static_cast<std::int64_t>(e->engine->upload_rate(t));
    s.downloaded += static_cast<std::int64_t>(e->engine->downloaded());
    s.uploaded += static_cast<std::int64_t>(e->engine->uploaded());
    s.peers += static_cast<std::int64_t>(e->engine->peer_count());
  }
  return s;
}

// ---- torrent lifecycle ---------------------------------------------------------------------

rpc::RpcResult<rpc::Json> Session::add_torrent(std::string torrent_bytes, std::string download_dir, bool paused,
                                               const std::vector<std::string>& peers, std::int64_t added_at,
                                               bool persist) {
  auto meta = parse_metainfo(torrent_bytes);
  if (!meta) return rpc::RpcError(rpc::code::invalid_metainfo, meta.error().message);
  const std::string id = meta->info_hash.hex();
  if (TorrentEntry* existing = find(id))
    return rpc::Json{{"id", id}, {"name", existing->meta->name}, {"duplicate", true}};

  std::vector<tracker::PeerEndpoint> endpoints;
  for (const std::string& p : peers) {
    auto ep = tracker::parse_endpoint(p);
    if (!ep) return rpc::RpcError(rpc::code::invalid_params, "invalid params: peer \"" + p + "\" is not host:port");
    endpoints.push_back(*ep);
  }
  auto entry = std::make_unique<TorrentEntry>();
  entry->id = id;
  entry->meta = std::make_shared<const Metainfo>(std::move(*meta));
  entry->torrent_bytes = std::move(torrent_bytes);
  entry->download_dir = download_dir.empty() ? config_.download_dir : download_dir;
  entry->added_at = added_at;
  entry->paused = paused;
  entry->pending_peers = std::move(endpoints);
  entry->disk = make_thread_pool_disk_io(loop_, torrent_files(*entry->meta, entry->download_dir));
  if (persist) {
    StoredTorrent st{id, entry->torrent_bytes, entry->download_dir, paused, added_at};
    if (auto r = store_.save(st); !r) return rpc::RpcError(rpc::code::io_error, r.error().message);
  }
  TorrentEntry& t = *entry;
  torrents_[id] = std::move(entry);
  log_info("added " + id + " \"" + t.meta->name + "\" to " + t.download_dir);
  events_.emit("torrent.added", {{"id", id}, {"name", t.meta->name}});
  start_check(t);
  return rpc::Json{{"id", id}, {"name", t.meta->name}, {"duplicate", false}};
}

void Session::retire_announcer(std::unique_ptr<TorrentAnnouncer> announcer) {
  TorrentAnnouncer* raw = announcer.get();
  stopping_announcers_.push_back(std::move(announcer));
  raw->stop([this, raw] {
    // Not destroyed from inside its own callback: parked until the next tick.
    auto it = std::find_if(stopping_announcers_.begin(), stopping_announcers_.end(),
                           [raw](const auto& a) { return a.get() == raw; });
    if (it == stopping_announcers_.end()) return;
    finished_announcers_.push_back(std::move(*it));
    stopping_announcers_.erase(it);
  });
}

void Session::start_check(TorrentEntry& t) {
  // Without resume data (issue 4) every start re-hashes what is on disk: a piece counts as had
  // only when it verifies. Missing files are fast: their pieces are simply missing.
  t.checking = true;
  t.check_progress = 0;
  const std::string id = t.id;
  t.disk->check(
      [this, id](std::uint32_t done) {
        if (TorrentEntry* e = find(id)) e->check_progress = done;
      },
      [this, id](Result<Bitfield> have) { on_check_done(id, std::move(have)); });
}

void Session::on_check_done(const std::string& id, Result<Bitfield> have) {
  TorrentEntry* t = find(id);
  if (t == nullptr) return;
  t->checking = false;
  if (!have) {
    t->error = have.error().message;
    log_error("check of " + id + " failed: " + t->error.value());
    events_.emit("torrent.error", {{"id", id}, {"message", *t->error}});
    have = Bitfield(t->meta->piece_count);
  }
  start_engine(*t, std::move(*have));
  for (auto& f : t->after_check) f();
  t->after_check.clear();
}

void Session::start_engine(TorrentEntry& t, Bitfield have) {
  const bool was_complete = have.all();
  auto engine = Torrent::create(t.meta, std::move(have), config_.torrent, rng_state_++);
  if (!engine) {
    t.error = engine.error().message;
    return;
  }
  t.engine = std::move(*engine);
  const TimePoint n = now();
  if (t.paused) t.engine->set_paused(true, n);
  if (!t.pending_peers.empty()) t.engine->add_peer_candidates(t.pending_peers, n, true);
  t.pending_peers.clear();
  for (auto& w : std::vector<std::shared_ptr<PieceWaiter>>(t.waiters)) {
    if (w->done) continue;
    if (t.engine->is_have(w->piece)) serve_waiter(t, w);
    else (void)t.engine->fetch_now(w->piece, n);
  }
  if (config_.announce_to_trackers && !t.meta->trackers.empty() && !t.announcer) {
    const std::string id = t.id;
    TorrentAnnouncerConfig ac;
    ac.info_hash = t.meta->info_hash;
    ac.peer_id = std::string(peer_id_.view());
    ac.listen_port = network_->listen_port();
    ac.tiers = t.meta->trackers;
    t.announcer = std::make_unique<TorrentAnnouncer>(loop_, *http_, *udp_, ac);
    t.announcer->set_stats_provider([this, id]() -> AnnounceStats {
      TorrentEntry* e = find(id);
      if (!e || !e->engine) return {};
      return {static_cast<std::int64_t>(e->engine->uploaded()), static_cast<std::int64_t>(e->engine->downloaded()),
              e->meta->total_size - e->engine->bytes_have()};
    });
    t.announcer->set_on_peers([this, id](std::vector<tracker::PeerEndpoint> peers) {
      TorrentEntry* e = find(id);
      if (!e || !e->engine) return;
      e->engine->add_peer_candidates(peers, now());
      drain(*e);
    });
    if (was_complete) t.announcer->completed();
    t.announcer->start();
  }
  drain(t);
}

void Session::remove_torrent(const std::string& id, bool delete_data, rpc::Responder respond) {
  auto it = torrents_.find(id);
  if (it == torrents_.end()) {
    respond.error(rpc::code::torrent_not_found, "torrent not found: " + id);
    return;
  }
  std::unique_ptr<TorrentEntry> t = std::move(it->second);
  torrents_.erase(it);
  for (auto& w : t->waiters) {
    close_waiter_timer(*w);
    if (!w->done) w->respond.error(rpc::code::torrent_not_found, "torrent removed: " + id);
  }
  close_peers(*t, "torrent removed");
  if (auto r = store_.remove(id); !r) log_error(r.error().message);
  if (t->announcer) retire_announcer(std::move(t->announcer));
  events_.emit("torrent.removed", {{"id", id}});
  t->disk->cancel_check();
  if (!delete_data) {
    t->disk->close();
    respond.result({{"id", id}});
    return;
  }
  DiskIo* disk = t->disk.get();
  auto holder = std::make_shared<std::unique_ptr<TorrentEntry>>(std::move(t));
  disk->remove_files([holder, respond, id](Result<void> r) {
    (*holder)->disk->close();
    if (!r) respond.error(rpc::code::io_error, r.error().message);
    else respond.result({{"id", id}});
  });
}

// ---- effects -------------------------------------------------------------------------------

void Session::drain(TorrentEntry& t) {
  if (!t.engine) return;
  const std::string id = t.id;
  for (;;) {
    std::vector<TorrentEffect> effects = t.engine->take_effects();
    if (effects.empty()) return;
    for (TorrentEffect& effect : effects) {
      std::visit(
          Overloaded{
              [&](torrent_effect::Send& e) { network_->send(e.peer.get(), std::move(e.bytes)); },
              [&](torrent_effect::Close& e) {
                socket_torrent_.erase(e.peer.get());
                network_->close(e.peer.get(), e.reason);
                log_debug(id.substr(0, 8) + ": closed peer: " + e.reason);
              },
              [&](torrent_effect::Connect& e) { connect_peer(t, e.endpoint); },
              [&](torrent_effect::VerifyAndWrite& e) {
                const PieceIndex piece = e.piece;
                t.disk->verify_and_write(piece, std::move(e.data),
                                         [this, id, piece](bool ok, std::optional<Error> err) {
                                           TorrentEntry* te = find(id);
                                           if (!te || !te->engine) return;
                                           te->engine->on_piece_written(piece, ok, std::move(err), now());
                                           drain(*te);
                                         });
              },
              [&](torrent_effect::ReadBlock& e) {
                const PeerKey peer = e.peer;
                const BlockRequest block = e.block;
                t.disk->read_block(block.piece, block.begin, block.length,
                                   [this, id, peer, block](Result<std::string> data) {
                                     TorrentEntry* te = find(id);
                                     if (!te || !te->engine) return;
                                     te->engine->on_block_read(peer, block, std::move(data), now());
                                     drain(*te);
                                   });
              },
              [&](torrent_effect::PieceVerified& e) { on_piece_verified(t, e.piece); },
              [&](torrent_effect::PieceFailed& e) {
                log_warning(id.substr(0, 8) + ": piece " + std::to_string(e.piece.get()) + " failed its hash check");
              },
              [&](torrent_effect::Completed&) {
                log_notice(id.substr(0, 8) + ": download complete");
                if (t.announcer) t.announcer->completed();
                events_.emit("torrent.completed", {{"id", id}, {"name", t.meta->name}});
              },
              [&](torrent_effect::Failed& e) {
                log_error(id.substr(0, 8) + ": " + e.message);
                events_.emit("torrent.error", {{"id", id}, {"message", e.message}});
              },
          },
          effect);
    }
  }
}

void Session::on_piece_verified(TorrentEntry& t, PieceIndex piece) {
  if (events_.wants("piece.verified")) events_.emit("piece.verified", {{"id", t.id}, {"index", piece.get()}});
  for (auto& w : std::vector<std::shared_ptr<PieceWaiter>>(t.waiters))
    if (!w->done && w->piece == piece) serve_waiter(t, w);
}

void Session::serve_waiter(TorrentEntry& t, const std::shared_ptr<PieceWaiter>& w) {
  w->done = true;
  close_waiter_timer(*w);
  t.waiters.erase(std::remove(t.waiters.begin(), t.waiters.end(), w), t.waiters.end());
  const std::string id = t.id;
  const std::string sha = t.meta->piece_hash(w->piece).hex();
  // Read back what was written after the hash check: never bytes that did not pass it.
  t.disk->read_block(w->piece, w->offset, w->length, [w, id, sha](Result<std::string> data) {
    if (!data) {
      w->respond.error(rpc::code::io_error, data.error().message);
      return;
    }
    w->respond.result({{"id", id}, {"index", w->piece.get()}, {"offset", w->offset}, {"length", w->length},
                       {"sha1", sha}, {"data", to_base64(*data)}});
  });
}

void Session::wait_for_piece(TorrentEntry& t, std::shared_ptr<PieceWaiter> w, std::uint64_t timeout_ms) {
  t.waiters.push_back(w);
  if (t.engine && t.engine->is_have(w->piece)) {
    serve_waiter(t, w);
    return;
  }
  w->timer = new uv_timer_t;
  uv_timer_init(loop_, w->timer);
  w->timer->data = new WaiterTimerData{this, t.id, w, timeout_ms};
  uv_timer_start(
      w->timer,
      [](uv_timer_t* timer) {
        auto* d = static_cast<WaiterTimerData*>(timer->data);
        auto waiter = d->waiter.lock();
        if (!waiter || waiter->done) return;
        waiter->done = true;
        close_waiter_timer(*waiter);
        if (TorrentEntry* te = d->session->find(d->id))
          te->waiters.erase(std::remove(te->waiters.begin(), te->waiters.end(), waiter), te->waiters.end());
        // The piece keeps its priority: a later call will find it sooner.
        waiter->respond.error(rpc::code::timeout, "timed out after " + std::to_string(d->timeout_ms) +
                                                      " ms waiting for piece " + std::to_string(waiter->piece.get()) +
                                                      "; it stays first in line");
      },
      timeout_ms, 0);
  if (t.engine) {
    (void)t.engine->fetch_now(w->piece, now());
    drain(t);
  }
}

void Session::set_paused(TorrentEntry& t, bool paused) {
  t.paused = paused;
  if (paused) t.error.reset();
  if (t.engine) {
    t.engine->set_paused(paused, now());
    drain(t);
  }
  StoredTorrent st{t.id, {}, t.download_dir, paused, t.added_at};
  if (auto r = store_.save_settings(st); !r) log_error(r.error().message);
}

void Session::close_peers(TorrentEntry& t, const std::string& reason) {
  for (auto it = socket_torrent_.begin(); it != socket_torrent_.end();) {
    if (it->second == t.id) {
      network_->close(it->first, reason);
      it = socket_torrent_.erase(it);
    } else {
      ++it;
    }
  }
}

void Session::verify(TorrentEntry& t) {
  if (t.checking) return;
  close_peers(t, "torrent is being verified");
  t.engine.reset();
  t.error.reset();
  start_check(t);
}

// ---- peers ---------------------------------------------------------------------------------

void Session::connect_peer(TorrentEntry& t, const tracker::PeerEndpoint& endpoint) {
  auto socket = network_->connect(endpoint, t.meta->info_hash);
  if (!socket) {
    // Refused at once (limit, duplicate): the engine tries another candidate later.
    t.engine->on_connect_failed(endpoint, now());
    return;
  }
  connecting_[*socket] = {t.id, endpoint};
}

void Session::on_peer_ready(const net::PeerReady& r) {
  connecting_.erase(r.id);
  TorrentEntry* t = find(r.info_hash);
  if (t == nullptr || !t->engine) {
    network_->close(r.id, t ? "torrent is checking" : "unknown torrent");
    return;
  }
  auto ok = t->engine->on_peer_connected(PeerKey{static_cast<std::uint32_t>(r.id)}, r.endpoint, r.incoming,
                                         r.theirs, r.leftover, now());
  if (!ok) {
    network_->close(r.id, ok.error().message);
    drain(*t);
    return;
  }
  socket_torrent_[r.id] = t->id;
  drain(*t);
}

void Session::on_peer_data(std::uint64_t socket, std::string_view bytes) {
  auto it = socket_torrent_.find(socket);
  if (it == socket_torrent_.end()) return;
  TorrentEntry* t = find(it->second);
  if (t == nullptr || !t->engine) return;
  t->engine->on_peer_data(PeerKey{static_cast<std::uint32_t>(socket)}, bytes, now());
  drain(*t);
}

void Session::on_peer_closed(std::uint64_t socket, const std::string& reason) {
  if (auto c = connecting_.find(socket); c != connecting_.end()) {
    auto [id, endpoint] = c->second;
    connecting_.erase(c);
    if (TorrentEntry* t = find(id); t && t->engine) {
      t->engine->on_connect_failed(endpoint, now());
      drain(*t);
    }
    return;
  }
  auto it = socket_torrent_.find(socket);
  if (it == socket_torrent_.end()) return;
  const std::string id = it->second;
  socket_torrent_.erase(it);
  if (TorrentEntry* t = find(id); t && t->engine) {
    t->engine->on_peer_closed(PeerKey{static_cast<std::uint32_t>(socket)}, reason, now());
    drain(*t);
  }
}

// ---- lookups and status ----------------------------------------------------------------------

TorrentEntry* Session::find(const std::string& id) {
  auto it = torrents_.find(id);
  return it == torrents_.end() ? nullptr : it->second.get();
}

TorrentEntry* Session::find(const InfoHash& info_hash) { return find(info_hash.hex()); }

rpc::RpcResult<TorrentEntry*> Session::resolve(const std::string& id_or_prefix) {
  std::string key = id_or_prefix;
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (TorrentEntry* t = find(key)) return t;
  std::vector<std::string> candidates;
  if (key.size() >= 6)
    for (auto& [id, t] : torrents_)
      if (id.rfind(key, 0) == 0) candidates.push_back(id);
  if (candidates.size() == 1) return find(candidates[0]);
  return rpc::RpcError(rpc::code::torrent_not_found,
                       candidates.empty() ? "torrent not found: " + id_or_prefix
                                          : "ambiguous torrent id: " + id_or_prefix,
                       rpc::Json{{"candidates", candidates}});
}

rpc::Json Session::status_json(TorrentEntry& t, TimePoint n) {
  const Metainfo& m = *t.meta;
  std::string state = "checking";
  std::optional<std::string> error = t.error;
  std::int64_t have_bytes = 0;
  std::size_t pieces_have = 0;
  double down = 0, up = 0;
  std::uint64_t downloaded = 0, uploaded = 0;
  std::size_t peers = 0, seeds = 0;
  if (t.engine && !t.checking) {
    state = torrent_state_name(t.engine->state());
    if (t.engine->error()) error = t.engine->error();
    have_bytes = t.engine->bytes_have();
    pieces_have = t.engine->have().count();
    down = t.engine->download_rate(n);
    up = t.engine->upload_rate(n);
    downloaded = t.engine->downloaded();
    uploaded = t.engine->uploaded();
    peers = t.engine->peer_count();
    seeds = t.engine->seed_count();
  }
  if (error) state = "error";
  const double progress = m.piece_count == 0 ? 0.0 : static_cast<double>(pieces_have) / m.piece_count;
  rpc::Json eta = nullptr;
  if (state == "seeding") eta = 0;
  else if (down > 0) eta = static_cast<std::int64_t>(static_cast<double>(m.total_size - have_bytes) / down);
  rpc::Json trackers = rpc::Json::array();
  if (t.announcer) {
    for (const auto& row : t.announcer->status())
      trackers.push_back({{"url", row.url}, {"status", row.status},
                          {"last_error", row.last_error.empty() ? rpc::Json() : rpc::Json(row.last_error)},
                          {"peers", row.peers ? rpc::Json(*row.peers) : rpc::Json(0)}});
  } else {
    for (const auto& tier : m.trackers)
      for (const auto& url : tier)
        trackers.push_back({{"url", url}, {"status", "not contacted"}, {"last_error", nullptr}, {"peers", 0}});
  }
  return {
      {"id", t.id},
      {"name", m.name},
      {"state", state},
      {"progress", progress},
      {"size", m.total_size},
      {"piece_length", m.piece_length},
      {"pieces", m.piece_count},
      {"pieces_have", pieces_have},
      {"downloaded", downloaded},
      {"uploaded", uploaded},
      {"downloaded_total", downloaded},
      {"uploaded_total", uploaded},
      {"download_rate", static_cast<std::int64_t>(down)},
      {"upload_rate", static_cast<std::int64_t>(up)},
      {"peers", peers},
      {"seeds", seeds},
      {"eta_s", eta},
      {"download_dir", t.download_dir},
      {"error", error ? rpc::Json(*error) : rpc::Json()},
      {"added_at", t.added_at},
      {"trackers", trackers},
      {"check_progress", t.checking ? rpc::Json(static_cast<double>(t.check_progress) / m.piece_count) : rpc::Json()},
  };
}

void Session::tick() {
  finished_announcers_.clear();
  const TimePoint n = now();
  for (auto& [id, t] : torrents_) {
    if (!t->engine) continue;
    t->engine->tick(n);
    drain(*t);
  }
}

}  // namespace btd::daemon
