#pragma once
// The BEP 3 handshake exchange of one connection, as bytes in and bytes out: no socket here, so
// every rule (wrong torrent, unknown torrent, talking to ourselves, garbage) is tested without a
// network. PeerNetwork feeds it what the socket reads until it is done, then hands the
// connection to the engine together with any bytes that followed the 68.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/sha1.hpp"
#include "core/wire/handshake.hpp"
#include "core/wire/peer_id.hpp"

namespace btd::net {

// What the daemon says about a torrent an incoming peer asks for.
struct TorrentMatch {
  // Ready connections allowed for this torrent; 0 means the network's default.
  std::size_t max_connections = 0;
};

// nullopt: we do not serve this info-hash.
using TorrentLookup = std::function<std::optional<TorrentMatch>(const InfoHash&)>;

// The reserved bits btd announces: fast extension and extension protocol; DHT stays off until
// btd runs a DHT node, since announcing it makes peers send PORT messages we would ignore.
wire::Reserved default_reserved();

class PeerHandshaker {
 public:
  // We chose the torrent and speak first: start() returns our 68 bytes.
  static PeerHandshaker outgoing(const wire::Handshake& ours);
  // The peer names the torrent; we answer once `lookup` accepts its info-hash.
  static PeerHandshaker incoming(wire::Reserved reserved, wire::PeerId our_id, TorrentLookup lookup);

  // Incoming after an encrypted handshake: the torrent is already known from it, and a
  // BitTorrent handshake naming another one fails.
  void expect_info_hash(const InfoHash& info_hash) { expected_ = info_hash; }

  // Bytes to write as soon as the connection is up (empty for an incoming connection).
  std::string start();

  struct Step {
    std::string send;                    // write these now (our handshake), possibly empty
    std::optional<std::string> failure;  // close the connection with this reason
    bool complete = false;               // theirs() and take_leftover() are valid
  };
  // Feeds bytes read from the socket. After `complete` or a failure, feeding again is an error
  // of the caller and fails.
  Step feed(std::string_view bytes);

  bool incoming_side() const noexcept { return incoming_; }
  bool complete() const noexcept { return complete_; }
  // The torrent: ours when outgoing, the peer's once its info-hash arrived when incoming.
  const InfoHash& info_hash() const noexcept { return ours_.info_hash; }
  const wire::Handshake& theirs() const noexcept { return theirs_; }
  // Incoming: what lookup said about the torrent; outgoing: nullopt.
  const std::optional<TorrentMatch>& match() const noexcept { return match_; }
  // Bytes the peer sent after its handshake: the start of its first messages.
  std::string take_leftover();

 private:
  PeerHandshaker() = default;

  wire::Handshake ours_;
  wire::Handshake theirs_;
  TorrentLookup lookup_;
  std::optional<TorrentMatch> match_;
  std::optional<InfoHash> expected_;
  std::string received_;
  bool incoming_ = false;
  bool sent_ = false;
  bool complete_ = false;
  bool failed_ = false;
};

}  // namespace btd::net
