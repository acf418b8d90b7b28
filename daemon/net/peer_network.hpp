#pragma once
// The daemon's peer connections: one listener and every socket, by id. It connects, accepts,
// exchanges handshakes and enforces connection limits; after the handshake it only moves bytes
// and reports, leaving the protocol to the engine.
//
// Ids are never reused, so a late event for a closed connection cannot reach a newer one.
// Callbacks run on the loop thread and may call back into the network (send, close, connect);
// closing is asynchronous: on_closed follows later, once the handles are closed.
// Single-threaded: every method must be called on the loop's thread.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include <uv.h>

#include "core/tracker/peer_endpoint.hpp"
#include "core/util/result.hpp"
#include "core/util/sha1.hpp"
#include "core/wire/handshake.hpp"
#include "daemon/net/connection_handshake.hpp"
#include "daemon/net/encryption_mode.hpp"
#include "daemon/net/peer_handshaker.hpp"
#include "daemon/net/peer_listener.hpp"
#include "daemon/net/peer_socket.hpp"
#include "daemon/net/rate_limiter.hpp"
#include "daemon/net/upload_queue.hpp"

namespace btd::net {

struct PeerNetworkOptions {
  wire::PeerId peer_id;
  wire::Reserved reserved = default_reserved();
  // Every connection counts, handshaking or not, incoming or outgoing.
  std::size_t max_connections = 500;
  // Ready connections per torrent unless its TorrentMatch says otherwise; checked when a
  // handshake completes.
  std::size_t max_connections_per_torrent = 80;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds handshake_timeout{10'000};
  EncryptionMode encryption = EncryptionMode::prefer_plaintext;
};

// A connection whose handshake completed.
struct PeerReady {
  SocketId id = 0;
  InfoHash info_hash;
  wire::Handshake theirs;
  tracker::PeerEndpoint endpoint;
  bool incoming = false;
  std::string leftover;  // bytes after their handshake: the start of their first messages
  // The MSE handshake's choice: mse::kCryptoRc4 (the whole stream is encrypted, transparently),
  // mse::kCryptoPlaintext (only the handshake was); 0: a plaintext handshake.
  std::uint32_t mse_crypto = 0;
};

struct PeerNetworkCallbacks {
  // Which torrents we serve; asked for an incoming peer's info-hash and, for every connection,
  // for the torrent's connection limit when the handshake completes.
  TorrentLookup lookup;
  // An encrypted handshake names its torrent only as HASH('req2', info-hash) (mse::req2_hash):
  // the info-hash of the torrent we serve that hashes to it, else nullopt.
  mse::SkeyLookup lookup_obfuscated;
  std::function<void(const PeerReady&)> on_peer_ready;
  // Bytes from a ready connection; valid only during the call.
  std::function<void(SocketId, std::string_view)> on_data;
  // A ready connection's write queue emptied: time to produce more.
  std::function<void(SocketId)> on_drain;
  // Exactly once for every id the network created, ready or not (an incoming connection that
  // failed its handshake included), with the reason it ended.
  std::function<void(SocketId, const std::string& reason)> on_closed;
};

struct PeerNetworkStats {
  std::size_t connections = 0;  // open or connecting, any state
  std::size_t handshaking = 0;
  std::size_t ready = 0;
  std::size_t incoming = 0;
  std::size_t outgoing = 0;
  std::uint64_t refused_incoming = 0;  // closed at accept because of the global limit
  std::size_t encrypted = 0;           // ready connections that did the MSE handshake
  std::uint64_t retried = 0;           // outgoing handshakes tried again the other way
};

class PeerNetwork {
 public:
  PeerNetwork(uv_loop_t* loop, PeerNetworkOptions options, PeerNetworkCallbacks callbacks);
  // Closes everything without calling back; run the loop afterwards to free the handles.
  ~PeerNetwork();
  PeerNetwork(const PeerNetwork&) = delete;
  PeerNetwork& operator=(const PeerNetwork&) = delete;

  Result<void> listen(const std::string& address, std::uint16_t port);
  std::uint16_t listen_port() const noexcept { return listener_.port(); }

  // Starts an outgoing connection for a torrent. Refused at once when the global limit is reached
  // or a connection to the same endpoint for the same torrent is already connecting or open.
  Result<SocketId> connect(const tracker::PeerEndpoint& endpoint, const InfoHash& info_hash);

