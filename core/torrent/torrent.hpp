#pragma once
// The engine of one torrent, sans-I/O: its peers' protocol state, the picker, the choker, piece
// buffers, get-piece priorities and the bookkeeping of a download. Bytes, disk results and
// time come in through the on_* methods and tick(); what must happen goes out as effects
// (torrent_effect.hpp). One thread calls it; it never blocks and never reads a clock.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/choker/choker.hpp"
#include "core/metainfo/metainfo.hpp"
#include "core/peer/peer_connection.hpp"
#include "core/picker/piece_picker.hpp"
#include "core/torrent/peer_candidates.hpp"
#include "core/torrent/torrent_effect.hpp"
#include "core/torrent/torrent_peer.hpp"
#include "core/wire/handshake.hpp"

namespace btd {

struct TorrentConfig {
  std::size_t max_peers = 50;
  std::size_t max_connecting = 8;  // outgoing attempts in flight at once
  ChokerConfig choker;
  PeerConnectionLimits peer_limits;
  std::chrono::seconds request_timeout{20};
  std::chrono::seconds peer_idle_timeout{180};
  std::chrono::seconds keepalive_interval{90};
  // Seeding: bytes of block reads queued on the disk per peer (32 blocks of 16 KiB). Counted
  // in bytes, not reads, so 128 KiB requests cannot push a peer past max_unsent_bytes.
  std::size_t read_bytes_in_flight_per_peer = std::size_t{512} * 1024;
  std::size_t max_pieces_hashing = 32;        // back-pressure on the disk: stop requesting above
  int strikes_to_ban = 3;                     // bad pieces a peer may share in before a ban
  // A peer that does not read what we send must not make us buffer it. Block reads for a peer
  // wait while this much sent to it is not yet taken by its socket (on_peer_drained)...
  std::size_t upload_backlog = std::size_t{1} << 20;
  // ...and a peer with more than this waiting (its requests keep being answered with rejects,
  // say) is dropped. Above upload_backlog plus a full round of reads in flight.
  std::size_t max_unsent_bytes = std::size_t{4} << 20;
  // ut_metadata requests a peer may have waiting; more are rejected (BEP 9 reject).
  std::size_t max_metadata_requests = 4;
  // Peer exchange (BEP 11, ut_pex) with peers that offer it; never on private torrents (BEP 27).
  bool pex = true;
  // New peers taken from one ut_pex message; the rest of a long list is ignored.
  std::size_t max_pex_candidates = 50;
  std::string client_name = "btd/0.1.0";
  std::uint16_t listen_port = 0;
  // BEP 5: our DHT's UDP port, 0 while the DHT is off. Sent in a port message to peers that set
  // the DHT bit; the port messages of peers become DhtNode effects. Never on private torrents.
  std::uint16_t dht_port = 0;
};

enum class TorrentState { downloading, seeding, paused, error };
const char* torrent_state_name(TorrentState s);

struct PeerInfo {
  PeerKey key;  // the connection, for what the network layer knows of it (encryption)
  std::string address;
  std::string client;
  double progress = 0;
  double download_rate = 0;
  double upload_rate = 0;
  // The letters other clients show (uTorrent, transmission, qBittorrent): D/d downloading from it
  // or interested and choked, U/u uploading to it or it is interested and choked, I incoming,
  // S snubbed, F the fast extension (BEP 6). The daemon adds E/e for encryption.
  std::string flags;
};

class Torrent {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  // `have` holds the pieces already verified on disk (resume data or a check). `wanted` is one
  // priority per piece from the file selection (core/storage/file_priority.hpp): skip, normal
  // or high; empty (or of the wrong size) means every piece normal.
  static Result<std::unique_ptr<Torrent>> create(std::shared_ptr<const Metainfo> meta, Bitfield have,
                                                 TorrentConfig config, std::uint64_t seed,
                                                 std::vector<Priority> wanted = {});

  const Metainfo& metainfo() const noexcept { return *meta_; }
  static wire::Reserved our_reserved();

