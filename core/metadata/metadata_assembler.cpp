#include "core/metadata/metadata_assembler.hpp"

#include <algorithm>

#include "core/wire/ut_metadata.hpp"

namespace btd {
namespace {

bool erase_peer(std::vector<PeerKey>& peers, PeerKey peer) {
  auto it = std::find(peers.begin(), peers.end(), peer);
  if (it == peers.end()) return false;
  peers.erase(it);
  return true;
}

bool contains(const std::vector<PeerKey>& peers, PeerKey peer) {
  return std::find(peers.begin(), peers.end(), peer) != peers.end();
}

}  // namespace

Result<MetadataAssembler> MetadataAssembler::create(const InfoHash& info_hash, std::uint64_t size) {
  if (size == 0) return Error(Errc::limit_exceeded, "metadata_size 0: a peer announced empty metadata");
  if (size > wire::kMaxMetadataSize) {
    return Error(Errc::limit_exceeded, "metadata_size " + std::to_string(size) + " exceeds the limit of " +
                                           std::to_string(wire::kMaxMetadataSize) + " bytes");
  }
  return MetadataAssembler(info_hash, size, wire::metadata_piece_count(size));
}

MetadataAssembler::MetadataAssembler(const InfoHash& info_hash, std::uint64_t size, std::uint32_t pieces)
    : info_hash_(info_hash), size_(size), pieces_(pieces) {}

std::optional<std::uint32_t> MetadataAssembler::next_request(PeerKey peer) {
  if (complete_) return std::nullopt;
  std::optional<std::uint32_t> shared;
  for (std::uint32_t i = 0; i < pieces_.size(); ++i) {
    Piece& p = pieces_[i];
    if (p.have || contains(p.asked, peer)) continue;
    if (p.asked.empty()) {
      p.asked.push_back(peer);
      return i;
    }
    // Among pieces others have, the one asked of the fewest peers.
    if (!shared || p.asked.size() < pieces_[*shared].asked.size()) shared = i;
  }
  if (shared) pieces_[*shared].asked.push_back(peer);
  return shared;
}

std::size_t MetadataAssembler::outstanding(PeerKey peer) const {
  return static_cast<std::size_t>(
      std::count_if(pieces_.begin(), pieces_.end(), [&](const Piece& p) { return contains(p.asked, peer); }));
}

void MetadataAssembler::on_reject(PeerKey peer, std::uint32_t piece) {
  if (piece < pieces_.size()) erase_peer(pieces_[piece].asked, peer);
}

void MetadataAssembler::on_peer_gone(PeerKey peer) {
  for (Piece& p : pieces_) erase_peer(p.asked, peer);
}

Result<MetadataPieceOutcome> MetadataAssembler::on_data(PeerKey peer, std::uint32_t piece, std::string_view data) {
  if (piece >= pieces_.size()) {
    return Error(Errc::protocol_error, "peer sent metadata piece " + std::to_string(piece) + ", but " +
                                           std::to_string(size_) + " bytes of metadata have " +
                                           std::to_string(pieces_.size()) + " pieces");
  }
  const std::size_t expected = wire::metadata_piece_size(size_, piece);
  if (data.size() != expected) {
    return Error(Errc::protocol_error, "peer sent metadata piece " + std::to_string(piece) + " of " +
                                           std::to_string(data.size()) + " bytes, expected " +
                                           std::to_string(expected));
  }
  Piece& p = pieces_[piece];
  // Unasked data is not taken: it would let any peer fill our buffer with pieces of its choice.
  if (!erase_peer(p.asked, peer) || p.have || complete_) return MetadataPieceOutcome{};
  if (buffer_.empty()) buffer_.resize(static_cast<std::size_t>(size_));
  std::copy(data.begin(), data.end(), buffer_.begin() + static_cast<std::ptrdiff_t>(piece) * wire::kMetadataPieceSize);
  p.have = true;
  p.sender = peer;
  ++received_;
  if (received_ < pieces_.size()) return MetadataPieceOutcome{MetadataPieceStatus::stored, {}};
  return finish();
}

MetadataPieceOutcome MetadataAssembler::finish() {
  if (sha1(buffer_) == info_hash_) {
    complete_ = true;
    for (Piece& p : pieces_) p.asked.clear();
    return MetadataPieceOutcome{MetadataPieceStatus::complete, {}};
  }
  // Which piece was wrong cannot be told: every sender is suspect, and everything starts over.
  MetadataPieceOutcome out{MetadataPieceStatus::hash_failed, {}};
  for (Piece& p : pieces_) {
    if (!contains(out.senders, p.sender)) out.senders.push_back(p.sender);
    p = Piece{};
  }
  received_ = 0;
  std::string().swap(buffer_);
  return out;
}

std::string MetadataAssembler::take_metadata() {
  if (!complete_) return {};
  std::string out = std::move(buffer_);
  buffer_.clear();
  return out;
}

}  // namespace btd
