#include "daemon/session.hpp"

#include <algorithm>
#include <random>

#include "core/mse/mse_keys.hpp"
#include "core/util/base64.hpp"
#include "core/util/overloaded.hpp"
#include "core/util/hex.hpp"
#include "daemon/dht/dht_service.hpp"
#include "daemon/file_selection.hpp"
#include "daemon/lsd/lsd_service.hpp"
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

}  // namespace

StorageLayout layout_of(const Metainfo& m) {
  std::vector<LayoutFile> layout_files;
  for (const FileEntry& f : m.files) layout_files.push_back({f.size, f.pad});
  auto layout = StorageLayout::create(std::move(layout_files), m.piece_length);
  // The metainfo parser checked the same sizes, so this cannot fail for a parsed torrent.
  return std::move(*layout);
}

namespace {

TorrentFiles torrent_files(const Metainfo& m, const std::string& download_dir) {
  std::vector<std::string> paths;
  for (const FileEntry& f : m.files) paths.push_back(f.path);
  return TorrentFiles{download_dir, std::move(paths), layout_of(m), m.piece_hashes};
}

// Resume data is saved at most this often while pieces keep arriving: each save fsyncs the
// files written since the last one, so this bounds both the work redone after a crash and
// the fsync load.
constexpr std::uint64_t kResumeSaveIntervalMs = 5000;
// At shutdown, how long to wait for piece writes in flight before the last save.
constexpr std::uint64_t kShutdownWriteWaitMs = 3000;

}  // namespace

Session::Session(uv_loop_t* loop, SessionConfig config, EventHub& events)
    : loop_(loop), config_(std::move(config)), events_(events), store_(config_.state_dir), writer_(loop) {
  std::random_device rd;
  rng_state_ = (std::uint64_t{rd()} << 32) ^ rd();
  std::array<std::uint8_t, wire::kPeerIdRandomChars> random{};
  for (auto& b : random) b = static_cast<std::uint8_t>(rd());
  peer_id_ = wire::make_peer_id(random);
  config_.torrent.max_peers = config_.settings.max_connections_per_torrent;
  config_.torrent.pex = config_.settings.pex;
}

Session::~Session() = default;

Session::TimePoint Session::now() const {
  // uv_now is the loop's cached monotonic millisecond clock: the engine's time source.
  return TimePoint{std::chrono::milliseconds(uv_now(loop_))};
}

