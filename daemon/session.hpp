#pragma once
// The daemon's session: every torrent, and the wiring of each torrent's engine to the disk,
// the peer network and the trackers. It executes the engine's effects, owns the timers, and
// implements the torrent.* RPC methods (registered by torrent_methods.cpp). Loop thread only.
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/magnet/magnet.hpp"
#include "core/metadata/metadata_fetch.hpp"
#include "core/metainfo/metainfo.hpp"
#include "core/storage/file_priority.hpp"
#include "core/torrent/torrent.hpp"
#include "core/wire/peer_id.hpp"
#include "daemon/daemon_options.hpp"
#include "daemon/disk/disk_io.hpp"
#include "daemon/event_hub.hpp"
#include "daemon/piece_request.hpp"
#include "daemon/session_methods.hpp"
#include "daemon/state_store.hpp"
#include "daemon/state_writer.hpp"
#include "daemon/torrent_limits.hpp"
#include "rpc/dispatcher.hpp"

namespace btd::net {
class PeerNetwork;
struct PeerReady;
}  // namespace btd::net

namespace btd::daemon {

class HttpClient;
class UdpTrackerSocket;
class TorrentAnnouncer;
class DhtService;
class LsdService;

struct SessionConfig {
  std::string state_dir;
  std::string download_dir;
  int listen_port = 6881;            // 0: any free port
  std::string listen_address = "0.0.0.0";
  SessionSettings settings;  // rate and connection limits, log level: changeable at run time
  TorrentConfig torrent;
  bool announce_to_trackers = true;
};

// A get-piece call waiting for its piece to be verified.
struct PieceWaiter {
  PieceIndex piece;
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
  // Set while the torrent is a magnet fetching its metadata: the request as given, checked
  // (and piece, offset, length set) when the metadata comes.
  std::optional<PieceRequest> unresolved;
  rpc::Responder respond;
  uv_timer_t* timer = nullptr;
  bool done = false;
};

// Where peers handed to Session::add_peers came from: private torrents (BEP 27) take none from
// the DHT, PEX or LSD.
enum class PeerSource { user, tracker, dht, pex, lsd };

// The `peers` of torrent.add ("host:port" each), or invalid params naming the first bad one.
rpc::RpcResult<std::vector<tracker::PeerEndpoint>> parse_named_peers(const std::vector<std::string>& peers);

// torrent.add's `files` (only these) and `skip_files`: metainfo file indexes, checked against
// the torrent once it is parsed (for a magnet link, once its metadata is in).
struct AddSelection {
  std::optional<std::vector<std::uint64_t>> only;
  std::vector<std::uint64_t> skip;
  bool empty() const noexcept { return !only && skip.empty(); }
};

struct TorrentEntry {
  std::string id;
  std::shared_ptr<const Metainfo> meta;
  std::string torrent_bytes;
  std::string download_dir;
  std::int64_t added_at = 0;
  bool paused = false;
  bool checking = false;
  std::uint32_t check_progress = 0;
  std::optional<std::string> error;  // outside the engine: a failed check, say
  std::unique_ptr<Torrent> engine;   // null while checking
  // A magnet link whose info dict is being fetched (daemon/session_magnet.cpp): `meta` is then a
  // placeholder (info-hash, name, trackers; no pieces, no files), and there is no disk and no
  // engine. Null once the metadata is in; `magnet` stays, for what the link said beyond it.
  std::unique_ptr<MetadataFetch> fetch;
  std::optional<Magnet> magnet;
  // torrent.add's files/skip_files for a magnet link, applied once the metadata is in.
  AddSelection pending_selection;
  std::unique_ptr<DiskIo> disk;
  std::unique_ptr<TorrentAnnouncer> announcer;
  // Peers the user named and the latest from trackers: every engine this torrent gets (after a
  // check, a verify, a disk error) starts with them.
  std::vector<tracker::PeerEndpoint> named_peers;
  std::vector<tracker::PeerEndpoint> tracker_peers;
  std::vector<std::shared_ptr<PieceWaiter>> waiters;
  std::vector<std::function<void()>> after_check;    // e.g. get-piece on a torrent still checking
  // Persistence: totals of earlier runs (and of engines replaced by torrent.verify), and the
  // resume data last loaded or saved, which stays valid while the torrent is checking.
  std::uint64_t downloaded_before = 0;
  std::uint64_t uploaded_before = 0;
  std::optional<ResumeData> resume;
  bool resume_dirty = false;    // something changed since the last save
  bool resume_saving = false;   // a save is between its snapshot and its durable write
  std::uint64_t resume_saved_ms = 0;  // loop time of the last save's start
  std::vector<std::function<void()>> save_waiters;  // run when the next save is durable
  TorrentLimits limits;                               // torrent.set; saved with the resume data
  // One per file of meta (torrent.set_files, torrent.add's files/skip_files, a magnet's so=);
  // empty: every file normal. Saved with the resume data.
  std::vector<FilePriority> file_priorities;
};

// torrent.files and torrent.set_files (session_files.cpp), registered by Session::add_methods.
class Session;
void add_file_methods(Session& s, rpc::Dispatcher& d);

// How t's pieces map onto its files (a parsed torrent's layout cannot fail).
StorageLayout layout_of(const Metainfo& m);


class Session {
 public:
  Session(uv_loop_t* loop, SessionConfig config, EventHub& events);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Listens for peers and loads the torrents of the state dir.
  Result<void> start();
  // Sends "stopped" to trackers (bounded in time), closes every connection and handle; `done`
  // runs when the loop may be closed.
  void stop(std::function<void()> done);

