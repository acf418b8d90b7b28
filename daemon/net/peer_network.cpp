#include "daemon/net/peer_network.hpp"

#include <openssl/rand.h>

#include <utility>

#include "core/mse/rc4.hpp"
#include "daemon/log.hpp"

namespace btd::net {

namespace {

std::string duration_text(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

bool random_bytes(std::uint8_t* data, std::size_t size) {
  return size == 0 || RAND_bytes(data, static_cast<int>(size)) == 1;
}

const char* crypto_text(std::uint32_t selected) {
  return selected == mse::kCryptoRc4 ? "RC4 for the whole stream" : "plaintext after it";
}

}  // namespace

PeerNetwork::PeerNetwork(uv_loop_t* loop, PeerNetworkOptions options, PeerNetworkCallbacks callbacks)
    : loop_(loop),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      listener_(loop, [this](uv_stream_t* server) { return accept(server); }) {
  auto rc4 = mse::rc4_available();
  rc4_ = rc4.ok();
  if (!rc4_ && options_.encryption != EncryptionMode::disabled)
    daemon::log_warning("encrypted peer connections are off: " + rc4.error().message);
}

EncryptionMode PeerNetwork::encryption() const noexcept {
  if (rc4_ || options_.encryption == EncryptionMode::required) return options_.encryption;
  return EncryptionMode::disabled;
}

EncryptionConfig PeerNetwork::encryption_config() const {
  EncryptionConfig config;
  config.mode = encryption();
  config.random = random_bytes;
  config.skey_lookup = callbacks_.lookup_obfuscated;
  return config;
}

PeerNetwork::~PeerNetwork() { close_rate_timer(); }

void PeerNetwork::close_rate_timer() {
  if (rate_timer_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(rate_timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  rate_timer_ = nullptr;
}

Result<void> PeerNetwork::listen(const std::string& address, std::uint16_t port) {
  if (shut_down_) return Error(Errc::invalid_argument, "peer network is shut down");
  return listener_.listen(address, port);
}

PeerSocketCallbacks PeerNetwork::socket_callbacks(SocketId id) {
  // A retried connection keeps its id but gets a new socket (and socket id): the callbacks
  // report for the connection.
  PeerSocketCallbacks cb;
  cb.on_connected = [this, id](SocketId) { on_connected(id); };
  cb.on_data = [this, id](SocketId, std::string_view bytes) { on_socket_data(id, bytes); };
  cb.on_drain = [this, id](SocketId) { on_socket_drain(id); };
  cb.on_closed = [this, id](SocketId, const std::string& reason) { on_socket_closed(id, reason); };
  cb.on_read_quota_spent = [this, id](SocketId) { on_read_quota_spent(id); };
  return cb;
}

Result<SocketId> PeerNetwork::add_socket(bool incoming) {
  SocketId id = next_id_++;
  auto socket = PeerSocket::create(loop_, table_, id, socket_callbacks(id));
  if (!socket) return std::move(socket).error();
  Connection c;
  c.socket = std::move(*socket);
  c.incoming = incoming;
  connections_.emplace(id, std::move(c));
  return id;
}

Result<SocketId> PeerNetwork::connect(const tracker::PeerEndpoint& endpoint,
                                      const InfoHash& info_hash) {
  const std::string where = to_string(endpoint);
  if (shut_down_) return Error(Errc::invalid_argument, "cannot connect to " + where + ": shutting down");
  if (connections_.size() >= options_.max_connections) {
    return Error(Errc::limit_exceeded, "cannot connect to " + where + ": connection limit of " +
                                           std::to_string(options_.max_connections) + " reached");
  }
  auto key = std::make_pair(info_hash, where);
  if (outgoing_keys_.count(key) != 0) {
    return Error(Errc::invalid_argument, "already connecting or connected to " + where +
                                             " for torrent " + info_hash.hex());
  }

  auto id = add_socket(false);
  if (!id) return id;
  Connection& c = connections_.at(*id);
  c.endpoint = endpoint;
  c.info_hash = info_hash;
  c.handshaker = ConnectionHandshake::outgoing(wire::Handshake{options_.reserved, info_hash, options_.peer_id},
                                               dial_encrypted_first(encryption()), encryption_config());
  if (auto started = c.socket->connect(endpoint); !started) {
    connections_.erase(*id);  // nothing started, so no on_closed either
    return started.error();
  }
  c.socket->set_deadline(options_.connect_timeout,
                         "connect to " + where + " timed out after " + duration_text(options_.connect_timeout));
  // Queued now, written the moment the connection is up.
  if (auto first = c.handshaker->start()) c.socket->write(std::move(*first));
  else c.socket->close(first.error().message);  // reported through on_closed, like any failure
  c.outgoing_key = key;
  outgoing_keys_.insert(std::move(key));
  return id;
}

bool PeerNetwork::accept(uv_stream_t* server) {
  if (shut_down_ || connections_.size() >= options_.max_connections) return false;
  auto id = add_socket(true);
  if (!id) return false;
  Connection& c = connections_.at(*id);
  if (!c.socket->accept(server)) {
    connections_.erase(*id);
    return false;
  }
  c.endpoint = c.socket->endpoint();
  c.handshaker = ConnectionHandshake::incoming(options_.reserved, options_.peer_id, callbacks_.lookup,
                                              encryption_config());
  c.socket->set_deadline(options_.handshake_timeout,
                         "handshake timed out after " + duration_text(options_.handshake_timeout));
  return true;
}

void PeerNetwork::on_connected(SocketId id) {
  Connection* c = find(id);
  if (!c) return;
  c->socket->set_deadline(options_.handshake_timeout,
                          "handshake timed out after " + duration_text(options_.handshake_timeout));
}

void PeerNetwork::on_socket_data(SocketId id, std::string_view bytes) {
  Connection* c = find(id);
  if (!c) return;
  if (c->ready) {
    if (callbacks_.on_data) callbacks_.on_data(id, bytes);
    return;
  }
  if (!c->handshaker) return;
  auto step = c->handshaker->feed(bytes);
  // Written even when the step failed: an incoming peer that turns out to be ourselves then sees
  // our handshake and detects the loop on its side too.
  if (!step.send.empty()) c->socket->write(std::move(step.send));
  if (step.cipher) {
    // Written before it: the handshake bytes above are already encrypted as MSE wants them.
    c->socket->set_cipher(std::move(*step.cipher));
    c->mse_crypto = c->handshaker->selected();
  }
  if (step.failure) {
    c->socket->close(std::move(*step.failure));
    return;
  }
  if (step.complete) on_handshake_done(id);
}

std::size_t PeerNetwork::torrent_limit(const std::optional<TorrentMatch>& match) const {
  if (match && match->max_connections > 0) return match->max_connections;
  return options_.max_connections_per_torrent;
}

void PeerNetwork::on_handshake_done(SocketId id) {
  Connection* c = find(id);
  if (!c || !c->handshaker) return;
  PeerHandshaker& hs = c->handshaker->bt();
  const InfoHash info_hash = hs.info_hash();

  std::optional<TorrentMatch> match = hs.match();
  if (!hs.incoming_side() && callbacks_.lookup) {
    // The torrent may have been removed while we were connecting.
    match = callbacks_.lookup(info_hash);
    if (!match) {
      c->socket->close("torrent " + info_hash.hex() + " is no longer served");
      return;
    }
  }
  const std::size_t limit = torrent_limit(match);
  if (ready_per_torrent_[info_hash] >= limit) {
    c->socket->close("too many connections for torrent " + info_hash.hex() + " (limit " +
                     std::to_string(limit) + ")");
    return;
  }

  ++ready_per_torrent_[info_hash];
  c->ready = true;
  c->info_hash = info_hash;
  c->socket->clear_deadline();
  PeerReady ready;
  ready.id = id;
  ready.info_hash = info_hash;
  ready.theirs = hs.theirs();
  ready.endpoint = c->endpoint;
  ready.incoming = c->incoming;
  ready.leftover = hs.take_leftover();
  ready.mse_crypto = c->mse_crypto;
  if (c->mse_crypto != 0 && daemon::log_enabled(daemon::LogLevel::debug))
    daemon::log_debug(std::string(c->incoming ? "incoming" : "outgoing") + " peer " + tracker::to_string(c->endpoint) +
                      ": encrypted handshake accepted, " + crypto_text(c->mse_crypto));
  c->handshaker.reset();
  apply_rate_limits(id, *c);
  if (callbacks_.on_peer_ready) callbacks_.on_peer_ready(ready);
}

bool PeerNetwork::retry(SocketId id, Connection& c) {
  if (c.incoming || c.ready || c.retried || shut_down_ || !c.handshaker || !c.socket->closed_by_peer() ||
      !retry_other_way(encryption()) || !c.handshaker->rejected_before_answer())
    return false;
  const bool encrypted = !c.handshaker->encrypted();
  const SocketId socket_id = next_id_++;
  auto socket = PeerSocket::create(loop_, table_, socket_id, socket_callbacks(id));
  if (!socket) return false;
  const std::string where = tracker::to_string(c.endpoint);
  if (daemon::log_enabled(daemon::LogLevel::debug))
    daemon::log_debug("outgoing peer " + where + " hung up on our " +
                      (encrypted ? "plaintext" : "encrypted") + " handshake; trying an " +
                      (encrypted ? "encrypted" : "plaintext") + " one");
  // The old socket is calling us from its last act and touches nothing after: replacing it here
  // destroys it safely.
  c.socket = std::move(*socket);
  if (!c.socket->connect(c.endpoint)) return false;
  c.retried = true;
  ++retried_;
  c.handshaker = ConnectionHandshake::outgoing(wire::Handshake{options_.reserved, c.info_hash, options_.peer_id},
                                               encrypted, encryption_config());
  c.socket->set_deadline(options_.connect_timeout,
                         "connect to " + where + " timed out after " + duration_text(options_.connect_timeout));
  if (auto first = c.handshaker->start()) c.socket->write(std::move(*first));
  else c.socket->close(first.error().message);
  return true;
}

void PeerNetwork::on_socket_drain(SocketId id) {
  Connection* c = find(id);
  if (c && c->ready && callbacks_.on_drain) callbacks_.on_drain(id);
}

void PeerNetwork::on_socket_closed(SocketId id, const std::string& reason) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = it->second;
  if (retry(id, c)) return;
  // After the handshake the session logs closes with the torrent's name; before it, only here.
  if (!c.ready && daemon::log_enabled(daemon::LogLevel::debug))
    daemon::log_debug(std::string(c.incoming ? "incoming" : "outgoing") + " peer " + tracker::to_string(c.endpoint) +
              " closed before its handshake completed: " + reason);
  if (c.ready) {
    auto counted = ready_per_torrent_.find(c.info_hash);
    if (counted != ready_per_torrent_.end() && --counted->second == 0) ready_per_torrent_.erase(counted);
  }
  if (c.outgoing_key) outgoing_keys_.erase(*c.outgoing_key);
  limiter_.cancel(id);
  // The socket is calling us from its last act, after which it touches nothing of its own.
  connections_.erase(it);
  if (callbacks_.on_closed) callbacks_.on_closed(id, reason);
}

bool PeerNetwork::send(SocketId id, std::string bytes) {
  Connection* c = find(id);
  if (!c || !c->ready || c->socket->closing()) return false;
  const bool limited = limiter_.limited(c->info_hash, Direction::up);
  if (c->upload.pass_through(bytes, limited)) return c->socket->write(std::move(bytes));
  std::string now;
  c->upload.push(bytes, limited, now);
  if (!now.empty()) {
    // Protocol messages go at once; they count against the limit all the same.
    if (limited) limiter_.charge(c->info_hash, Direction::up, now.size());
    c->socket->write(std::move(now));
  }
  release_uploads(id, *c);
  return !c->socket->closing();
}

std::size_t PeerNetwork::queued_bytes(SocketId id) const {
  const Connection* c = find(id);
  return c ? c->socket->queued_bytes() + c->upload.ready_bytes() : 0;
}

std::uint32_t PeerNetwork::mse_crypto(SocketId id) const {
  const Connection* c = find(id);
  return c && c->ready ? c->mse_crypto : 0;
}

// ---- rate limits ---------------------------------------------------------------------------

RateLimiter::TimePoint PeerNetwork::rate_now() const {
  return RateLimiter::TimePoint(std::chrono::milliseconds(uv_now(loop_)));
}

void PeerNetwork::set_connection_limits(std::size_t max_connections, std::size_t max_per_torrent) {
  options_.max_connections = max_connections;
  options_.max_connections_per_torrent = max_per_torrent;
}

void PeerNetwork::set_rate_limits(std::uint64_t download, std::uint64_t upload) {
  const auto now = rate_now();
  limiter_.set_rate(Direction::down, download, now);
  limiter_.set_rate(Direction::up, upload, now);
  for (auto& [id, c] : connections_)
    if (c.ready) apply_rate_limits(id, c);
}

void PeerNetwork::set_torrent_rate_limits(const InfoHash& info_hash, std::uint64_t download, std::uint64_t upload) {
  const auto now = rate_now();
  limiter_.set_rate(info_hash, Direction::down, download, now);
  limiter_.set_rate(info_hash, Direction::up, upload, now);
  for (auto& [id, c] : connections_)
    if (c.ready && c.info_hash == info_hash) apply_rate_limits(id, c);
}

void PeerNetwork::apply_rate_limits(SocketId id, Connection& c) {
  if (c.socket->closing()) return;
  if (limiter_.limited(c.info_hash, Direction::down)) {
    if (!c.socket->read_quota()) {
      // Newly limited: it reads again once the next tick gives it its share.
      c.socket->set_read_quota(0);
      limiter_.wait(id, c.info_hash, Direction::down, RateLimiter::kAny);
      start_rate_timer();
    }
  } else {
    limiter_.cancel(id, Direction::down);
    c.socket->set_read_quota(std::nullopt);
  }
  release_uploads(id, c);
}

void PeerNetwork::release_uploads(SocketId id, Connection& c) {
  const bool limited = limiter_.limited(c.info_hash, Direction::up);
  if (!limited) c.up_quota = 0;
  while (c.upload.has_ready() && !c.socket->closing()) {
    const std::size_t size = c.upload.front_size();
    if (limited) {
      if (c.up_quota < size) break;
      c.up_quota -= size;
    }
    c.socket->write(c.upload.pop_front());
  }
  if (limited && c.upload.has_ready() && !c.socket->closing()) {
    limiter_.wait(id, c.info_hash, Direction::up, c.upload.ready_bytes() - c.up_quota);
    start_rate_timer();
  } else {
    limiter_.cancel(id, Direction::up);
  }
}

void PeerNetwork::on_read_quota_spent(SocketId id) {
  Connection* c = find(id);
  if (!c || !c->ready) return;
  if (!limiter_.limited(c->info_hash, Direction::down)) {
    c->socket->set_read_quota(std::nullopt);
    return;
  }
  limiter_.wait(id, c->info_hash, Direction::down, RateLimiter::kAny);
  start_rate_timer();
}

void PeerNetwork::start_rate_timer() {
  if (shut_down_) return;
  if (rate_timer_ == nullptr) {
    rate_timer_ = new uv_timer_t;
    uv_timer_init(loop_, rate_timer_);
    rate_timer_->data = this;
  }
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(rate_timer_))) return;
  const auto period = static_cast<std::uint64_t>(kRateTick.count());
  uv_timer_start(rate_timer_, [](uv_timer_t* t) { static_cast<PeerNetwork*>(t->data)->on_rate_tick(); }, period, period);
}

void PeerNetwork::on_rate_tick() {
  for (const RateLimiter::Grant& g : limiter_.tick(rate_now())) {
    Connection* c = find(g.socket);
    if (!c || !c->ready || c->socket->closing()) continue;
    if (g.direction == Direction::down) {
      c->socket->set_read_quota(c->socket->read_quota().value_or(0) + g.bytes);
    } else {
      c->up_quota += g.bytes;
      release_uploads(g.socket, *c);
    }
  }
  if (!limiter_.waiting() && rate_timer_ != nullptr) uv_timer_stop(rate_timer_);
}

void PeerNetwork::pause_reading(SocketId id) {
  if (Connection* c = find(id)) c->socket->pause_reading();
}

void PeerNetwork::resume_reading(SocketId id) {
  if (Connection* c = find(id)) c->socket->resume_reading();
}

void PeerNetwork::close(SocketId id, std::string reason) {
  if (Connection* c = find(id)) c->socket->close(std::move(reason));
}

void PeerNetwork::close_all() {
  shut_down_ = true;
  close_rate_timer();  // the loop must be able to close before we are destroyed
  listener_.close();
  for (auto& [id, c] : connections_) c.socket->close("shutting down");
}

PeerNetworkStats PeerNetwork::stats() const {
  PeerNetworkStats s;
  s.connections = connections_.size();
  for (const auto& [id, c] : connections_) {
    (c.ready ? s.ready : s.handshaking) += 1;
    (c.incoming ? s.incoming : s.outgoing) += 1;
    if (c.ready && c.mse_crypto != 0) ++s.encrypted;
  }
  s.retried = retried_;
  s.refused_incoming = listener_.refused();
  return s;
}

PeerNetwork::Connection* PeerNetwork::find(SocketId id) {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : &it->second;
}

const PeerNetwork::Connection* PeerNetwork::find(SocketId id) const {
  auto it = connections_.find(id);
  return it == connections_.end() ? nullptr : &it->second;
}

}  // namespace btd::net