Result<void> Session::start() {
  net::PeerNetworkOptions net_options;
  net_options.peer_id = peer_id_;
  net_options.max_connections = config_.settings.max_connections;
  net_options.max_connections_per_torrent = config_.settings.max_connections_per_torrent;
  net_options.encryption = config_.settings.encryption;
  net::PeerNetworkCallbacks callbacks;
  callbacks.lookup = [this](const InfoHash& h) -> std::optional<net::TorrentMatch> {
    TorrentEntry* t = find(h);
    if (t == nullptr || (!t->engine && !t->fetch)) return std::nullopt;
    return net::TorrentMatch{t->limits.max_connections.value_or(0)};
  };
  // Hashing every info-hash per encrypted handshake costs microseconds per torrent; it only
  // runs after the DH exchange, which costs more.
  callbacks.lookup_obfuscated = [this](const Sha1Digest& req2) -> std::optional<InfoHash> {
    for (const auto& [id, t] : torrents_)
      if (mse::req2_hash(t->meta->info_hash) == req2) return t->meta->info_hash;
    return std::nullopt;
  };
  callbacks.on_peer_ready = [this](const net::PeerReady& r) { on_peer_ready(r); };
  callbacks.on_data = [this](net::SocketId s, std::string_view bytes) { on_peer_data(s, bytes); };
  // The engine holds back block reads for a peer until what it was sent has left, piece data
  // waiting for upload tokens included: a peer that does not read must not make us buffer.
  callbacks.on_drain = [this](net::SocketId s) {
    if (network_->queued_bytes(s) != 0) return;
    auto it = socket_torrent_.find(s);
    if (it == socket_torrent_.end()) return;
    TorrentEntry* t = find(it->second);
    if (t == nullptr || !t->engine) return;
    t->engine->on_peer_drained(PeerKey{static_cast<std::uint32_t>(s)});
    drain(*t);
  };
  callbacks.on_closed = [this](net::SocketId s, const std::string& reason) { on_peer_closed(s, reason); };
  network_ = std::make_unique<net::PeerNetwork>(loop_, net_options, std::move(callbacks));
  network_->set_rate_limits(config_.settings.download_rate_limit, config_.settings.upload_rate_limit);
  if (auto r = network_->listen(config_.listen_address, static_cast<std::uint16_t>(config_.listen_port)); !r)
    return r;
  config_.torrent.listen_port = network_->listen_port();
  http_ = std::make_unique<HttpClient>(loop_);
  udp_ = std::make_unique<UdpTrackerSocket>(loop_);
  if (auto r = udp_->open(); !r) log_warning("UDP trackers unavailable: " + r.error().message);
  if (config_.settings.dht) start_dht();
  if (config_.settings.lsd) start_lsd();

  tick_timer_ = new uv_timer_t;
  uv_timer_init(loop_, tick_timer_);
  tick_timer_->data = this;
  uv_timer_start(tick_timer_, [](uv_timer_t* t) { static_cast<Session*>(t->data)->tick(); }, 1000, 1000);

  std::vector<std::string> problems;
  for (StoredTorrent& st : store_.load_all(problems)) {
    const std::string dir = st.resume ? st.resume->download_dir : std::string();
    const bool paused = st.resume && st.resume->paused;
    const std::int64_t added_at = st.resume ? st.resume->added_at : 0;
    // A magnet alone was still fetching its metadata: it fetches again, from where it started.
    const bool has_torrent = !st.torrent_bytes.empty();
    auto r = !has_torrent && st.magnet_uri
                 ? add_magnet(*st.magnet_uri, dir, paused, {}, added_at, std::move(st.resume))
                 : add_torrent(std::move(st.torrent_bytes), dir, paused, {}, added_at, std::move(st.resume));
    if (!r) log_error("cannot restore torrent " + st.id + ": " + r.error().message);
    if (r && st.magnet_uri && has_torrent)
      if (TorrentEntry* t = find(st.id); t && !t->magnet)
        if (auto m = parse_magnet(*st.magnet_uri)) {
          t->magnet = std::move(*m);
          // The metadata came but no selection was saved after it (a crash in between): so= again.
          apply_select_only(*t);
        }
  }
  for (const auto& p : problems) log_error("state dir: " + p);
  return {};
}

void Session::stop(std::function<void()> done) {
  stop_dht();  // its node table is queued for saving before the last resume data
  stop_lsd();
  stopping_ = true;
  close_timer(tick_timer_);
  tick_timer_ = nullptr;
  // One count per torrent's "stopped" announce, one for the resume data, one for this call.
  auto remaining = std::make_shared<std::size_t>(torrents_.size() + 2);
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
    // No new pieces while the last resume data is taken: peers go, writes in flight finish.
    if (t->engine) {
      t->engine->set_paused(true, now());
      drain(*t);
    }
    if (t->announcer) t->announcer->stop(finish);
    else finish();
  }
  save_all_resumes(finish);
  finish();
}

SessionStats Session::stats() {
  SessionStats s;
  if (network_) s.listen_port = network_->listen_port();
  s.torrents = static_cast<std::int64_t>(torrents_.size());
  const TimePoint t = now();
  for (auto& [id, e] : torrents_) {
    // The same precedence as the "state" of torrent.status.
    if (e->error || (e->engine && !e->checking && e->engine->error())) ++s.errored;
    else if (e->fetch) ++(e->paused ? s.paused : s.downloading);
    else if (!e->engine || e->checking) ++s.checking;
    else if (e->engine->state() == TorrentState::downloading) ++s.downloading;
    else if (e->engine->state() == TorrentState::seeding) ++s.seeding;
    else if (e->engine->state() == TorrentState::paused) ++s.paused;
    else ++s.errored;
    if (e->fetch) s.peers += static_cast<std::int64_t>(e->fetch->peer_count());
    if (!e->engine) continue;
    s.download_rate += static_cast<std::int64_t>(e->engine->download_rate(t));
    s.upload_rate += static_cast<std::int64_t>(e->engine->upload_rate(t));
    s.downloaded += static_cast<std::int64_t>(e->engine->downloaded());
    s.uploaded += static_cast<std::int64_t>(e->engine->uploaded());
    s.peers += static_cast<std::int64_t>(e->engine->peer_count());
  }
  add_dht_stats(s);
  add_lsd_stats(s);
  return s;
}

// ---- torrent lifecycle ---------------------------------------------------------------------

