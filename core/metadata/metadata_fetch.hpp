#pragma once
// The metadata phase of a magnet link, sans-I/O: which peers to dial, the BEP 10 extension
// handshake, ut_metadata (BEP 9) requests through MetadataAssembler, time-outs, and dropping
// peers that lie. Bytes and time come in through the on_* methods and tick(); Send, Close and
// Connect effects go out (the same TorrentEffect types the Torrent engine uses), and once the
// info dict verifies against the info-hash, done() is true and take_metadata() hands it over.
//
// Its connections end with it: a peer's bitfield came before anyone knew the piece count, so
// the daemon starts a Torrent engine and dials the same peers again (known_peers()).
//
// Everything a peer says is hostile input: a metadata_size above 30 MiB, a piece out of range
// or of the wrong length, a total_size other than the metadata_size it announced all drop the
// peer before anything is allocated for it.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/metadata/metadata_assembler.hpp"
#include "core/picker/peer_key.hpp"
#include "core/torrent/peer_candidates.hpp"
#include "core/torrent/torrent_effect.hpp"
#include "core/util/result.hpp"
#include "core/util/sha1.hpp"
#include "core/wire/frame_decoder.hpp"
#include "core/wire/handshake.hpp"

namespace btd {

struct MetadataFetchConfig {
  std::size_t max_peers = 50;
  std::size_t max_connecting = 8;  // outgoing attempts in flight at once
  // ut_metadata requests outstanding per peer (btd itself queues 4 per peer, libtorrent more).
  std::size_t max_requests_per_peer = 2;
  // A request unanswered this long is given to another peer; a peer that lets max_timeouts
  // requests time out is dropped.
  std::chrono::seconds request_timeout{10};
  int max_timeouts = 3;
  // A peer that rejected a request (it lacks the metadata, or is busy) is asked again after this.
  std::chrono::seconds reject_backoff{5};
  // A peer that has not sent its extension handshake this long after connecting is useless here.
  std::chrono::seconds handshake_timeout{20};
  std::chrono::seconds peer_idle_timeout{120};
  std::chrono::seconds keepalive_interval{90};
  // Rejects we send to a peer asking us for metadata we do not have; later requests are ignored.
  std::size_t max_rejects_per_peer = 16;
  std::uint32_t max_message_size = wire::FrameDecoder::kDefaultMaxMessageSize;
  std::string client_name = "btd/0.1.0";
  std::uint16_t listen_port = 0;
};

struct MetadataFetchPeerInfo {
  std::string address;
  std::string client;
  std::uint64_t metadata_size = 0;  // 0: the peer has not said (yet)
  std::size_t requests = 0;         // our requests it has not answered
};

class MetadataFetch {
 public:
  using Clock = std::chrono::steady_clock;
  using TimePoint = Clock::time_point;

  MetadataFetch(const InfoHash& info_hash, MetadataFetchConfig config);

  const InfoHash& info_hash() const noexcept { return info_hash_; }

  // ---- control ----------------------------------------------------------------------------
  // Paused, every peer is closed and none is dialled; resumed, dialling starts again.
  void set_paused(bool paused, TimePoint now);
  bool paused() const noexcept { return paused_; }
  void set_max_peers(std::size_t max_peers) noexcept { config_.max_peers = max_peers; }
  // Once a second: request time-outs, silent peers, keep-alives, new connections.
  void tick(TimePoint now);

  // ---- peers ------------------------------------------------------------------------------
  void add_peer_candidates(const std::vector<tracker::PeerEndpoint>& endpoints, TimePoint now,
                           bool explicit_peers = false);
  void on_connect_failed(const tracker::PeerEndpoint& endpoint, TimePoint now);
  // The BitTorrent handshake is done (the daemon checked the info-hash). Refused (error: the
  // caller closes the socket) when the peer lacks the extension protocol, which ut_metadata
  // needs, or when we are paused, full, finished, or the address is banned.
  Result<void> on_peer_connected(PeerKey key, const tracker::PeerEndpoint& endpoint, bool incoming,
                                 const wire::Handshake& theirs, std::string_view leftover, TimePoint now);
  void on_peer_data(PeerKey key, std::string_view bytes, TimePoint now);
  void on_peer_closed(PeerKey key, const std::string& reason, TimePoint now);

