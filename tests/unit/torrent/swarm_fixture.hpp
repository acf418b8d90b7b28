#pragma once
// An in-memory swarm on a virtual clock: Torrent engines wired to each other, bytes passed
// between them directly, and a disk stand-in that really hashes and stores pieces. This is the
// deterministic swarm the sans-I/O design exists for (STYLE.md, "time is handed in").
#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/create/torrent_builder.hpp"
#include "core/metainfo/metainfo.hpp"
#include "core/torrent/torrent.hpp"
#include "core/util/sha1.hpp"

namespace btd::test {

inline std::string payload_bytes(std::size_t n, std::uint32_t seed) {
  std::string out(n, '\0');
  std::uint32_t x = seed | 1;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return out;
}

inline std::shared_ptr<const Metainfo> make_metainfo(const std::string& payload, std::int64_t piece_length) {
  CreateOptions o;
  o.name = "swarm.bin";
  o.files.push_back({{}, static_cast<std::int64_t>(payload.size())});
  o.piece_length = piece_length;
  auto b = TorrentBuilder::create(o);
  REQUIRE(b.ok());
  b->update(payload);
  auto bytes = b->finish();
  REQUIRE(bytes.ok());
  auto meta = parse_metainfo(*bytes);
  REQUIRE(meta.ok());
  return std::make_shared<const Metainfo>(std::move(*meta));
}

// One node of the swarm: an engine plus its "disk" (whole pieces by index).
struct Node {
  std::string name;
  std::unique_ptr<Torrent> torrent;
  std::map<std::uint32_t, std::string> disk;
  // Seeding reads can be tampered with to make a corrupt peer.
  std::function<void(PieceIndex, std::string&)> corrupt;
  // While set, every write after a good hash fails with it (a full disk) once this many pieces
  // are on disk.
  std::optional<Error> write_error;
  std::size_t write_error_after = 0;
  // Its sends are delivered but it never learns they left, as with a peer that stopped reading.
  bool never_drained = false;
  bool completed = false;
  std::vector<PieceIndex> verified;
  std::vector<PieceIndex> failed;
  std::vector<std::string> closed_reasons;
};

class Swarm {
 public:
  using TimePoint = Torrent::TimePoint;

  explicit Swarm(std::shared_ptr<const Metainfo> meta, std::string payload)
      : meta_(std::move(meta)), payload_(std::move(payload)) {}

  Node& add_node(const std::string& name, bool seed, std::uint64_t rng_seed, TorrentConfig config = {}) {
    auto node = std::make_unique<Node>();
    node->name = name;
    Bitfield have(meta_->piece_count, seed);
    auto t = Torrent::create(meta_, have, config, rng_seed);
    REQUIRE(t.ok());
    node->torrent = std::move(*t);
    if (seed)
      for (std::uint32_t i = 0; i < meta_->piece_count; ++i) node->disk[i] = piece_data(PieceIndex{i});
    nodes_.push_back(std::move(node));
    return *nodes_.back();
  }

  // Connects a (outgoing) to b (incoming) with handshakes done.
  void connect(Node& a, Node& b) {
    const PeerKey ka{next_key_++};
    const PeerKey kb{next_key_++};
    links_[{&a, ka}] = {&b, kb};
    links_[{&b, kb}] = {&a, ka};
    wire::Handshake ha{Torrent::our_reserved(), meta_->info_hash, peer_id(a)};
    wire::Handshake hb{Torrent::our_reserved(), meta_->info_hash, peer_id(b)};
    REQUIRE(a.torrent->on_peer_connected(ka, endpoint(b), false, hb, {}, now_).ok());
    REQUIRE(b.torrent->on_peer_connected(kb, endpoint(a), true, ha, {}, now_).ok());
  }

  std::string piece_data(PieceIndex p) const {
    const auto off = static_cast<std::size_t>(p.get()) * static_cast<std::size_t>(meta_->piece_length);
    return payload_.substr(off, static_cast<std::size_t>(meta_->piece_size(p)));
  }