rpc::RpcResult<std::vector<tracker::PeerEndpoint>> parse_named_peers(const std::vector<std::string>& peers) {
  std::vector<tracker::PeerEndpoint> endpoints;
  for (const std::string& p : peers) {
    auto ep = tracker::parse_endpoint(p);
    if (!ep) return rpc::RpcError(rpc::code::invalid_params, "invalid params: peer \"" + p + "\" is not host:port");
    endpoints.push_back(*ep);
  }
  return endpoints;
}

rpc::RpcResult<rpc::Json> Session::add_torrent(std::string torrent_bytes, std::string download_dir, bool paused,
                                               const std::vector<std::string>& peers, std::int64_t added_at,
                                               std::optional<ResumeData> resume, const AddSelection& selection) {
  auto meta = parse_metainfo(torrent_bytes);
  if (!meta) return rpc::RpcError(rpc::code::invalid_metainfo, meta.error().message);
  const std::string id = meta->info_hash.hex();
  if (TorrentEntry* existing = find(id))
    return rpc::Json{{"id", id}, {"name", existing->meta->name}, {"duplicate", true}};

  auto named = parse_named_peers(peers);
  if (!named) return named.error();
  std::vector<tracker::PeerEndpoint> endpoints = std::move(*named);
  std::vector<FilePriority> priorities;
  if (selection.only) {
    priorities.assign(meta->files.size(), FilePriority::skip);
    if (auto bad = set_file_priority(*meta, *selection.only, "files", FilePriority::normal, priorities)) return *bad;
  }
  if (!selection.skip.empty())
    if (auto bad = set_file_priority(*meta, selection.skip, "skip_files", FilePriority::skip, priorities)) return *bad;
  if (resume && !resume->file_priorities.empty()) {
    if (resume->file_priorities.size() == meta->files.size())
      priorities = resume->file_priorities;
    else
      log_warning(id.substr(0, 8) + ": the saved file selection has " + std::to_string(resume->file_priorities.size()) +
                  " entries for " + std::to_string(meta->files.size()) + " files; every file is downloaded");
  }
  auto entry = std::make_unique<TorrentEntry>();
  entry->id = id;
  entry->meta = std::make_shared<const Metainfo>(std::move(*meta));
  entry->file_priorities = std::move(priorities);
  entry->torrent_bytes = std::move(torrent_bytes);
  entry->download_dir = download_dir.empty() ? config_.download_dir : download_dir;
  entry->added_at = added_at;
  entry->paused = paused;
  entry->named_peers = std::move(endpoints);
  if (auto opened = open_disk(*entry); !opened) return rpc::RpcError(rpc::code::invalid_metainfo, opened.error().message);
  if (!entry->file_priorities.empty())
    entry->disk->set_skipped_files(skipped_files(*entry->meta, entry->file_priorities), Bitfield(entry->meta->piece_count));
  if (resume) {
    entry->downloaded_before = resume->downloaded_total;
    entry->uploaded_before = resume->uploaded_total;
    entry->limits.download_rate_limit = resume->download_rate_limit;
    entry->limits.upload_rate_limit = resume->upload_rate_limit;
    if (resume->max_connections) entry->limits.max_connections = static_cast<std::size_t>(*resume->max_connections);
    for (const std::string& p : resume->peers)
      if (auto ep = tracker::parse_endpoint(p)) entry->tracker_peers.push_back(*ep);
    entry->resume = std::move(resume);
  }
  TorrentEntry& t = *entry;
  torrents_[id] = std::move(entry);
  log_info("added " + id + " \"" + t.meta->name + "\" to " + t.download_dir);
  events_.emit("torrent.added", {{"id", id}, {"name", t.meta->name}});
  start_check(t);
  return rpc::Json{{"id", id}, {"name", t.meta->name}, {"duplicate", false}};
}

Result<void> Session::open_disk(TorrentEntry& t) {
  TorrentFiles files = torrent_files(*t.meta, t.download_dir);
  if (auto paths = resolve_paths(files); paths.ok()) {
    if (auto safe = check_no_symlinked_dirs(files, *paths); !safe.ok()) return safe.error();
  }
  t.disk = make_thread_pool_disk_io(loop_, std::move(files));
  return {};
}