  // ---- control ----------------------------------------------------------------------------
  void set_paused(bool paused, TimePoint now);
  // The most peers kept at once (torrent.set, session.set). Lowering it closes no connection; it
  // only stops new ones until the count is below it.
  void set_max_peers(std::size_t max_peers) noexcept { config_.max_peers = max_peers; }
  // Peer exchange on or off (the "pex" setting): every connected peer gets our extension
  // handshake again, with ut_pex withdrawn (id 0) or offered; off, no ut_pex message is sent or
  // read from then on.
  void set_pex(bool on, TimePoint now);
  std::size_t max_peers() const noexcept { return config_.max_peers; }
  void set_dht_port(std::uint16_t port) noexcept { config_.dht_port = port; }
  // get-piece: fetch this piece before anything else, from every peer that has it, even when
  // paused. No-op if we have it.
  Result<void> fetch_now(PieceIndex piece, TimePoint now);
  // A new file selection, one priority per piece (skip, normal or high; the wrong size is
  // ignored). Skipped pieces are never requested (get-piece's still are); when every wanted
  // piece is in, the torrent completes (Completed) and seeds, and wanting more later makes it
  // download again.
  void set_wanted(std::vector<Priority> wanted, TimePoint now);
  const std::vector<Priority>& wanted() const noexcept { return wanted_; }
  // Once a second: choking, time-outs, keep-alives, new connections.
  void tick(TimePoint now);

  // ---- peers ------------------------------------------------------------------------------
  // `explicit_peers`: named by the user; dialled even while seeding (tracker peers are not:
  // leechers come to a seed).
  void add_peer_candidates(const std::vector<tracker::PeerEndpoint>& endpoints, TimePoint now,
                           bool explicit_peers = false);
  void on_connect_failed(const tracker::PeerEndpoint& endpoint, TimePoint now);
  // The handshake is done (the daemon checked the info-hash). Refused (error) when the torrent
  // is full, paused or the address is banned: the caller closes the socket.
  Result<void> on_peer_connected(PeerKey key, const tracker::PeerEndpoint& endpoint, bool incoming,
                                 const wire::Handshake& theirs, std::string_view leftover,
                                 TimePoint now);
  void on_peer_data(PeerKey key, std::string_view bytes, TimePoint now);
  void on_peer_closed(PeerKey key, const std::string& reason, TimePoint now);
  // Everything sent to this peer so far has been taken by its socket: block reads that waited
  // for it (upload_backlog) go on.
  void on_peer_drained(PeerKey key);

  // ---- disk -------------------------------------------------------------------------------
  void on_piece_written(PieceIndex piece, bool hash_ok, std::optional<Error> write_error, TimePoint now);
  void on_block_read(PeerKey key, const BlockRequest& block, Result<std::string> data, TimePoint now);

  std::vector<TorrentEffect> take_effects();

  // ---- status -----------------------------------------------------------------------------
  TorrentState state() const noexcept;
  const std::optional<std::string>& error() const noexcept { return error_; }
  const Bitfield& have() const noexcept { return picker_.have(); }
  bool is_have(PieceIndex p) const noexcept { return picker_.is_have(p); }
  // Every wanted piece is verified (all of them when nothing is skipped): the torrent seeds.
  bool complete() const noexcept { return wanted_missing_ == 0; }
  std::int64_t bytes_have() const noexcept;
  // Bytes of the wanted pieces, and of those not verified yet (the tracker's "left").
  std::int64_t wanted_bytes() const noexcept { return wanted_bytes_; }
  std::int64_t wanted_left() const noexcept { return wanted_left_; }
  std::uint64_t downloaded() const noexcept { return down_.total(); }
  std::uint64_t uploaded() const noexcept { return up_.total(); }
  double download_rate(TimePoint now) { return down_.rate(now); }
  double upload_rate(TimePoint now) { return up_.rate(now); }
  std::size_t peer_count() const noexcept { return peers_.size(); }
  std::size_t seed_count() const noexcept;
  std::vector<PeerInfo> peers(TimePoint now);
  std::vector<tracker::PeerEndpoint> peer_endpoints() const;