  // Delivers every effect until nothing moves, then advances the virtual clock one second and
  // ticks every engine. Stops after `seconds` or when `done` holds.
  void run(int seconds, const std::function<bool()>& done) {
    for (int s = 0; s < seconds && !done(); ++s) {
      for (int round = 0; round < 10000 && pump(); ++round) {
      }
      now_ += std::chrono::seconds(1);
      for (auto& n : nodes_) n->torrent->tick(now_);
    }
    for (int round = 0; round < 10000 && pump(); ++round) {
    }
  }

  TimePoint now() const { return now_; }
  bool linked(Node& a) const {
    for (auto& [from, to] : links_)
      if (from.first == &a) return true;
    return false;
  }

 private:
  static wire::PeerId peer_id(const Node& n) {
    wire::PeerId id;
    std::string raw = "-BD0100-" + n.name;
    raw.resize(20, 'x');
    wire::PeerId::from_bytes(raw, id);
    return id;
  }
  tracker::PeerEndpoint endpoint(const Node& n) const {
    for (std::size_t i = 0; i < nodes_.size(); ++i)
      if (nodes_[i].get() == &n) return {"10.0.0." + std::to_string(i + 1), 6881};
    return {"10.0.0.99", 6881};
  }

  // Drains and executes one round of effects of every node; true if anything happened.
  bool pump() {
    bool moved = false;
    for (auto& np : nodes_) {
      Node& n = *np;
      for (TorrentEffect& e : n.torrent->take_effects()) {
        moved = true;
        std::visit([&](auto& eff) { execute(n, eff); }, e);
      }
    }
    return moved;
  }

  void execute(Node& n, torrent_effect::Send& e) {
    auto it = links_.find({&n, e.peer});
    if (it == links_.end()) return;
    it->second.first->torrent->on_peer_data(it->second.second, e.bytes, now_);
    // Delivered at once, so the sender's "socket" is drained, unless the test holds it back.
    if (!n.never_drained) n.torrent->on_peer_drained(e.peer);
  }
  void execute(Node& n, torrent_effect::Close& e) {
    n.closed_reasons.push_back(e.reason);
    auto it = links_.find({&n, e.peer});
    if (it == links_.end()) return;
    auto [other, other_key] = it->second;
    links_.erase(it);
    links_.erase({other, other_key});
    other->torrent->on_peer_closed(other_key, "connection closed by peer", now_);
  }
  void execute(Node&, torrent_effect::Connect&) {}
  void execute(Node& n, torrent_effect::VerifyAndWrite& e) {
    const bool ok = sha1(e.data) == meta_->piece_hash(e.piece);
    if (ok && n.write_error && n.disk.size() >= n.write_error_after)
      return n.torrent->on_piece_written(e.piece, ok, n.write_error, now_);
    if (ok) n.disk[e.piece.get()] = e.data;
    n.torrent->on_piece_written(e.piece, ok, std::nullopt, now_);
  }
  void execute(Node& n, torrent_effect::ReadBlock& e) {
    auto it = n.disk.find(e.block.piece.get());
    if (it == n.disk.end()) {
      n.torrent->on_block_read(e.peer, e.block, Error(Errc::io_error, "not on disk"), now_);
      return;
    }
    std::string piece = it->second;
    if (n.corrupt) n.corrupt(e.block.piece, piece);
    n.torrent->on_block_read(e.peer, e.block, piece.substr(e.block.begin, e.block.length), now_);
  }
  void execute(Node& n, torrent_effect::PieceVerified& e) { n.verified.push_back(e.piece); }
  void execute(Node& n, torrent_effect::PieceFailed& e) { n.failed.push_back(e.piece); }
  void execute(Node& n, torrent_effect::Completed&) { n.completed = true; }
  void execute(Node&, torrent_effect::Failed&) {}
  void execute(Node&, torrent_effect::DhtNode&) {}

  std::shared_ptr<const Metainfo> meta_;
  std::string payload_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::map<std::pair<Node*, PeerKey>, std::pair<Node*, PeerKey>> links_;
  std::uint32_t next_key_ = 1;
  TimePoint now_{std::chrono::hours(1)};
};

}  // namespace btd::test