void Session::add_new_torrent(std::string torrent_bytes, std::string download_dir, bool paused,
                              const std::vector<std::string>& peers, std::int64_t added_at, rpc::Responder respond,
                              const AddSelection& selection) {
  auto added = add_torrent(std::move(torrent_bytes), std::move(download_dir), paused, peers, added_at, std::nullopt,
                           selection);
  std::string bytes;
  if (added && !(*added)["duplicate"].get<bool>()) bytes = find((*added)["id"].get<std::string>())->torrent_bytes;
  answer_when_durable(
      std::move(added), "torrent",
      [bytes = std::move(bytes)](const StateStore& store, const std::string& id) { return store.save_torrent(id, bytes); },
      std::move(respond));
}

void Session::answer_when_durable(rpc::RpcResult<rpc::Json> added, const std::string& what,
                                  std::function<Result<void>(const StateStore&, const std::string& id)> save_source,
                                  rpc::Responder respond) {
  if (!added) {
    respond.error(added.error());
    return;
  }
  rpc::Json answer = std::move(*added);
  if (answer["duplicate"].get<bool>()) {
    respond.result(std::move(answer));
    return;
  }
  TorrentEntry& t = *find(answer["id"].get<std::string>());
  writer_.enqueue(
      [store = store_, id = t.id, save_source = std::move(save_source), resume = resume_snapshot(t)]() -> Result<void> {
        if (auto r = save_source(store, id); !r) return r;
        return store.save_resume(id, resume);
      },
      [this, id = t.id, what, answer, respond](Result<void> saved) {
        if (saved) {
          respond.result(answer);
          return;
        }
        log_error("cannot save " + what + " " + id + ": " + saved.error().message);
        if (find(id) != nullptr) remove_torrent(id, false, rpc::Responder{});
        respond.error(rpc::code::io_error, saved.error().message);
      });
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
  // A piece counts as had only when it verifies, or when resume data says it did and every
  // file it touches is exactly as it was then (fast resume). Missing files are fast: their
  // pieces are simply missing.
  t.checking = true;
  t.check_progress = 0;
  const std::string id = t.id;
  auto progress = [this, id](std::uint32_t done) {
    if (TorrentEntry* e = find(id)) e->check_progress = done;
  };
  auto done = [this, id](Result<Bitfield> have) { on_check_done(id, std::move(have)); };
  std::optional<Bitfield> saved;
  if (t.resume && t.resume->download_dir == t.download_dir) saved = resume_have(*t.resume, t.meta->piece_count);
  if (!saved) {
    t.disk->check(std::move(progress), std::move(done));
    return;
  }
  t.disk->sync_and_stamp(false, [this, id, saved = std::move(*saved), progress, done](
                                    Result<std::vector<FileStamp>> stamps) mutable {
    TorrentEntry* e = find(id);
    if (e == nullptr || !e->checking || stopping_) return;
    if (!stamps) {
      log_warning(id.substr(0, 8) + ": cannot compare files with the resume data (" + stamps.error().message +
                  "), checking everything");
      e->disk->check(std::move(progress), std::move(done));
      return;
    }
    ResumePlan plan = plan_resume(layout_of(*e->meta), saved, e->resume->files, *stamps);
    std::uint32_t rechecked = 0;
    for (const PieceRange& r : plan.recheck) rechecked += r.last - r.first;
    if (!plan.changed.empty() || rechecked > 0) {
      std::string names;
      for (std::size_t i = 0; i < plan.changed.size() && i < 3; ++i)
        names += (i ? ", " : "") + e->meta->files[plan.changed[i].get()].path;
      if (plan.changed.size() > 3) names += ", ...";
      log_notice(id.substr(0, 8) + ": fast resume trusts " + std::to_string(plan.trusted.count()) +
                 " pieces and re-checks " + std::to_string(rechecked) + " (changed since the last run: " +
                 (names.empty() ? "none" : names) + ")");
    } else {
      log_info(id.substr(0, 8) + ": fast resume: " + std::to_string(plan.trusted.count()) + " pieces, no re-check");
    }
    e->disk->check_pieces(std::move(plan.trusted), std::move(plan.recheck), std::move(progress), std::move(done));
  });
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
  // New stamps for what the check found, so the next start need not check again.
  if (!stopping_) save_resume(*t);
}