  // False when the id is unknown, not ready yet, or closing.
  bool send(SocketId id, std::string bytes);
  std::size_t queued_bytes(SocketId id) const;
  // How a ready connection's handshake went (PeerReady::mse_crypto); 0 for plaintext or unknown.
  std::uint32_t mse_crypto(SocketId id) const;
  void pause_reading(SocketId id);
  void resume_reading(SocketId id);
  void close(SocketId id, std::string reason);
  // Stops listening and closes every connection ("shutting down"); connect() fails afterwards.
  void close_all();

  PeerNetworkStats stats() const;
  const PeerNetworkOptions& options() const noexcept { return options_; }

  // Connection limits can change at any time; connections already open are kept when a limit
  // is lowered, new ones wait until the count is below it.
  void set_connection_limits(std::size_t max_connections, std::size_t max_per_torrent);
  // Which handshakes are accepted and dialled, for connections from now on.
  void set_encryption(EncryptionMode mode) noexcept { options_.encryption = mode; }
  // The mode in force: "disabled" when RC4 is unavailable (see mse::rc4_available), unless
  // "required" was asked for, which then fails every connection with the reason.
  EncryptionMode encryption() const noexcept;
  // BEP 5: the DHT bit of our handshake's reserved bytes, for connections from now on.
  void set_dht_bit(bool on) noexcept { options_.reserved.set_dht(on); }
  // Bytes per second, 0 = unlimited; a byte needs tokens from both the global and its torrent's
  // limit. Download limits stop reading sockets; upload limits hold back piece data only.
  void set_rate_limits(std::uint64_t download, std::uint64_t upload);
  void set_torrent_rate_limits(const InfoHash& info_hash, std::uint64_t download, std::uint64_t upload);
  // How often limited sockets get their share of the tokens.
  static constexpr std::chrono::milliseconds kRateTick{50};

 private:
  struct Connection {
    std::unique_ptr<PeerSocket> socket;
    std::optional<ConnectionHandshake> handshaker;  // until the handshake completes
    tracker::PeerEndpoint endpoint;
    InfoHash info_hash;
    bool incoming = false;
    bool ready = false;
    bool retried = false;  // the other kind of handshake is being tried
    std::uint32_t mse_crypto = 0;
    std::optional<std::pair<InfoHash, std::string>> outgoing_key;
    UploadQueue upload;         // piece messages waiting for upload tokens
    std::uint64_t up_quota = 0;  // upload tokens granted and not spent yet
  };

  Result<SocketId> add_socket(bool incoming);
  // Callbacks that report for connection `id`, whichever socket it uses now.
  PeerSocketCallbacks socket_callbacks(SocketId id);
  EncryptionConfig encryption_config() const;
  // The first outgoing attempt failed in a way the other kind of handshake may fix: dial again.
  bool retry(SocketId id, Connection& c);
  bool accept(uv_stream_t* server);
  void on_connected(SocketId id);
  void on_socket_data(SocketId id, std::string_view bytes);
  void on_handshake_done(SocketId id);
  void on_socket_drain(SocketId id);
  void on_socket_closed(SocketId id, const std::string& reason);
  void on_read_quota_spent(SocketId id);
  // Applies the current rate limits to one ready connection.
  void apply_rate_limits(SocketId id, Connection& c);
  void release_uploads(SocketId id, Connection& c);
  void on_rate_tick();
  void start_rate_timer();
  void close_rate_timer();
  RateLimiter::TimePoint rate_now() const;
  std::size_t torrent_limit(const std::optional<TorrentMatch>& match) const;
  Connection* find(SocketId id);
  const Connection* find(SocketId id) const;

  uv_loop_t* loop_;
  PeerNetworkOptions options_;
  PeerNetworkCallbacks callbacks_;
  std::shared_ptr<SocketTable> table_ = std::make_shared<SocketTable>();
  PeerListener listener_;
  std::unordered_map<SocketId, Connection> connections_;
  std::set<std::pair<InfoHash, std::string>> outgoing_keys_;  // (torrent, "ip:port")
  std::unordered_map<InfoHash, std::size_t> ready_per_torrent_;
  SocketId next_id_ = 1;  // connection and socket ids come from the same counter, never reused
  bool rc4_ = false;      // mse::rc4_available()
  std::uint64_t retried_ = 0;
  bool shut_down_ = false;
  RateLimiter limiter_;
  uv_timer_t* rate_timer_ = nullptr;  // runs only while a socket waits for tokens
};

}  // namespace btd::net
