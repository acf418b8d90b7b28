#include "core/metadata/metadata_fetch.hpp"

#include <algorithm>

#include "core/wire/extension_handshake.hpp"
#include "core/wire/message.hpp"
#include "core/wire/peer_id.hpp"
#include "core/wire/ut_metadata.hpp"

namespace btd {

MetadataFetch::MetadataFetch(const InfoHash& info_hash, MetadataFetchConfig config)
    : info_hash_(info_hash), config_(std::move(config)) {}

MetadataFetch::Peer* MetadataFetch::find(PeerKey key) {
  auto it = peers_.find(key);
  return it == peers_.end() ? nullptr : &it->second;
}

// ---- control ---------------------------------------------------------------------------------

void MetadataFetch::set_paused(bool paused, TimePoint now) {
  if (paused == paused_) return;
  paused_ = paused;
  if (paused_) {
    std::vector<PeerKey> keys;
    for (auto& [k, p] : peers_) keys.push_back(k);
    for (PeerKey k : keys) remove_peer(k, "torrent paused", now);
  } else {
    connect_more(now);
  }
  flush_outbound();
}

void MetadataFetch::tick(TimePoint now) {
  std::vector<std::pair<PeerKey, std::string>> to_close;
  for (auto& [k, p] : peers_) {
    if (!p.extension_handshake && now - p.connected_at > config_.handshake_timeout) {
      to_close.emplace_back(k, "no extension handshake (BEP 10) within " +
                                   std::to_string(config_.handshake_timeout.count()) + " s");
      continue;
    }
    if (now - std::max(p.last_received, p.connected_at) > config_.peer_idle_timeout) {
      to_close.emplace_back(k, "peer silent for too long");
      continue;
    }
    // Unanswered requests go back to the assembler, so the next peer asked may get them.
    for (auto it = p.requests.begin(); it != p.requests.end();) {
      if (now - it->second < config_.request_timeout) {
        ++it;
        continue;
      }
      if (assembler_) assembler_->on_reject(k, it->first);
      it = p.requests.erase(it);
      ++p.timeouts;
      p.ask_after = now + config_.request_timeout;
    }
    if (p.timeouts >= config_.max_timeouts) {
      to_close.emplace_back(k, "peer let " + std::to_string(p.timeouts) + " metadata requests time out");
      continue;
    }
    if (now - p.last_sent > config_.keepalive_interval) {
      std::string frame;
      wire::encode(frame, wire::Message{wire::KeepAlive{}});
      send_frame(p, frame, now);
    }
  }
  for (auto& [k, reason] : to_close) remove_peer(k, reason, now);
  ensure_assembler();
  request_everywhere(now);
  connect_more(now);
  flush_outbound();
}

// ---- peers -----------------------------------------------------------------------------------

void MetadataFetch::add_peer_candidates(const std::vector<tracker::PeerEndpoint>& endpoints, TimePoint now,
                                        bool explicit_peers) {
  candidates_.add(endpoints, explicit_peers);
  connect_more(now);
  flush_outbound();
}

void MetadataFetch::connect_more(TimePoint now) {
  if (paused_ || done_) return;
  const std::size_t open = peers_.size() + connecting_;
  if (open >= config_.max_peers || connecting_ >= config_.max_connecting) return;
  const std::size_t want = std::min(config_.max_peers - open, config_.max_connecting - connecting_);
  for (const auto& ep : candidates_.take(want, now)) {
    ++connecting_;
    emit<torrent_effect::Connect>(ep);
  }
}

void MetadataFetch::on_connect_failed(const tracker::PeerEndpoint& endpoint, TimePoint now) {
  if (connecting_ > 0) --connecting_;
  candidates_.on_failed(endpoint, now);
  connect_more(now);
  flush_outbound();
}

Result<void> MetadataFetch::on_peer_connected(PeerKey key, const tracker::PeerEndpoint& endpoint, bool incoming,
                                              const wire::Handshake& theirs, std::string_view leftover,
                                              TimePoint now) {
  if (!incoming && connecting_ > 0) --connecting_;
  if (candidates_.is_banned(endpoint.ip)) return Error(Errc::protocol_error, "peer " + endpoint.ip + " is banned");
  if (done_) return Error(Errc::limit_exceeded, "the metadata is already complete");
  if (paused_) return Error(Errc::limit_exceeded, "torrent is not accepting peers");
  if (!theirs.reserved.extension_protocol()) {
    // It cannot be dialled again for metadata either; a later engine may still use it.
    candidates_.on_failed(endpoint, now);
    connect_more(now);
    return Error(Errc::protocol_error, "peer lacks the extension protocol (BEP 10): it cannot send metadata");
  }
  if (peers_.size() >= config_.max_peers) return Error(Errc::limit_exceeded, "torrent has its maximum of peers");
  if (peers_.count(key)) return Error(Errc::invalid_argument, "peer key in use");
  candidates_.on_connected(endpoint);

  auto [it, inserted] = peers_.try_emplace(key, config_.max_message_size);
  Peer& p = it->second;
  p.endpoint = endpoint;
  p.incoming = incoming;
  p.connected_at = now;
  p.client = wire::client_name_from_peer_id(theirs.peer_id.view());
  std::string frames;
  // BEP 6 asks for a piece announcement first; we have no piece at all.
  if (theirs.reserved.fast_extension()) wire::encode(frames, wire::Message{wire::HaveNone{}});
  wire::ExtensionHandshake ext;
  ext.m.emplace(wire::kUtMetadataName, wire::kOurUtMetadataId);
  ext.v = config_.client_name;
  if (config_.listen_port != 0) ext.p = config_.listen_port;
  ext.yourip = tracker::ip_to_bytes(endpoint.ip);
  wire::encode(frames, ext);
  send_frame(p, frames, now);
  if (!leftover.empty()) on_peer_data(key, leftover, now);
  flush_outbound();
  return {};
}

void MetadataFetch::on_peer_data(PeerKey key, std::string_view bytes, TimePoint now) {
  Peer* p = find(key);
  if (p == nullptr) return;
  p->frames.feed(bytes);
  for (;;) {
    auto frame = p->frames.pop();
    if (!frame) {
      remove_peer(key, frame.error().message, now);
      break;
    }
    if (!frame->has_value()) break;
    p->last_received = now;
    if (auto r = on_frame(key, *p, **frame, now); !r) {
      remove_peer(key, r.error().message, now);
      break;
    }
    if (done_) break;
    p = find(key);  // a hash failure may have dropped this peer
    if (p == nullptr) break;
  }
  if (!done_) {
    ensure_assembler();
    request_everywhere(now);
  }
  flush_outbound();
}

Result<void> MetadataFetch::on_frame(PeerKey key, Peer& p, std::string_view frame, TimePoint now) {
  auto message = wire::parse_message(frame);
  if (!message) return message.error();
  // Everything but BEP 10 messages is about pieces, which cannot be counted before the
  // metadata is known: ignored, as libtorrent does in this phase.
  const auto* ext = std::get_if<wire::Extended>(&*message);
  if (ext == nullptr) return {};
  if (ext->id == 0) return on_extension_handshake(key, p, ext->payload);
  if (ext->id == wire::kOurUtMetadataId) return on_ut_metadata(key, p, ext->payload, now);
  return {};  // another extension we did not offer: ignored
}

Result<void> MetadataFetch::on_extension_handshake(PeerKey key, Peer& p, std::string_view payload) {
  // A metadata_size above 30 MiB fails the parse: the peer goes before anything is allocated.
  auto h = wire::parse_extension_handshake(payload);
  if (!h) return h.error();
  p.extension_handshake = true;
  if (h->v && !h->v->empty()) p.client = *h->v;
  if (h->p) p.listen_port = *h->p;
  // A later handshake may update the id or the size (BEP 10); missing keys keep their value.
  if (auto it = h->m.find(wire::kUtMetadataName); it != h->m.end()) p.ut_metadata_id = it->second;
  if (h->metadata_size && *h->metadata_size != p.metadata_size) {
    if (assembler_) assembler_->on_peer_gone(key);  // what it was asked for, it is not asked now
    p.requests.clear();
    p.metadata_size = *h->metadata_size;
  }
  if (p.ut_metadata_id == 0) {
    if (assembler_) assembler_->on_peer_gone(key);
    p.requests.clear();
  }
  ensure_assembler();
  return {};
}

Result<void> MetadataFetch::on_ut_metadata(PeerKey key, Peer& p, std::string_view payload, TimePoint now) {
  auto m = wire::parse_ut_metadata(payload);
  if (!m) return m.error();
  switch (m->type) {
    case wire::UtMetadataType::request: {
      // We have nothing to give yet; BEP 9 says to reject. A peer that keeps asking is ignored.
      if (p.ut_metadata_id == 0 || p.rejects_sent >= config_.max_rejects_per_peer) return {};
      ++p.rejects_sent;
      std::string frame;
      wire::encode(frame, wire::Message{wire::Extended{p.ut_metadata_id, wire::encode_ut_metadata_reject(m->piece)}});
      send_frame(p, frame, now);
      return {};
    }
    case wire::UtMetadataType::reject:
      if (p.requests.erase(m->piece) != 0) {
        if (assembler_) assembler_->on_reject(key, m->piece);
        p.ask_after = now + config_.reject_backoff;
      }
      return {};
    case wire::UtMetadataType::unknown:
      return {};
    case wire::UtMetadataType::data:
      break;
  }
  // A peer contradicting its own handshake is broken or lying; one answering for the size it
  // announced, when another size is being fetched now, is only late.
  if (m->total_size != p.metadata_size) {
    return Error(Errc::protocol_error, "peer sent metadata piece " + std::to_string(m->piece) + " with total_size " +
                                           std::to_string(m->total_size) + ", but announced metadata_size " +
                                           std::to_string(p.metadata_size));
  }
  if (!assembler_ || done_ || m->total_size != assembler_->size()) return {};  // nothing asked for: ignored
  p.requests.erase(m->piece);
  auto outcome = assembler_->on_data(key, m->piece, m->data);  // range and length checked here
  if (!outcome) return outcome.error();
  switch (outcome->status) {
    case MetadataPieceStatus::stored:
    case MetadataPieceStatus::ignored:
      return {};
    case MetadataPieceStatus::complete:
      done_ = true;
      metadata_ = assembler_->take_metadata();
      return {};
    case MetadataPieceStatus::hash_failed:
      break;
  }
  // Which piece was wrong cannot be told: every sender goes, and the fetch starts over (maybe
  // with another size, if the one we used was a lie). A sole sender is proof enough for a ban.
  ++hash_failures_;
  assembler_.reset();
  for (auto& [k, other] : peers_) other.requests.clear();
  const bool sole = outcome->senders.size() == 1;
  for (PeerKey sender : outcome->senders) {
    Peer* s = find(sender);
    if (s == nullptr) continue;
    if (sole) candidates_.ban(s->endpoint.ip);
    remove_peer(sender, "sent metadata that does not match the info-hash", now);
  }
  ensure_assembler();
  return {};
}

void MetadataFetch::ensure_assembler() {
  if (done_) return;
  // The size most peers that offer ut_metadata agree on: one liar cannot pick it alone.
  std::map<std::uint64_t, std::size_t> votes;
  for (const auto& [k, p] : peers_)
    if (p.ut_metadata_id != 0 && p.metadata_size != 0) ++votes[p.metadata_size];
  std::optional<std::uint64_t> best;
  for (const auto& [size, count] : votes)
    if (!best || count > votes[*best]) best = size;
  // The size being fetched is given up when no peer offers it any more (it came from a peer
  // since dropped: it could never complete), or when more peers agree on another one (the first
  // peer to speak may be a liar answering just fast enough to dodge the time-outs).
  if (assembler_) {
    const auto it = votes.find(assembler_->size());
    const std::size_t backing = it == votes.end() ? 0 : it->second;
    if (backing > 0 && (!best || votes[*best] <= backing)) return;
    assembler_.reset();
    for (auto& [k, p] : peers_) p.requests.clear();
  }
  if (!best) return;
  auto a = MetadataAssembler::create(info_hash_, *best);
  if (a) assembler_.emplace(std::move(*a));
}

void MetadataFetch::request_more(PeerKey key, Peer& p, TimePoint now) {
  if (!assembler_ || done_ || p.ut_metadata_id == 0 || p.metadata_size != assembler_->size()) return;
  if (now < p.ask_after) return;
  while (p.requests.size() < config_.max_requests_per_peer) {
    auto piece = assembler_->next_request(key);
    if (!piece) break;
    p.requests[*piece] = now;
    std::string frame;
    wire::encode(frame, wire::Message{wire::Extended{p.ut_metadata_id, wire::encode_ut_metadata_request(*piece)}});
    send_frame(p, frame, now);
  }
}

void MetadataFetch::request_everywhere(TimePoint now) {
  for (auto& [k, p] : peers_) request_more(k, p, now);
}

void MetadataFetch::send_frame(Peer& p, const std::string& frame, TimePoint now) {
  p.outbound += frame;
  p.last_sent = now;
}

void MetadataFetch::remove_peer(PeerKey key, const std::string& reason, TimePoint now) {
  auto it = peers_.find(key);
  if (it == peers_.end()) return;
  if (assembler_) assembler_->on_peer_gone(key);
  candidates_.on_disconnected(it->second.endpoint, now);
  peers_.erase(it);
  emit<torrent_effect::Close>(key, reason);
}

void MetadataFetch::on_peer_closed(PeerKey key, const std::string& reason, TimePoint now) {
  if (peers_.count(key) == 0) return;
  remove_peer(key, reason, now);
  effects_.pop_back();  // the socket is already gone: no Close for it
  ensure_assembler();
  request_everywhere(now);
  connect_more(now);
  flush_outbound();
}

void MetadataFetch::flush_outbound() {
  for (auto& [k, p] : peers_) {
    if (p.outbound.empty()) continue;
    emit<torrent_effect::Send>(k, std::move(p.outbound));
    p.outbound.clear();
  }
}

std::vector<TorrentEffect> MetadataFetch::take_effects() {
  flush_outbound();
  std::vector<TorrentEffect> out;
  out.swap(effects_);
  return out;
}

// ---- result and status -----------------------------------------------------------------------

std::string MetadataFetch::take_metadata() {
  std::string out = std::move(metadata_);
  metadata_.clear();
  return out;
}

std::vector<MetadataFetchPeerInfo> MetadataFetch::peers() const {
  std::vector<MetadataFetchPeerInfo> out;
  for (const auto& [k, p] : peers_)
    out.push_back({tracker::to_string(p.endpoint), p.client, p.metadata_size, p.requests.size()});
  return out;
}

std::vector<tracker::PeerEndpoint> MetadataFetch::known_peers() const {
  std::vector<tracker::PeerEndpoint> out;
  for (const auto& [k, p] : peers_) {
    if (!p.incoming) out.push_back(p.endpoint);
    else if (p.listen_port && *p.listen_port != 0) out.push_back({p.endpoint.ip, *p.listen_port});
  }
  return out;
}

}  // namespace btd