void Session::start_engine(TorrentEntry& t, Bitfield have) {
  auto engine = Torrent::create(t.meta, std::move(have), config_.torrent, rng_state_++, piece_wanted(t));
  if (!engine) {
    t.error = engine.error().message;
    return;
  }
  t.engine = std::move(*engine);
  const bool was_complete = t.engine->complete();  // every wanted piece: a seed to trackers
  apply_torrent_limits(t);
  const TimePoint n = now();
  if (t.paused) t.engine->set_paused(true, n);
  if (!t.named_peers.empty()) t.engine->add_peer_candidates(t.named_peers, n, true);
  if (!t.tracker_peers.empty()) t.engine->add_peer_candidates(t.tracker_peers, n);
  for (auto& w : std::vector<std::shared_ptr<PieceWaiter>>(t.waiters)) {
    if (w->done) continue;
    if (t.engine->is_have(w->piece)) serve_waiter(t, w);
    else (void)t.engine->fetch_now(w->piece, n);
  }
  if (!t.announcer) start_announcer(t, was_complete);
  drain(t);
}

void Session::start_announcer(TorrentEntry& t, bool completed) {
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
      // Fetching metadata, what is left is unknown: libtorrent says 16 KiB, so does btd (0
      // would pass for a seed, and trackers send seeds no seeds).
      if (e && e->fetch) return {0, 0, 16 * 1024};
      if (!e || !e->engine) return {};
      // Wanted bytes only: a torrent with skipped files is done when its selection is.
      return {static_cast<std::int64_t>(e->engine->uploaded()), static_cast<std::int64_t>(e->engine->downloaded()),
              e->engine->wanted_left()};
    });
    t.announcer->set_on_peers([this, id](std::vector<tracker::PeerEndpoint> peers) {
      if (TorrentEntry* e = find(id)) add_peers(*e, peers, PeerSource::tracker);
    });
    if (completed) t.announcer->completed();
    t.announcer->start();
  }
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
  if (network_) network_->set_torrent_rate_limits(t->meta->info_hash, 0, 0);
  // Queued behind any save of this torrent's resume data, so none can bring the file back.
  writer_.enqueue([store = store_, id] { return store.remove(id); },
                  [](Result<void> r) { if (!r) log_error(r.error().message); });
  if (t->announcer) retire_announcer(std::move(t->announcer));
  events_.emit("torrent.removed", {{"id", id}});
  if (!t->disk) {  // a magnet still fetching: no files yet
    respond.result({{"id", id}});
    return;
  }
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
                                     const bool corrupt = !data && data.error().is(Errc::data_corrupt);
                                     te->engine->on_block_read(peer, block, std::move(data), now());
                                     drain(*te);
                                     if (corrupt) recheck_piece(*te, block.piece);
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
                save_resume(t);
              },
              [&](torrent_effect::Failed& e) {
                log_error(id.substr(0, 8) + ": " + e.message);
                events_.emit("torrent.error", {{"id", id}, {"message", e.message}});
              },
              [&](torrent_effect::DhtNode& e) {
                if (dht_) dht_->add_node(e.node);
              },
          },
          effect);
    }
  }
}

void Session::on_piece_verified(TorrentEntry& t, PieceIndex piece) {
  t.resume_dirty = true;
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

void Session::fail_waiter(TorrentEntry& t, const std::shared_ptr<PieceWaiter>& w, rpc::RpcError error) {
  w->done = true;
  close_waiter_timer(*w);
  t.waiters.erase(std::remove(t.waiters.begin(), t.waiters.end(), w), t.waiters.end());
  w->respond.error(std::move(error));
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
        if (waiter->unresolved) {
          waiter->respond.error(rpc::code::timeout, "timed out after " + std::to_string(d->timeout_ms) +
                                                        " ms: the magnet link's metadata is still being fetched");
          return;
        }
        waiter->respond.error(rpc::code::timeout, "timed out after " + std::to_string(d->timeout_ms) +
                                                      " ms waiting for piece " + std::to_string(waiter->piece.get()) +
                                                      "; it stays first in line");
      },
      timeout_ms, 0);
  if (t.engine && !w->unresolved) {
    (void)t.engine->fetch_now(w->piece, now());
    drain(t);
  }
}

