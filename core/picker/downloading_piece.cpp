#include "core/picker/downloading_piece.hpp"

#include <algorithm>

namespace btd {

DownloadingPiece::DownloadingPiece(PieceIndex piece, std::uint32_t block_count)
    : piece_(piece), blocks_(block_count), missing_(block_count) {}

bool DownloadingPiece::is_requester(std::uint32_t i, PeerKey peer) const noexcept {
  const auto& rs = blocks_[i].requesters;
  return std::any_of(rs.begin(), rs.end(), [&](const Requester& r) { return r.peer == peer; });
}

bool DownloadingPiece::involves(PeerKey peer) const noexcept {
  for (std::uint32_t i = 0; i < blocks_.size(); ++i) {
    const BlockState& b = blocks_[i];
    if (b.status == BlockStatus::received ? b.received_from == peer : is_requester(i, peer))
      return true;
  }
  return false;
}

void DownloadingPiece::add_request(std::uint32_t i, PeerKey peer,
                                   std::chrono::steady_clock::time_point now) {
  BlockState& b = blocks_[i];
  if (b.status == BlockStatus::missing) {
    b.status = BlockStatus::requested;
    --missing_;
  }
  b.requesters.push_back(Requester{peer, now});
}

bool DownloadingPiece::drop_request(std::uint32_t i, PeerKey peer) {
  BlockState& b = blocks_[i];
  auto it = std::find_if(b.requesters.begin(), b.requesters.end(),
                         [&](const Requester& r) { return r.peer == peer; });
  if (it == b.requesters.end()) return false;
  b.requesters.erase(it);
  if (b.requesters.empty() && b.status == BlockStatus::requested) {
    b.status = BlockStatus::missing;
    ++missing_;
  }
  return true;
}

bool DownloadingPiece::receive(std::uint32_t i, PeerKey from, std::vector<PeerKey>& others) {
  BlockState& b = blocks_[i];
  if (b.status == BlockStatus::received) return false;
  if (b.status == BlockStatus::missing) --missing_;
  for (const Requester& r : b.requesters)
    if (r.peer != from) others.push_back(r.peer);
  b.requesters.clear();
  b.status = BlockStatus::received;
  b.received_from = from;
  ++received_;
  return true;
}

std::vector<PeerKey> DownloadingPiece::reset() {
  std::vector<PeerKey> senders;
  for (BlockState& b : blocks_) {
    if (b.status == BlockStatus::received &&
        std::find(senders.begin(), senders.end(), b.received_from) == senders.end())
      senders.push_back(b.received_from);
    b = BlockState{};
  }
  missing_ = static_cast<std::uint32_t>(blocks_.size());
  received_ = 0;
  owner.reset();
  return senders;
}

}  // namespace btd
