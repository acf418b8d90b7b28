#pragma once
// What the torrent keeps about one connected peer, around its protocol state.
#include <chrono>
#include <cstdint>
#include <deque>
#include <vector>
#include <string>

#include "core/peer/peer_connection.hpp"
#include "core/picker/snub_timer.hpp"
#include "core/torrent/peer_exchange.hpp"
#include "core/tracker/peer_endpoint.hpp"
#include "core/util/rate_meter.hpp"

namespace btd {

struct TorrentPeer {
  TorrentPeer(PeerKey key, const PieceGeometry& geometry, wire::Reserved ours, wire::Reserved theirs,
              PeerConnectionLimits limits)
      : conn(key, geometry, ours, theirs, limits) {}

  PeerConnection conn;
  tracker::PeerEndpoint endpoint;
  bool incoming = false;
  std::string client;
  std::chrono::steady_clock::time_point connected_at{};
  RateMeter down;
  RateMeter up;
  SnubTimer snub;
  // Availability is counted in the picker once per peer: as a seed (O(1)) or piece by piece.
  bool counted_as_seed = false;
  bool pieces_counted = false;  // its bitfield (or have_all/none) was counted
  // Haves that came before the bitfield, counted one by one: replaced when the bitfield comes.
  std::vector<PieceIndex> early_haves;
  // Pieces the peer has that we lack: we are interested exactly while this is above zero.
  std::uint32_t pieces_we_lack = 0;
  // Seeding: requests waiting for a disk read (cancelled ones are skipped when they come up),
  // and reads in flight.
  std::deque<BlockRequest> upload_queue;
  std::size_t read_bytes_in_flight = 0;
  // ut_metadata pieces the peer asked for, answered as its socket drains like blocks (bounded:
  // requests past the bound are rejected).
  std::deque<std::uint32_t> metadata_requests;
  PeerExchange pex;  // ut_pex: what it was told, how often it talks
  // Bytes handed out in Send effects since its socket last drained.
  std::size_t unsent = 0;
  bool fast = false;
  int strikes_ = 0;  // bad pieces this peer had a part in
};

}  // namespace btd