void Session::set_paused(TorrentEntry& t, bool paused) {
  t.paused = paused;
  if (t.fetch) {
    t.fetch->set_paused(paused, now());
    drain_fetch(t);
    save_resume(t);
    return;
  }
  if (!paused && t.engine && t.engine->error() && !t.checking) {
    // After a disk error the files may not hold what the engine believes (a download dir
    // deleted, a write cut short): find out before going on. Files unchanged since the last
    // resume save are trusted, so this costs little after a full disk.
    log_notice(t.id.substr(0, 8) + ": resuming after \"" + *t.engine->error() + "\": checking the data first");
    recheck(t, "torrent is being re-checked after a disk error");
    save_resume(t);
    return;
  }
  if (paused) t.error.reset();
  if (t.engine) {
    t.engine->set_paused(paused, now());
    drain(t);
  }
  save_resume(t);
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
  if (t.checking || !t.disk) return;  // no disk: a magnet still fetching has no data to verify
  // A verify is asked for when the data is in doubt: until it is done, no save may claim the
  // old have-bits, and the next start checks everything if this one does not finish.
  if (t.resume) {
    t.resume->have_bytes.reset();
    t.resume->files.clear();
  }
  recheck(t, "torrent is being verified");
}

void Session::recheck_piece(TorrentEntry& t, PieceIndex piece) {
  if (t.checking || !t.engine || stopping_) return;
  log_warning(t.id.substr(0, 8) + ": piece " + std::to_string(piece.get()) +
              " changed on disk behind our back; it is re-checked and fetched again");
  // The engine cannot forget a piece: a new one starts from what it had, minus this piece.
  Bitfield known = t.engine->have();
  close_peers(t, "a piece changed on disk");
  t.downloaded_before += t.engine->downloaded();
  t.uploaded_before += t.engine->uploaded();
  t.engine.reset();
  t.checking = true;
  t.check_progress = 0;
  const std::string id = t.id;
  t.disk->check_pieces(
      std::move(known), {{piece.get(), piece.get() + 1}},
      [this, id](std::uint32_t done) {
        if (TorrentEntry* e = find(id)) e->check_progress = done;
      },
      [this, id](Result<Bitfield> have) { on_check_done(id, std::move(have)); });
}

void Session::recheck(TorrentEntry& t, const std::string& reason) {
  if (t.checking) return;
  close_peers(t, reason);
  if (t.engine) {
    t.downloaded_before += t.engine->downloaded();
    t.uploaded_before += t.engine->uploaded();
  }
  t.engine.reset();
  t.error.reset();
  start_check(t);
}

// ---- peers ---------------------------------------------------------------------------------

void Session::connect_peer(TorrentEntry& t, const tracker::PeerEndpoint& endpoint) {
  auto socket = network_->connect(endpoint, t.meta->info_hash);
  if (!socket) {
    // Refused at once (limit, duplicate): the engine tries another candidate later.
    if (t.fetch) t.fetch->on_connect_failed(endpoint, now());
    else if (t.engine) t.engine->on_connect_failed(endpoint, now());
    return;
  }
  connecting_[*socket] = {t.id, endpoint};
}

void Session::on_peer_ready(const net::PeerReady& r) {
  connecting_.erase(r.id);
  TorrentEntry* t = find(r.info_hash);
  if (t != nullptr && t->fetch) {
    auto ok = t->fetch->on_peer_connected(PeerKey{static_cast<std::uint32_t>(r.id)}, r.endpoint, r.incoming,
                                          r.theirs, r.leftover, now());
    if (!ok) network_->close(r.id, ok.error().message);
    else socket_torrent_[r.id] = t->id;
    drain_fetch(*t);
    return;
  }
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
  if (t != nullptr && t->fetch) {
    t->fetch->on_peer_data(PeerKey{static_cast<std::uint32_t>(socket)}, bytes, now());
    drain_fetch(*t);
    return;
  }
  if (t == nullptr || !t->engine) return;
  t->engine->on_peer_data(PeerKey{static_cast<std::uint32_t>(socket)}, bytes, now());
  drain(*t);
}

