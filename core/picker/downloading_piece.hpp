#pragma once
// One piece we have started: the state of each of its blocks, who each block is requested
// from (and since when), and who sent the blocks we hold. A piece that fails its hash uses the
// senders to tell the caller whom to blame.
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/picker/peer_key.hpp"
#include "core/util/strong_index.hpp"

namespace btd {

enum class BlockStatus : std::uint8_t { missing, requested, received };

struct Requester {
  PeerKey peer;
  std::chrono::steady_clock::time_point since;
};

struct BlockState {
  BlockStatus status = BlockStatus::missing;
  PeerKey received_from{};
  // Usually one entry; more only for 'now' pieces and in endgame, bounded by the picker.
  std::vector<Requester> requesters;
};

class DownloadingPiece {
 public:
  DownloadingPiece(PieceIndex piece, std::uint32_t block_count);

  PieceIndex piece() const noexcept { return piece_; }
  std::uint32_t block_count() const noexcept { return static_cast<std::uint32_t>(blocks_.size()); }
  const BlockState& block(std::uint32_t i) const noexcept { return blocks_[i]; }
  std::uint32_t missing() const noexcept { return missing_; }
  std::uint32_t received() const noexcept { return received_; }
  bool complete() const noexcept { return received_ == blocks_.size(); }
  // Nothing requested and nothing received: the piece can go back to the untouched pool.
  bool idle() const noexcept { return missing_ == blocks_.size(); }

  // A fast peer downloading this piece on its own; others leave it alone outside endgame.
  std::optional<PeerKey> owner;

  bool is_requester(std::uint32_t i, PeerKey peer) const noexcept;
  // Requester or sender of any block.
  bool involves(PeerKey peer) const noexcept;

  // Precondition: block i is not received and `peer` is not already a requester.
  void add_request(std::uint32_t i, PeerKey peer, std::chrono::steady_clock::time_point now);
  // Removes `peer` as requester of block i; the block is missing again when nobody is left.
  // Returns whether `peer` was a requester.
  bool drop_request(std::uint32_t i, PeerKey peer);
  // Marks block i received from `from`; appends the other requesters (to cancel) to `others`.
  // Returns false (and changes nothing) if the block was already received.
  bool receive(std::uint32_t i, PeerKey from, std::vector<PeerKey>& others);
  // All blocks back to missing after a hash failure; returns each sender once.
  std::vector<PeerKey> reset();

 private:
  PieceIndex piece_;
  std::vector<BlockState> blocks_;
  std::uint32_t missing_ = 0;
  std::uint32_t received_ = 0;
};

}  // namespace btd