  void add_methods(rpc::Dispatcher& dispatcher);
  SessionStats stats();

  // session.get / session.set and SIGHUP (session_settings.cpp).
  const SessionSettings& settings() const noexcept { return config_.settings; }
  void apply_settings(const SessionSettings& settings);

  // Peers for a torrent from any source, whether it is still fetching its metadata or
  // downloading; remembered for the next engine and the resume data. Unknown torrents, and
  // private ones for the DHT, PEX and LSD, are ignored. Returns how many were taken.
  std::size_t add_peers(const InfoHash& info_hash, const std::vector<tracker::PeerEndpoint>& peers, PeerSource source);
  // BEP 27: whether the torrent is private (its info dict says private=1), so that no DHT, PEX
  // or LSD may be used for it. False for unknown torrents and for magnets still fetching (their
  // info dict is not known yet).
  bool is_private(const InfoHash& info_hash);

 private:
  friend struct SessionMethods;
  friend struct FileMethods;
  friend struct SessionSettingsMethods;
  // A torrent's limits (TorrentEntry::limits) applied to its engine and the network.
  void apply_torrent_limits(TorrentEntry& t);
  using TimePoint = Torrent::TimePoint;

  // torrent lifecycle
  // Adds a torrent from the RPC and answers once its .torrent and .resume are durable.
  void add_new_torrent(std::string torrent_bytes, std::string download_dir, bool paused,
                       const std::vector<std::string>& peers, std::int64_t added_at, rpc::Responder respond,
                       const AddSelection& selection = {});
  rpc::RpcResult<rpc::Json> add_torrent(std::string torrent_bytes, std::string download_dir, bool paused,
                                        const std::vector<std::string>& peers, std::int64_t added_at,
                                        std::optional<ResumeData> resume, const AddSelection& selection = {});
  // The answer to torrent.add: at once for a refusal or a duplicate; for a new torrent once
  // save_source (its .torrent or .magnet) and its resume data are written. A torrent that
  // cannot be made durable is taken back out and the caller hears why.
  void answer_when_durable(rpc::RpcResult<rpc::Json> added, const std::string& what,
                           std::function<Result<void>(const StateStore&, const std::string& id)> save_source,
                           rpc::Responder respond);
  // File selection (session_files.cpp): the per-piece priorities of t's file priorities, and a
  // new selection applied to the engine and the disk and saved.
  std::vector<Priority> piece_wanted(const TorrentEntry& t) const;
  void set_file_priorities(TorrentEntry& t, std::vector<FilePriority> priorities);
  // A magnet's so= (BEP 53), once its metadata is in: out-of-range indexes logged and ignored.
  void apply_select_only(TorrentEntry& t);
  // A magnet's files/skip_files from torrent.add, once its metadata is in: the same, and it
  // takes precedence over so=.
  void apply_pending_selection(TorrentEntry& t);
  // A magnet link (session_magnet.cpp): added in state fetching_metadata, answered at once
  // once its .magnet and .resume are durable.
  void add_new_magnet(const std::string& uri, std::string download_dir, bool paused,
                      const std::vector<std::string>& peers, std::int64_t added_at, rpc::Responder respond,
                      const AddSelection& selection = {});
  rpc::RpcResult<rpc::Json> add_magnet(const std::string& uri, std::string download_dir, bool paused,
                                       const std::vector<std::string>& peers, std::int64_t added_at,
                                       std::optional<ResumeData> resume, const AddSelection& selection = {});
  void drain_fetch(TorrentEntry& t);
  // The info dict verified: store it as a .torrent and go on as for an added one.
  void on_metadata_fetched(TorrentEntry& t);
  std::size_t add_peers(TorrentEntry& t, const std::vector<tracker::PeerEndpoint>& peers, PeerSource source);
  // The disk of t.meta's files under t.download_dir, after refusing paths through symlinks.
  Result<void> open_disk(TorrentEntry& t);
  void start_announcer(TorrentEntry& t, bool completed);
  void start_check(TorrentEntry& t);
  void on_check_done(const std::string& id, Result<Bitfield> have);
  void start_engine(TorrentEntry& t, Bitfield have);
  void remove_torrent(const std::string& id, bool delete_data, rpc::Responder respond);
  void set_paused(TorrentEntry& t, bool paused);
  void verify(TorrentEntry& t);
  // Drops the engine and checks the data again (fast resume applies unless verify cleared it).
  void recheck(TorrentEntry& t, const std::string& reason);
  // A piece read for seeding no longer matches its hash: forget it (re-check just that piece).
  void recheck_piece(TorrentEntry& t, PieceIndex piece);
  void wait_for_piece(TorrentEntry& t, std::shared_ptr<PieceWaiter> waiter, std::uint64_t timeout_ms);
  // Answers a waiter with an error and forgets it (its timer included).
  void fail_waiter(TorrentEntry& t, const std::shared_ptr<PieceWaiter>& waiter, rpc::RpcError error);
  void serve_waiter(TorrentEntry& t, const std::shared_ptr<PieceWaiter>& waiter);