void Session::on_peer_closed(std::uint64_t socket, const std::string& reason) {
  if (auto c = connecting_.find(socket); c != connecting_.end()) {
    auto [id, endpoint] = c->second;
    connecting_.erase(c);
    if (TorrentEntry* t = find(id); t && t->fetch) {
      t->fetch->on_connect_failed(endpoint, now());
      drain_fetch(*t);
    } else if (t && t->engine) {
      t->engine->on_connect_failed(endpoint, now());
      drain(*t);
    }
    return;
  }
  auto it = socket_torrent_.find(socket);
  if (it == socket_torrent_.end()) return;
  const std::string id = it->second;
  socket_torrent_.erase(it);
  if (TorrentEntry* t = find(id); t && t->fetch) {
    t->fetch->on_peer_closed(PeerKey{static_cast<std::uint32_t>(socket)}, reason, now());
    drain_fetch(*t);
  } else if (t && t->engine) {
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
  // Without an engine (checking, fetching, failed) nothing counts as had yet.
  std::int64_t wanted_size = m.total_size;
  if (t.file_priorities.size() == m.files.size() && m.piece_count > 0)
    wanted_size = wanted_bytes(layout_of(m), piece_wanted(t));
  std::int64_t left = wanted_size;
  std::size_t pieces_have = 0;
  double down = 0, up = 0;
  std::uint64_t downloaded = 0, uploaded = 0;
  std::size_t peers = 0, seeds = 0;
  if (t.engine && !t.checking) {
    state = torrent_state_name(t.engine->state());
    if (t.engine->error()) error = t.engine->error();
    wanted_size = t.engine->wanted_bytes();
    left = t.engine->wanted_left();
    pieces_have = t.engine->have().count();
    down = t.engine->download_rate(n);
    up = t.engine->upload_rate(n);
    downloaded = t.engine->downloaded();
    uploaded = t.engine->uploaded();
    peers = t.engine->peer_count();
    seeds = t.engine->seed_count();
  }
  if (t.fetch) {
    state = t.paused ? "paused" : "fetching_metadata";
    peers = t.fetch->peer_count();
  }
  if (error) state = "error";
  // Over the wanted bytes: 1.0 once every selected file is in (all of them without a selection).
  double progress = 0.0;
  if (m.piece_count > 0 && t.engine && !t.checking)
    progress = wanted_size == 0 ? 1.0 : static_cast<double>(wanted_size - left) / static_cast<double>(wanted_size);
  rpc::Json eta = nullptr;
  if (state == "seeding") eta = 0;
  else if (down > 0) eta = static_cast<std::int64_t>(static_cast<double>(left) / down);
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
      {"wanted_size", wanted_size},
      {"left", left},
      {"piece_length", m.piece_length},
      {"pieces", m.piece_count},
      {"pieces_have", pieces_have},
      {"downloaded", downloaded},
      {"uploaded", uploaded},
      {"downloaded_total", t.downloaded_before + downloaded},
      {"uploaded_total", t.uploaded_before + uploaded},
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
      {"download_rate_limit", t.limits.download_rate_limit},
      {"upload_rate_limit", t.limits.upload_rate_limit},
      {"max_connections", t.limits.max_connections ? rpc::Json(*t.limits.max_connections) : rpc::Json()},
  };
}

void Session::tick() {
  finished_announcers_.clear();
  const TimePoint n = now();
  for (auto& [id, t] : torrents_) {
    if (t->fetch) {
      t->fetch->tick(n);
      drain_fetch(*t);  // may find the metadata complete and replace the fetch
      continue;
    }
    if (!t->engine) continue;
    t->engine->tick(n);
    drain(*t);
  }
  dht_tick();
  lsd_tick();
  save_due_resumes();
}

void Session::remember_peers(std::vector<tracker::PeerEndpoint>& list,
                             const std::vector<tracker::PeerEndpoint>& peers) {
  // The newest first-seen peers are kept; a bound, since trackers and users may send thousands.
  constexpr std::size_t kRemembered = 200;
  for (const auto& p : peers)
    if (std::find(list.begin(), list.end(), p) == list.end()) list.push_back(p);
  if (list.size() > kRemembered) list.erase(list.begin(), list.end() - static_cast<std::ptrdiff_t>(kRemembered));
}

// ---- persistence -----------------------------------------------------------------------------

ResumeData Session::resume_snapshot(TorrentEntry& t) {
  // While checking, the last saved have-bits and stamps are still the truth about the files.
  ResumeData r = t.resume.value_or(ResumeData{});
  r.download_dir = t.download_dir;
  r.paused = t.paused;
  r.added_at = t.added_at;
  r.downloaded_total = t.downloaded_before + (t.engine ? t.engine->downloaded() : 0);
  r.uploaded_total = t.uploaded_before + (t.engine ? t.engine->uploaded() : 0);
  r.download_rate_limit = t.limits.download_rate_limit;
  r.upload_rate_limit = t.limits.upload_rate_limit;
  r.max_connections.reset();
  if (t.limits.max_connections) r.max_connections = *t.limits.max_connections;
  r.file_priorities = t.file_priorities;
  r.pending_only = t.pending_selection.only;
  r.pending_skip = t.pending_selection.skip;
  r.peers.clear();
  for (const auto* list : {&t.named_peers, &t.tracker_peers})
    for (const auto& p : *list)
      if (r.peers.size() < kMaxResumePeers) r.peers.push_back(tracker::to_string(p));
  if (t.engine && !t.checking) {
    r.have_bytes = std::string(t.engine->have().bytes());
    r.have_pieces = t.meta->piece_count;
    r.files.clear();  // filled by the stamps taken after the sync
  }
  return r;
}

