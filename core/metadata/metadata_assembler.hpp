#pragma once
// Collects a torrent's info dict from peers over ut_metadata (BEP 9) for a magnet link: which
// 16 KiB piece to ask whom, the pieces as they come, and the SHA-1 check against the info-hash
// once all are in. Sans-I/O and policy-free about peers: the caller decides how many requests a
// peer may have outstanding, when one times out, and drops the peers this names.
//
// The size comes from a peer (its handshake's metadata_size), so it is bounded before anything
// is allocated, and the buffer itself is allocated only when the first piece arrives.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/picker/peer_key.hpp"
#include "core/util/result.hpp"
#include "core/util/sha1.hpp"

namespace btd {

enum class MetadataPieceStatus {
  stored,     // a piece we lacked; more are missing
  ignored,    // we already had it, or never asked this peer for it
  complete,   // the last piece: the metadata matches the info-hash (take_metadata)
  hash_failed,  // the last piece, but the SHA-1 does not match: everything was discarded
};

struct MetadataPieceOutcome {
  MetadataPieceStatus status = MetadataPieceStatus::ignored;
  // hash_failed: every peer that sent one of the discarded pieces, once each, to be dropped.
  std::vector<PeerKey> senders;
};

class MetadataAssembler {
 public:
  // Refuses (Errc::limit_exceeded) a size of 0 or above 30 MiB.
  static Result<MetadataAssembler> create(const InfoHash& info_hash, std::uint64_t size);

  const InfoHash& info_hash() const noexcept { return info_hash_; }
  std::uint64_t size() const noexcept { return size_; }
  std::uint32_t piece_count() const noexcept { return static_cast<std::uint32_t>(pieces_.size()); }
  std::uint32_t pieces_received() const noexcept { return received_; }
  bool complete() const noexcept { return complete_; }

  // The piece to ask `peer` for next, recorded as asked of it; nullopt when there is none for it.
  // A piece nobody was asked for comes first; once every missing piece is asked of someone, one
  // asked only of others (so one slow peer does not hold up the end). Never a piece this peer
  // already has outstanding, never one received.
  std::optional<std::uint32_t> next_request(PeerKey peer);
  // Requests of this peer not yet answered.
  std::size_t outstanding(PeerKey peer) const;
  // The peer rejected the piece, or the caller gave up waiting: others may be asked for it.
  void on_reject(PeerKey peer, std::uint32_t piece);
  // The peer is gone: its outstanding requests are free again.
  void on_peer_gone(PeerKey peer);

  // A data message's piece. Errors (Errc::protocol_error: drop the peer) for a piece out of
  // range or data of the wrong length for it.
  Result<MetadataPieceOutcome> on_data(PeerKey peer, std::uint32_t piece, std::string_view data);

  // The verified info dict, once complete(); leaves the assembler empty.
  std::string take_metadata();

 private:
  struct Piece {
    bool have = false;
    PeerKey sender;
    std::vector<PeerKey> asked;  // outstanding requests for it, one per peer
  };
  MetadataAssembler(const InfoHash& info_hash, std::uint64_t size, std::uint32_t pieces);
  MetadataPieceOutcome finish();

  InfoHash info_hash_;
  std::uint64_t size_ = 0;
  std::vector<Piece> pieces_;
  std::uint32_t received_ = 0;
  bool complete_ = false;
  std::string buffer_;  // empty until the first piece arrives
};

}  // namespace btd
