#include "core/torrent/torrent.hpp"

#include <algorithm>
#include <span>

#include "core/picker/request_queue_depth.hpp"
#include "core/util/overloaded.hpp"
#include "core/wire/peer_id.hpp"
#include "core/wire/ut_metadata.hpp"
#include "core/wire/ut_pex.hpp"

namespace btd {
const char* torrent_state_name(TorrentState s) {
  switch (s) {
    case TorrentState::downloading: return "downloading";
    case TorrentState::seeding: return "seeding";
    case TorrentState::paused: return "paused";
    case TorrentState::error: return "error";
  }
  return "error";
}

Result<std::unique_ptr<Torrent>> Torrent::create(std::shared_ptr<const Metainfo> meta, Bitfield have,
                                                 TorrentConfig config, std::uint64_t seed,
                                                 std::vector<Priority> wanted) {
  if (!meta) return Error(Errc::invalid_argument, "no metainfo");
  auto geometry = PieceGeometry::create(meta->piece_count, static_cast<std::uint32_t>(meta->piece_length),
                                        static_cast<std::uint64_t>(meta->total_size));
  if (!geometry) return geometry.error();
  if (have.size() != meta->piece_count) have = Bitfield(meta->piece_count);
  return std::unique_ptr<Torrent>(
      new Torrent(std::move(meta), *geometry, std::move(have), std::move(config), seed, std::move(wanted)));
}

Torrent::Torrent(std::shared_ptr<const Metainfo> meta, PieceGeometry geometry, Bitfield have,
                 TorrentConfig config, std::uint64_t seed, std::vector<Priority> wanted)
    : meta_(std::move(meta)),
      config_(std::move(config)),
      picker_(geometry, seed),
      choker_(config_.choker, seed ^ 0x9e3779b97f4a7c15ull) {
  for (std::uint32_t i = 0; i < have.size(); ++i)
    if (have.get(i)) (void)picker_.mark_have(PieceIndex{i});
  if (wanted.size() != geometry.piece_count()) wanted.assign(geometry.piece_count(), Priority::normal);
  wanted_ = std::move(wanted);
  for (std::uint32_t i = 0; i < wanted_.size(); ++i) {
    // Only the file selection's three values; `now` is get-piece's, never a file's.
    if (wanted_[i] == Priority::now) wanted_[i] = Priority::high;
    if (wanted_[i] != Priority::normal) (void)picker_.set_priority(PieceIndex{i}, wanted_[i]);
  }
  recount_wanted();
}

void Torrent::recount_wanted() {
  const PieceGeometry& g = picker_.geometry();
  wanted_missing_ = 0;
  wanted_bytes_ = 0;
  wanted_left_ = 0;
  for (std::uint32_t i = 0; i < wanted_.size(); ++i) {
    if (wanted_[i] == Priority::skip) continue;
    const std::int64_t size = g.piece_size(PieceIndex{i});
    wanted_bytes_ += size;
    if (picker_.is_have(PieceIndex{i})) continue;
    ++wanted_missing_;
    wanted_left_ += size;
  }
}

wire::Reserved Torrent::our_reserved() {
  wire::Reserved r;
  r.set_fast_extension(true);
  r.set_extension_protocol(true);
  return r;
}

TorrentState Torrent::state() const noexcept {
  if (error_) return TorrentState::error;
  if (paused_) return TorrentState::paused;
  return complete() ? TorrentState::seeding : TorrentState::downloading;
}

std::int64_t Torrent::bytes_have() const noexcept {
  const PieceGeometry& g = picker_.geometry();
  std::int64_t total = static_cast<std::int64_t>(picker_.have().count()) * g.piece_length();
  const PieceIndex last{g.piece_count() - 1};
  if (picker_.is_have(last)) total -= g.piece_length() - g.piece_size(last);
  return total;
}

std::size_t Torrent::seed_count() const noexcept {
  return static_cast<std::size_t>(
      std::count_if(peers_.begin(), peers_.end(), [](const auto& kv) { return kv.second.conn.peer_is_seed(); }));
}

TorrentPeer* Torrent::find(PeerKey key) {
  auto it = peers_.find(key);
  return it == peers_.end() ? nullptr : &it->second;
}

bool Torrent::wants_peers() const noexcept {
  if (error_) return false;
  return !paused_ || !now_pieces_.empty();
}

// ---- control ---------------------------------------------------------------------------------

Priority Torrent::effective_priority(PieceIndex p) const {
  if (now_pieces_.count(p)) return Priority::now;
  if (paused_) return Priority::skip;
  return wanted_[p.get()];
}

void Torrent::sync_priority(PieceIndex p, TimePoint now) {
  const Priority next = effective_priority(p);
  if (picker_.priority(p) == next) return;
  const bool was = fetching(p);
  (void)picker_.set_priority(p, next);
  const bool is = fetching(p);
  if (was == is) return;
  for (auto& [k, peer] : peers_) {
    if (!peer.counted_as_seed && !peer.conn.peer_pieces().get(p)) continue;
    if (is) {
      ++peer.pieces_we_lack;
      peer.conn.send_interested(true, now);
    } else if (peer.pieces_we_lack > 0 && --peer.pieces_we_lack == 0) {
      peer.conn.send_interested(false, now);
    }
  }
}

void Torrent::apply_pause_priorities(TimePoint now) {
  // Paused, only get-piece pieces are fetched; running, the file selection says.
  const std::uint32_t n = picker_.geometry().piece_count();
  for (std::uint32_t i = 0; i < n; ++i)
    if (!picker_.is_have(PieceIndex{i})) sync_priority(PieceIndex{i}, now);
}

void Torrent::set_wanted(std::vector<Priority> wanted, TimePoint now) {
  if (wanted.size() != wanted_.size()) return;
  const bool was_complete = complete();
  for (std::uint32_t i = 0; i < wanted.size(); ++i) {
    if (wanted[i] == Priority::now) wanted[i] = Priority::high;
    if (wanted[i] == wanted_[i]) continue;
    wanted_[i] = wanted[i];
    sync_priority(PieceIndex{i}, now);
  }
  recount_wanted();
  if (!was_complete && complete()) {
    on_completed(now);
  } else if (was_complete && !complete()) {
    // Wanted again: ask the peers we kept, and dial more (a seed dialled only named peers).
    for (auto& [k, p] : peers_) fill_requests(p, now);
    connect_more(now);
  }
  flush_outbound();
}

void Torrent::set_paused(bool paused, TimePoint now) {
  if (!paused && error_ && !paused_) {
    // Resume is how a user retries after an error (space freed on a full disk, say), also
    // when the torrent was never paused: requests start again where they stopped.
    error_.reset();
    for (auto& [k, p] : peers_) fill_requests(p, now);
    connect_more(now);
    flush_outbound();
    return;
  }
  if (paused == paused_) return;
  paused_ = paused;
  if (!paused) error_.reset();
  if (paused_ && now_pieces_.empty()) {
    // First, so the priorities below need not keep the interest of peers that are leaving.
    std::vector<PeerKey> keys;
    for (auto& [k, p] : peers_) keys.push_back(k);
    for (PeerKey k : keys) remove_peer(k, "torrent paused", now);
  }
  apply_pause_priorities(now);
  if (!paused_) for (auto& [k, p] : peers_) fill_requests(p, now);
  flush_outbound();
}

Result<void> Torrent::fetch_now(PieceIndex piece, TimePoint now) {
  if (!picker_.geometry().valid(piece))
    return Error(Errc::invalid_argument, "piece " + std::to_string(piece.get()) + " is out of range (torrent has " +
                                             std::to_string(picker_.geometry().piece_count()) + " pieces)");
  if (picker_.is_have(piece)) return {};
  now_pieces_.insert(piece);
  sync_priority(piece, now);  // interest in every peer that has it, even of a skipped file
  for (auto& [k, p] : peers_) fill_requests(p, now);
  connect_more(now);
  flush_outbound();
  return {};
}

void Torrent::tick(TimePoint now) {
  // Request time-outs: the blocks are free again; tell the peer we no longer want them.
  for (const TimedOutRequest& t : picker_.timed_out_requests(now, config_.request_timeout)) {
    if (TorrentPeer* p = find(t.peer)) {
      p->conn.send_cancel(t.block, now);
      p->snub.on_outstanding(p->conn.our_requests().size(), now);
    }
  }
  std::vector<std::pair<PeerKey, std::string>> to_close;
  double fastest = 0;
  for (auto& [k, p] : peers_) fastest = std::max(fastest, p.down.rate(now));
  for (auto& [k, p] : peers_) {
    // A peer that has sent nothing since its handshake is idle from the moment it connected.
    if (now - std::max(p.conn.last_received(), p.connected_at) > config_.peer_idle_timeout) {
      to_close.emplace_back(k, "peer silent for too long");
      continue;
    }
    if (now - p.conn.last_sent() > config_.keepalive_interval) p.conn.send_keepalive(now);
    const double rate = p.down.rate(now);
    p.fast = rate > 256.0 * 1024 && rate >= fastest / 2;
  }
  for (auto& [k, reason] : to_close) remove_peer(k, reason, now);
  if (choker_.due(now) || choke_soon_) run_choker(now);
  for (auto& [k, p] : peers_) fill_requests(p, now);
  connect_more(now);
  send_pex(now);
  flush_outbound();
}

// ---- peers -----------------------------------------------------------------------------------

void Torrent::add_peer_candidates(const std::vector<tracker::PeerEndpoint>& endpoints, TimePoint now,
                                  bool explicit_peers) {
  candidates_.add(endpoints, explicit_peers);
  connect_more(now);
}

void Torrent::connect_more(TimePoint now) {
  if (!wants_peers()) return;
  const std::size_t open = peers_.size() + connecting_;
  if (open >= config_.max_peers || connecting_ >= config_.max_connecting) return;
  const std::size_t want = std::min(config_.max_peers - open, config_.max_connecting - connecting_);
  // A seed dials only peers the user named; the leechers a tracker lists come to it.
  for (const auto& ep : candidates_.take(want, now, complete() && now_pieces_.empty())) {
    ++connecting_;
    emit<torrent_effect::Connect>(ep);
  }
}

void Torrent::on_connect_failed(const tracker::PeerEndpoint& endpoint, TimePoint now) {
  if (connecting_ > 0) --connecting_;
  candidates_.on_failed(endpoint, now);
  connect_more(now);
}

Result<void> Torrent::on_peer_connected(PeerKey key, const tracker::PeerEndpoint& endpoint, bool incoming,
                                        const wire::Handshake& theirs, std::string_view leftover,
                                        TimePoint now) {
  if (!incoming && connecting_ > 0) --connecting_;
  if (candidates_.is_banned(endpoint.ip)) return Error(Errc::protocol_error, "peer " + endpoint.ip + " is banned");
  if (!wants_peers()) return Error(Errc::limit_exceeded, "torrent is not accepting peers");
  if (peers_.size() >= config_.max_peers) return Error(Errc::limit_exceeded, "torrent has its maximum of peers");
  if (peers_.count(key)) return Error(Errc::invalid_argument, "peer key in use");
  candidates_.on_connected(endpoint);

  auto [it, inserted] = peers_.try_emplace(key, key, picker_.geometry(), our_reserved(), theirs.reserved,
                                           config_.peer_limits);
  TorrentPeer& p = it->second;
  p.endpoint = endpoint;
  p.incoming = incoming;
  p.connected_at = now;
  p.client = wire::client_name_from_peer_id(theirs.peer_id.view());
  p.conn.send_bitfield(picker_.have(), now);
  if (config_.dht_port != 0 && theirs.reserved.dht() && !meta_->is_private) p.conn.send_port(config_.dht_port, now);
  if (p.conn.extension_protocol()) p.conn.send_extension_handshake(our_extension_handshake(endpoint), now);
  if (!leftover.empty()) on_peer_data(key, leftover, now);
  flush_outbound();
  return {};
}

wire::ExtensionHandshake Torrent::our_extension_handshake(const tracker::PeerEndpoint& endpoint) const {
  wire::ExtensionHandshake ext;
  ext.v = config_.client_name;
  ext.reqq = static_cast<std::uint32_t>(config_.peer_limits.max_peer_requests);
  if (config_.listen_port != 0) ext.p = config_.listen_port;
  ext.yourip = tracker::ip_to_bytes(endpoint.ip);  // lets the peer learn its external address
  if (serves_metadata()) {
    ext.m.emplace(wire::kUtMetadataName, wire::kOurUtMetadataId);
    ext.metadata_size = meta_->info_bytes.size();
  }
  if (uses_pex()) ext.m.emplace(wire::kUtPexName, wire::kOurUtPexId);
  return ext;
}

void Torrent::set_pex(bool on, TimePoint now) {
  if (config_.pex == on) return;
  config_.pex = on;
  if (meta_->is_private) return;
  // BEP 10: a handshake sent again updates what the peer knows of our extensions, and an id of
  // 0 withdraws one; so a peer stops sending ut_pex at once, or starts on existing connections.
  for (auto& [k, p] : peers_) {
    if (!p.conn.extension_protocol()) continue;
    wire::ExtensionHandshake ext = our_extension_handshake(p.endpoint);
    if (!on) ext.m.emplace(wire::kUtPexName, 0);
    p.conn.send_extension_handshake(ext, now);
  }
  flush_outbound();
}

void Torrent::on_peer_data(PeerKey key, std::string_view bytes, TimePoint now) {
  TorrentPeer* p = find(key);
  if (p == nullptr) return;
  std::vector<PeerEvent> events;
  const Result<void> r = p->conn.on_bytes(bytes, now, events);
  for (PeerEvent& e : events) {
    handle_event(*p, e, now);
    p = find(key);  // an event may have removed the peer (a ban)
    if (p == nullptr) break;
  }
  // A peer that became interested while an upload slot is free is unchoked now, not at the
  // next tick: from a btd seed that tick was up to a second of a new leecher's first byte.
  if (choke_soon_) run_choker(now);
  p = find(key);
  if (p != nullptr && !r) {
    remove_peer(key, r.error().message, now);
  } else if (p != nullptr) {
    fill_requests(*p, now);
    pump_metadata(*p, now);
    pump_uploads(*p);
  }
  flush_outbound();
}

void Torrent::handle_event(TorrentPeer& p, PeerEvent& event, TimePoint now) {
  std::visit(
      Overloaded{
          [&](peer_event::Choked& e) {
            for (const BlockRequest& b : e.dropped) picker_.on_request_rejected(p.conn.key(), b);
            p.snub.on_outstanding(p.conn.our_requests().size(), now);
          },
          [&](peer_event::Unchoked&) {},
          [&](peer_event::Interested&) {
            if (choker_.current().unchoke.size() < config_.choker.upload_slots + config_.choker.optimistic_slots)
              choke_soon_ = true;
          },
          [&](peer_event::NotInterested&) {},
          [&](peer_event::Have& e) { on_peer_has(p, e.piece); },
          [&](peer_event::BitfieldReceived&) { on_peer_pieces_known(p); },
          [&](peer_event::Request& e) {
            if (!picker_.is_have(e.block.piece)) {
              p.conn.send_reject(e.block, now);  // we do not have it: refuse, never guess
              return;
            }
            p.upload_queue.push_back(e.block);
            if (p.upload_queue.size() > 2 * p.conn.peer_request_count() + 64) compact_upload_queue(p);
          },
          // A cancelled block is skipped when it comes up in the upload queue: removing it here
          // would cost a scan of the queue per cancel.
          [&](peer_event::Cancel&) {},
          [&](peer_event::Block& e) { on_block(p, e.block, e.data, now); },
          [&](peer_event::Rejected& e) {
            picker_.on_request_rejected(p.conn.key(), e.block);
            p.snub.on_outstanding(p.conn.our_requests().size(), now);
          },
          [&](peer_event::AllowedFast&) {},
          [&](peer_event::Suggest&) {},
          [&](peer_event::ExtensionHandshake& e) {
            if (e.handshake.v && !e.handshake.v->empty()) p.client = *e.handshake.v;
          },
          [&](peer_event::Extended& e) {
            if (e.id == wire::kOurUtMetadataId && serves_metadata()) on_metadata_message(p, e.payload, now);
            else if (e.id == wire::kOurUtPexId && uses_pex()) on_pex_message(p, e.payload, now);
          },
          [&](peer_event::DhtPort& e) {
            if (config_.dht_port != 0 && e.port != 0 && !meta_->is_private)
              emit<torrent_effect::DhtNode>(tracker::PeerEndpoint{p.endpoint.ip, e.port});
          },
      },
      event);
}

void Torrent::on_peer_pieces_known(TorrentPeer& p) {
  const Bitfield& bits = p.conn.peer_pieces();
  if (p.pieces_counted) return;  // the connection accepts one bitfield; defensive only
  p.pieces_counted = true;
  // Haves that arrived before the bitfield were counted one by one; the bitfield includes them.
  if (!p.early_haves.empty()) {
    Bitfield early(bits.size());
    for (PieceIndex e : p.early_haves) early.set(e);
    (void)picker_.peer_lost(early);
    p.early_haves.clear();
  }
  if (bits.all()) {
    p.counted_as_seed = true;
    picker_.peer_has_all();
  } else {
    (void)picker_.peer_has_bitfield(bits);
  }
  std::uint32_t lack = 0;
  for (std::uint32_t i = 0; i < bits.size(); ++i)
    if (bits.get(i) && fetching(PieceIndex{i})) ++lack;
  p.pieces_we_lack = lack;
  if (complete() && now_pieces_.empty() && p.conn.peer_is_seed()) {
    remove_peer(p.conn.key(), "both sides are seeds", p.connected_at);
    return;
  }
  if (lack > 0) p.conn.send_interested(true, p.conn.last_received());
}

void Torrent::on_peer_has(TorrentPeer& p, PieceIndex piece) {
  if (!p.counted_as_seed) (void)picker_.peer_has(piece);
  if (!p.pieces_counted) p.early_haves.push_back(piece);
  if (fetching(piece)) {
    ++p.pieces_we_lack;
    p.conn.send_interested(true, p.conn.last_received());
  }
}

void Torrent::on_block(TorrentPeer& p, const BlockRequest& block, std::string_view data, TimePoint now) {
  p.down.add(data.size(), now);
  down_.add(data.size(), now);
  BlockReceived r = picker_.on_block_received(p.conn.key(), block);
  p.snub.on_block(p.conn.our_requests().size(), now);
  for (PeerKey other : r.cancel)
    if (TorrentPeer* o = find(other)) o->conn.send_cancel(block, now);
  if (!r.accepted) return;
  std::string& buffer = piece_buffers_[block.piece.get()];
  if (buffer.empty()) buffer.resize(picker_.geometry().piece_size(block.piece));
  std::copy(data.begin(), data.end(), buffer.begin() + block.begin);
  if (r.piece_complete) {
    hashing_.insert(block.piece);
    emit<torrent_effect::VerifyAndWrite>(block.piece, std::move(buffer));
    piece_buffers_.erase(block.piece.get());
  }
}

void Torrent::fill_requests(TorrentPeer& p, TimePoint now) {
  if (error_ || (complete() && now_pieces_.empty()) || !p.conn.am_interested()) return;
  if (paused_ && now_pieces_.empty()) return;
  if (p.conn.peer_choking() && p.conn.allowed_fast_from_peer().empty()) return;
  if (hashing_.size() >= config_.max_pieces_hashing) return;  // the disk is behind: wait
  std::size_t reqq = 250;  // libtorrent's default when the peer does not say
  if (const auto& ext = p.conn.peer_extensions(); ext && ext->reqq) reqq = std::max<std::size_t>(1, *ext->reqq);
  const std::size_t depth = request_queue_depth(p.down.rate(now), kDefaultRequestQueueTime, reqq);
  const std::size_t outstanding = p.conn.our_requests().size();
  if (outstanding >= depth) return;
  PeerView view;
  view.id = p.conn.key();
  view.pieces = &p.conn.peer_pieces();
  view.has_all = p.counted_as_seed;
  view.choking_us = p.conn.peer_choking();
  const auto& fast_set = p.conn.allowed_fast_from_peer();
  view.allowed_fast = std::span<const PieceIndex>(fast_set.data(), fast_set.size());
  view.snubbed = p.snub.snubbed(now);
  view.fast = p.fast;
  scratch_requests_.clear();
  picker_.pick_blocks(view, depth - outstanding, now, scratch_requests_);
  for (const BlockRequest& b : scratch_requests_) p.conn.send_request(b, now);
  if (!scratch_requests_.empty()) p.snub.on_outstanding(p.conn.our_requests().size(), now);
}

bool Torrent::serves_metadata() const noexcept {
  return !meta_->is_private && !meta_->info_bytes.empty() && meta_->info_bytes.size() <= wire::kMaxMetadataSize;
}

void Torrent::on_metadata_message(TorrentPeer& p, std::string_view payload, TimePoint now) {
  auto m = wire::parse_ut_metadata(payload);
  if (!m) {
    remove_peer(p.conn.key(), m.error().message, now);
    return;
  }
  // Data and rejects answer requests of ours; we fetch nothing (yet), so there are none.
  if (m->type != wire::UtMetadataType::request) return;
  const std::uint8_t their_id = p.conn.peer_extensions() ? p.conn.peer_extensions()->id_of(wire::kUtMetadataName) : 0;
  if (their_id == 0) return;  // it gave no id to answer under
  const std::uint32_t count = wire::metadata_piece_count(meta_->info_bytes.size());
  if (m->piece >= count || p.metadata_requests.size() >= config_.max_metadata_requests) {
    p.conn.send_extended(their_id, wire::encode_ut_metadata_reject(m->piece), now);
    return;
  }
  p.metadata_requests.push_back(m->piece);
}

void Torrent::pump_metadata(TorrentPeer& p, TimePoint now) {
  if (p.metadata_requests.empty()) return;
  const std::uint8_t their_id = p.conn.peer_extensions() ? p.conn.peer_extensions()->id_of(wire::kUtMetadataName) : 0;
  if (their_id == 0) {  // a later handshake withdrew the id: nothing can be answered
    p.metadata_requests.clear();
    return;
  }
  const std::string& info = meta_->info_bytes;
  // Like block reads, answers wait while what the peer was sent has not left.
  while (!p.metadata_requests.empty() && p.unsent + p.conn.outbound().size() < config_.upload_backlog) {
    const std::uint32_t piece = p.metadata_requests.front();
    p.metadata_requests.pop_front();
    const std::string_view data =
        std::string_view(info).substr(std::size_t{piece} * wire::kMetadataPieceSize,
                                      wire::metadata_piece_size(info.size(), piece));
    p.conn.send_extended(their_id, wire::encode_ut_metadata_data(piece, info.size(), data), now);
  }
}

bool Torrent::uses_pex() const noexcept { return config_.pex && !meta_->is_private; }

namespace {

// How a connected peer is named to others: by the endpoint it listens on, which we know when we
// dialled it, or when it told its port in the extension handshake. Others are left out.
std::optional<wire::PexPeer> pex_entry(const TorrentPeer& p) {
  wire::PexPeer out;
  out.endpoint = p.endpoint;
  if (p.incoming) {
    const auto& ext = p.conn.peer_extensions();
    if (!ext || !ext->p) return std::nullopt;
    out.endpoint.port = *ext->p;
  } else {
    out.flags |= wire::kPexFlagReachable;
  }
  if (p.conn.peer_is_seed()) out.flags |= wire::kPexFlagSeed;
  return out;
}

}  // namespace

void Torrent::on_pex_message(TorrentPeer& p, std::string_view payload, TimePoint now) {
  if (!p.pex.on_received(now)) {
    remove_peer(p.conn.key(), "peer sent more than 3 ut_pex messages within a minute", now);
    return;
  }
  auto m = wire::parse_ut_pex(payload);
  if (!m) {
    remove_peer(p.conn.key(), m.error().message, now);
    return;
  }
  std::vector<tracker::PeerEndpoint> learned;
  for (const wire::PexPeer& added : m->added) {
    if (learned.size() >= config_.max_pex_candidates) break;
    learned.push_back(added.endpoint);
  }
  candidates_.add(learned);
  connect_more(now);
}

void Torrent::send_pex(TimePoint now) {
  if (!uses_pex()) return;
  std::vector<std::pair<PeerKey, wire::PexPeer>> named;
  for (const auto& [k, p] : peers_)
    if (auto e = pex_entry(p)) named.emplace_back(k, std::move(*e));
  std::vector<wire::PexPeer> others;
  for (auto& [k, p] : peers_) {
    const std::uint8_t their_id = p.conn.peer_extensions() ? p.conn.peer_extensions()->id_of(wire::kUtPexName) : 0;
    if (their_id == 0 || !p.pex.may_send(now)) continue;
    others.clear();
    for (const auto& [nk, entry] : named)
      if (nk != k) others.push_back(entry);  // never a peer to itself
    if (auto m = p.pex.next_message(others, now)) p.conn.send_extended(their_id, wire::encode_ut_pex(*m), now);
  }
}

void Torrent::pump_uploads(TorrentPeer& p) {
  while (p.read_bytes_in_flight < config_.read_bytes_in_flight_per_peer && !p.upload_queue.empty() &&
         p.unsent < config_.upload_backlog) {
    const BlockRequest block = p.upload_queue.front();
    p.upload_queue.pop_front();
    if (!p.conn.peer_requested(block)) continue;  // cancelled meanwhile
    emit<torrent_effect::ReadBlock>(p.conn.key(), block);
    p.read_bytes_in_flight += block.length;
  }
}

void Torrent::compact_upload_queue(TorrentPeer& p) {
  // Drops cancelled blocks and repeats of one block (requested, cancelled, requested again),
  // so the queue stays within twice the peer's live requests.
  std::set<BlockRequest, BlockRequestLess> seen;
  std::deque<BlockRequest> kept;
  for (const BlockRequest& b : p.upload_queue)
    if (p.conn.peer_requested(b) && seen.insert(b).second) kept.push_back(b);
  p.upload_queue = std::move(kept);
}

void Torrent::run_choker(TimePoint now) {
  choke_soon_ = false;
  std::vector<ChokerPeerView> views;
  views.reserve(peers_.size());
  for (auto& [k, p] : peers_) {
    ChokerPeerView v;
    v.id = k;
    v.interested = p.conn.peer_interested();
    v.snubbed = p.snub.snubbed(now);
    v.download_rate = p.down.rate(now);
    v.upload_rate = p.up.rate(now);
    v.connected_at = p.connected_at;
    views.push_back(v);
  }
  const ChokeDecision d = choker_.recompute(views, complete(), now);
  for (auto& [k, p] : peers_) {
    const bool unchoke = std::find(d.unchoke.begin(), d.unchoke.end(), k) != d.unchoke.end();
    if (unchoke && p.conn.am_choking()) {
      p.conn.send_unchoke(now);
    } else if (!unchoke && !p.conn.am_choking()) {
      p.conn.send_choke(now);
      p.upload_queue.clear();  // choking drops (or rejects) everything the peer had queued
    }
  }
}

void Torrent::remove_peer(PeerKey key, const std::string& reason, TimePoint now) {
  auto it = peers_.find(key);
  if (it == peers_.end()) return;
  TorrentPeer& p = it->second;
  picker_.on_peer_disconnected(key);
  if (p.counted_as_seed) {
    picker_.peer_lost_all();
  } else if (p.pieces_counted || !p.early_haves.empty()) {
    // Everything counted for it is in its current pieces (bitfield plus later haves).
    (void)picker_.peer_lost(p.conn.peer_pieces());
  }
  candidates_.on_disconnected(p.endpoint, now);
  peers_.erase(it);
  emit<torrent_effect::Close>(key, reason);
}

void Torrent::on_peer_closed(PeerKey key, const std::string& reason, TimePoint now) {
  auto it = peers_.find(key);
  if (it == peers_.end()) return;
  remove_peer(key, reason, now);
  // The socket is already gone: the Close effect just queued is for the engine's own record.
  effects_.pop_back();
  connect_more(now);
  flush_outbound();
}

void Torrent::strike(PeerKey key, bool sole_sender, TimePoint now) {
  TorrentPeer* p = find(key);
  if (p == nullptr) return;
  // A piece that only this peer sent is proof enough; a shared one is a suspicion.
  const int strikes = (sole_sender ? config_.strikes_to_ban : 1);
  p->strikes_ += strikes;
  if (p->strikes_ >= config_.strikes_to_ban) {
    const std::string ip = p->endpoint.ip;
    candidates_.ban(ip);
    remove_peer(key, "banned: sent data that failed the hash check", now);
  }
}

// ---- disk ------------------------------------------------------------------------------------

void Torrent::on_piece_written(PieceIndex piece, bool hash_ok, std::optional<Error> write_error, TimePoint now) {
  hashing_.erase(piece);
  if (write_error) {
    (void)picker_.mark_failed(piece);  // the data is lost; no peer is to blame
    error_ = write_error->message;
    emit<torrent_effect::Failed>(write_error->message);
    flush_outbound();
    return;
  }
  if (!hash_ok) {
    auto senders = picker_.mark_failed(piece);
    emit<torrent_effect::PieceFailed>(piece);
    if (senders) {
      const bool sole = senders->size() == 1;
      for (PeerKey k : *senders) strike(k, sole, now);
    }
    for (auto& [k, p] : peers_) fill_requests(p, now);
    flush_outbound();
    return;
  }
  const bool was_complete = complete();
  const bool counted = fetching(piece);  // in the peers' pieces_we_lack
  (void)picker_.mark_have(piece);
  now_pieces_.erase(piece);
  if (wanted_[piece.get()] != Priority::skip) {
    --wanted_missing_;
    wanted_left_ -= picker_.geometry().piece_size(piece);
  }
  emit<torrent_effect::PieceVerified>(piece);
  for (auto& [k, p] : peers_) {
    p.conn.send_have(piece, now);
    if (counted && (p.counted_as_seed || p.conn.peer_pieces().get(piece))) {
      if (p.pieces_we_lack > 0) --p.pieces_we_lack;
      if (p.pieces_we_lack == 0) p.conn.send_interested(false, now);
    }
  }
  if (!was_complete && complete()) {
    on_completed(now);
  } else if (paused_ && now_pieces_.empty()) {
    std::vector<PeerKey> keys;
    for (auto& [k, p] : peers_) keys.push_back(k);
    for (PeerKey k : keys) remove_peer(k, "torrent paused", now);
  } else {
    for (auto& [k, p] : peers_) fill_requests(p, now);
  }
  flush_outbound();
}

void Torrent::on_completed(TimePoint now) {
  emit<torrent_effect::Completed>();
  if (!now_pieces_.empty()) return;  // a get-piece still needs whoever has its piece
  std::vector<PeerKey> seeds;
  for (auto& [k, p] : peers_)
    if (p.conn.peer_is_seed()) seeds.push_back(k);
  for (PeerKey k : seeds) remove_peer(k, "both sides are seeds", now);
}

void Torrent::on_block_read(PeerKey key, const BlockRequest& block, Result<std::string> data, TimePoint now) {
  TorrentPeer* p = find(key);
  if (p == nullptr) return;
  p->read_bytes_in_flight -= std::min<std::size_t>(p->read_bytes_in_flight, block.length);
  if (!data) {
    p->conn.send_reject(block, now);
  } else if (p->conn.send_block(block, *data, now)) {
    p->up.add(data->size(), now);
    up_.add(data->size(), now);
  }
  pump_uploads(*p);
  flush_outbound();
}

void Torrent::flush_outbound() {
  std::vector<PeerKey> not_reading;
  for (auto& [k, p] : peers_) {
    std::string& out = p.conn.outbound();
    if (out.empty()) continue;
    p.unsent += out.size();
    emit<torrent_effect::Send>(k, std::move(out));
    out.clear();
    if (p.unsent > config_.max_unsent_bytes) not_reading.push_back(k);
  }
  for (PeerKey k : not_reading) {
    TorrentPeer& p = peers_.at(k);
    const std::string reason = "peer does not read what we send (" + std::to_string(p.unsent) +
                               " bytes waiting, the limit is " + std::to_string(config_.max_unsent_bytes) + ")";
    remove_peer(k, reason, p.conn.last_sent());
  }
}

void Torrent::on_peer_drained(PeerKey key) {
  TorrentPeer* p = find(key);
  if (p == nullptr) return;
  p->unsent = 0;
  pump_metadata(*p, p->conn.last_sent());  // no clock here; the last send is close enough
  pump_uploads(*p);
  flush_outbound();
}

std::vector<TorrentEffect> Torrent::take_effects() {
  flush_outbound();
  std::vector<TorrentEffect> out;
  out.swap(effects_);
  return out;
}

// ---- status ----------------------------------------------------------------------------------

std::vector<PeerInfo> Torrent::peers(TimePoint now) {
  std::vector<PeerInfo> out;
  const double pieces = picker_.geometry().piece_count();
  for (auto& [k, p] : peers_) {
    PeerInfo info;
    info.key = k;
    info.address = tracker::to_string(p.endpoint);
    info.client = p.client;
    info.progress = static_cast<double>(p.conn.peer_pieces().count()) / pieces;
    info.download_rate = p.down.rate(now);
    info.upload_rate = p.up.rate(now);
    if (p.conn.am_interested()) info.flags += p.conn.peer_choking() ? 'd' : 'D';
    if (p.conn.peer_interested()) info.flags += p.conn.am_choking() ? 'u' : 'U';
    if (p.incoming) info.flags += 'I';
    if (p.conn.fast_extension()) info.flags += 'F';
    if (p.snub.snubbed(now)) info.flags += 'S';
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<tracker::PeerEndpoint> Torrent::peer_endpoints() const {
  std::vector<tracker::PeerEndpoint> out;
  for (const auto& [k, p] : peers_) out.push_back(p.endpoint);
  return out;
}

}  // namespace btd