  // The DHT (session_dht.cpp): started and stopped with the "dht" setting; each tick hands it
  // the torrents that may use it.
  void start_dht();
  void stop_dht();
  void dht_tick();
  void add_dht_stats(SessionStats& stats);
  // Local service discovery (session_lsd.cpp): started and stopped with the "lsd" setting;
  // each tick hands it the torrents that may be announced.
  void start_lsd();
  void stop_lsd();
  void lsd_tick();
  void add_lsd_stats(SessionStats& s) const;
  void close_peers(TorrentEntry& t, const std::string& reason);

  // persistence
  ResumeData resume_snapshot(TorrentEntry& t);
  // Saves t's resume data now (fsync of its written files, stamps, atomic write), or right
  // after the save in progress; `done` runs when it is durable or failed.
  void save_resume(TorrentEntry& t, std::function<void()> done = {});
  void save_due_resumes();  // from tick: dirty torrents whose last save is old enough
  void save_all_resumes(std::function<void()> done);  // at shutdown

  // effects
  void drain(TorrentEntry& t);
  void on_piece_verified(TorrentEntry& t, PieceIndex piece);

  // peers
  void on_peer_ready(const net::PeerReady& ready);
  void connect_peer(TorrentEntry& t, const tracker::PeerEndpoint& endpoint);
  static void remember_peers(std::vector<tracker::PeerEndpoint>& list, const std::vector<tracker::PeerEndpoint>& peers);
  void on_peer_data(std::uint64_t socket, std::string_view bytes);
  void on_peer_closed(std::uint64_t socket, const std::string& reason);

  // lookups
  TorrentEntry* find(const std::string& id);
  TorrentEntry* find(const InfoHash& info_hash);
  rpc::RpcResult<TorrentEntry*> resolve(const std::string& id_or_prefix);
  rpc::Json status_json(TorrentEntry& t, TimePoint now);
  void tick();
  TimePoint now() const;

  uv_loop_t* loop_;
  SessionConfig config_;
  EventHub& events_;
  StateStore store_;
  StateWriter writer_;
  wire::PeerId peer_id_;
  std::map<std::string, std::unique_ptr<TorrentEntry>> torrents_;
  std::map<std::uint64_t, std::string> socket_torrent_;          // socket -> torrent id
  std::map<std::uint64_t, std::pair<std::string, tracker::PeerEndpoint>> connecting_;  // outgoing attempts
  std::unique_ptr<net::PeerNetwork> network_;
  std::unique_ptr<HttpClient> http_;
  std::unique_ptr<UdpTrackerSocket> udp_;
  std::unique_ptr<DhtService> dht_;
  std::unique_ptr<LsdService> lsd_;
  // Announcers of removed torrents, kept until their "stopped" announces are done.
  std::vector<std::unique_ptr<TorrentAnnouncer>> stopping_announcers_;
  std::vector<std::unique_ptr<TorrentAnnouncer>> finished_announcers_;
  void retire_announcer(std::unique_ptr<TorrentAnnouncer> announcer);
  uv_timer_t* tick_timer_ = nullptr;
  std::uint64_t rng_state_;
  bool stopping_ = false;
};

}  // namespace btd::daemon