  std::vector<TorrentEffect> take_effects();

  // ---- result and status ------------------------------------------------------------------
  // The info dict verified against the info-hash.
  bool done() const noexcept { return done_; }
  // The verified info dict, once done(); empty afterwards.
  std::string take_metadata();
  // Size and progress of the fetch in progress; 0 while no peer has told the size.
  std::uint64_t metadata_size() const noexcept { return assembler_ ? assembler_->size() : 0; }
  std::uint32_t metadata_pieces() const noexcept { return assembler_ ? assembler_->piece_count() : 0; }
  std::uint32_t metadata_pieces_have() const noexcept { return assembler_ ? assembler_->pieces_received() : 0; }
  // How many times a complete info dict failed the info-hash check.
  std::uint32_t hash_failures() const noexcept { return hash_failures_; }
  std::size_t peer_count() const noexcept { return peers_.size(); }
  std::vector<MetadataFetchPeerInfo> peers() const;
  // Where the connected peers listen: the address dialled, or for one that dialled us its address
  // with the port from its extension handshake (none when it did not say).
  std::vector<tracker::PeerEndpoint> known_peers() const;

 private:
  struct Peer {
    explicit Peer(std::uint32_t max_message_size) : frames(max_message_size) {}
    tracker::PeerEndpoint endpoint;
    bool incoming = false;
    std::string client;
    wire::FrameDecoder frames;
    std::string outbound;
    bool extension_handshake = false;     // its BEP 10 handshake came
    std::uint8_t ut_metadata_id = 0;      // the id it wants ut_metadata sent with; 0: none
    std::uint64_t metadata_size = 0;      // from its handshake; 0: unknown
    std::optional<std::uint16_t> listen_port;
    std::map<std::uint32_t, TimePoint> requests;  // piece -> when we asked
    TimePoint connected_at{};
    TimePoint last_received{};
    TimePoint last_sent{};
    TimePoint ask_after{};  // no requests before this (after a reject or a time-out)
    int timeouts = 0;
    std::size_t rejects_sent = 0;
  };

  Result<void> on_frame(PeerKey key, Peer& p, std::string_view frame, TimePoint now);
  Result<void> on_extension_handshake(PeerKey key, Peer& p, std::string_view payload);
  Result<void> on_ut_metadata(PeerKey key, Peer& p, std::string_view payload, TimePoint now);
  // Starts an assembler when none runs, for the size most connected peers announced.
  void ensure_assembler();
  void request_more(PeerKey key, Peer& p, TimePoint now);
  void request_everywhere(TimePoint now);
  void send_frame(Peer& p, const std::string& frame, TimePoint now);
  void connect_more(TimePoint now);
  void remove_peer(PeerKey key, const std::string& reason, TimePoint now);
  void flush_outbound();
  Peer* find(PeerKey key);
  template <class E, class... Args>
  void emit(Args&&... args) {
    effects_.emplace_back(std::in_place_type<E>, E{std::forward<Args>(args)...});
  }

  InfoHash info_hash_;
  MetadataFetchConfig config_;
  PeerCandidates candidates_;
  std::map<PeerKey, Peer> peers_;  // ordered: deterministic iteration for tests
  std::optional<MetadataAssembler> assembler_;
  std::size_t connecting_ = 0;
  std::uint32_t hash_failures_ = 0;
  bool paused_ = false;
  bool done_ = false;
  std::string metadata_;
  std::vector<TorrentEffect> effects_;
};

}  // namespace btd