 private:
  Torrent(std::shared_ptr<const Metainfo> meta, PieceGeometry geometry, Bitfield have,
          TorrentConfig config, std::uint64_t seed, std::vector<Priority> wanted);

  void handle_event(TorrentPeer& peer, PeerEvent& event, TimePoint now);
  void on_peer_pieces_known(TorrentPeer& peer);
  void on_peer_has(TorrentPeer& peer, PieceIndex piece);
  void on_block(TorrentPeer& peer, const BlockRequest& block, std::string_view data, TimePoint now);
  void fill_requests(TorrentPeer& peer, TimePoint now);
  // BEP 9: whether we offer ut_metadata (not for private torrents, as libtorrent), and a
  // message from a peer under our ut_metadata id.
  bool serves_metadata() const noexcept;
  void on_metadata_message(TorrentPeer& peer, std::string_view payload, TimePoint now);
  void pump_metadata(TorrentPeer& peer, TimePoint now);
  // BEP 11: whether we speak ut_pex on this torrent, a message from a peer under our ut_pex id,
  // and the periodic messages to peers (from tick).
  bool uses_pex() const noexcept;
  wire::ExtensionHandshake our_extension_handshake(const tracker::PeerEndpoint& endpoint) const;
  void on_pex_message(TorrentPeer& peer, std::string_view payload, TimePoint now);
  void send_pex(TimePoint now);
  void pump_uploads(TorrentPeer& peer);
  void compact_upload_queue(TorrentPeer& peer);
  void run_choker(TimePoint now);
  void connect_more(TimePoint now);
  void remove_peer(PeerKey key, const std::string& reason, TimePoint now);
  void strike(PeerKey key, bool sole_sender, TimePoint now);
  void apply_pause_priorities(TimePoint now);
  // What the picker should do with a piece: `now` for get-piece, skip while paused, else the
  // file selection's priority.
  Priority effective_priority(PieceIndex p) const;
  // Gives the picker p's effective priority, and keeps every peer's pieces_we_lack (and our
  // interest in it) in step when p becomes wanted or unwanted.
  void sync_priority(PieceIndex p, TimePoint now);
  // Whether the picker wants p fetched now (what interest in a peer counts).
  bool fetching(PieceIndex p) const noexcept {
    return !picker_.is_have(p) && picker_.priority(p) != Priority::skip;
  }
  void recount_wanted();
  // The last wanted piece is in (or the rest was unselected): tell the daemon, drop seeds.
  void on_completed(TimePoint now);
  bool wants_peers() const noexcept;
  void flush_outbound();
  TorrentPeer* find(PeerKey key);
  // Effects are built in place: GCC 12 misreads a moved-in variant as maybe-uninitialized.
  template <class E, class... Args>
  void emit(Args&&... args) {
    effects_.emplace_back(std::in_place_type<E>, E{std::forward<Args>(args)...});
  }

  std::shared_ptr<const Metainfo> meta_;
  TorrentConfig config_;
  PiecePicker picker_;
  Choker choker_;
  PeerCandidates candidates_;
  std::map<PeerKey, TorrentPeer> peers_;  // ordered: deterministic iteration for tests
  std::unordered_map<std::uint32_t, std::string> piece_buffers_;
  std::set<PieceIndex> hashing_;
  std::set<PieceIndex> now_pieces_;
  std::vector<Priority> wanted_;       // per piece, from the file selection
  std::uint32_t wanted_missing_ = 0;   // wanted pieces not verified
  std::int64_t wanted_bytes_ = 0;
  std::int64_t wanted_left_ = 0;
  std::size_t connecting_ = 0;
  bool paused_ = false;
  bool choke_soon_ = false;
  std::optional<std::string> error_;
  RateMeter down_;
  RateMeter up_;
  std::vector<TorrentEffect> effects_;
  std::vector<BlockRequest> scratch_requests_;
};

}  // namespace btd