void Session::save_resume(TorrentEntry& t, std::function<void()> done) {
  if (done) t.save_waiters.push_back(std::move(done));
  if (t.resume_saving) {
    t.resume_dirty = true;  // saved again when this one is done
    return;
  }
  t.resume_dirty = false;
  t.resume_saving = true;
  t.resume_saved_ms = uv_now(loop_);
  auto waiters = std::make_shared<std::vector<std::function<void()>>>(std::move(t.save_waiters));
  t.save_waiters.clear();
  // The have-bits are taken before the sync: every piece they claim was written before it, so
  // the sync makes it durable and the stamps taken after it cover it.
  auto snapshot = std::make_shared<ResumeData>(resume_snapshot(t));
  const bool with_stamps = t.engine && !t.checking;
  const std::string id = t.id;

  auto write = [this, id, snapshot, waiters] {
    writer_.enqueue([store = store_, id, snapshot] { return store.save_resume(id, *snapshot); },
                    [this, id, snapshot, waiters](Result<void> saved) {
                      TorrentEntry* e = find(id);
                      if (!saved) log_error("cannot save resume data of " + id + ": " + saved.error().message);
                      if (e != nullptr) {
                        e->resume_saving = false;
                        if (saved) e->resume = *snapshot;
                        else e->resume_dirty = true;  // tried again after the interval
                      }
                      for (auto& w : *waiters) w();
                      if (e != nullptr && !e->save_waiters.empty()) save_resume(*e);
                    });
  };
  if (!with_stamps) {
    write();
    return;
  }
  t.disk->sync_and_stamp(true, [this, id, snapshot, write](Result<std::vector<FileStamp>> stamps) {
    if (find(id) == nullptr) return;  // removed meanwhile: nothing to save
    if (stamps) {
      snapshot->files = std::move(*stamps);
    } else {
      // Bits without stamps would be trusted blindly; saved without them, the next start checks.
      log_warning("cannot sync the files of " + id + " (" + stamps.error().message +
                  "); its next start re-checks the data");
      snapshot->have_bytes.reset();
      snapshot->files.clear();
    }
    write();
  });
}

void Session::save_due_resumes() {
  const std::uint64_t n = uv_now(loop_);
  for (auto& [id, t] : torrents_)
    if (t->resume_dirty && !t->resume_saving && n - t->resume_saved_ms >= kResumeSaveIntervalMs) save_resume(*t);
}

void Session::save_all_resumes(std::function<void()> done) {
  // Pieces being written now are worth keeping: wait a little for the disk queues to empty.
  struct Wait {
    Session* session;
    std::function<void()> done;
    std::uint64_t deadline;
  };
  auto* timer = new uv_timer_t;
  uv_timer_init(loop_, timer);
  timer->data = new Wait{this, std::move(done), uv_now(loop_) + kShutdownWriteWaitMs};
  uv_timer_start(
      timer,
      [](uv_timer_t* h) {
        auto* w = static_cast<Wait*>(h->data);
        Session& s = *w->session;
        bool busy = false;
        for (auto& [id, t] : s.torrents_) busy = busy || (t->disk && t->engine && t->disk->pending() > 0);
        if (busy && uv_now(s.loop_) < w->deadline) return;
        uv_timer_stop(h);
        auto remaining = std::make_shared<std::size_t>(s.torrents_.size() + 1);
        auto finished = [&s, remaining, done = std::move(w->done)] {
          if (--*remaining == 0) s.writer_.when_idle(done);
        };
        for (auto& [id, t] : s.torrents_) s.save_resume(*t, finished);
        finished();
        uv_close(reinterpret_cast<uv_handle_t*>(h), [](uv_handle_t* handle) {
          delete static_cast<Wait*>(handle->data);
          delete reinterpret_cast<uv_timer_t*>(handle);
        });
      },
      0, 20);
}

}  // namespace btd::daemon
