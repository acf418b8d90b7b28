#include "daemon/net/connection_handshake.hpp"

#include <algorithm>
#include <utility>

namespace btd::net {

bool dial_encrypted_first(EncryptionMode mode) {
  return mode == EncryptionMode::prefer_encrypted || mode == EncryptionMode::required;
}

bool retry_other_way(EncryptionMode mode) {
  return mode == EncryptionMode::prefer_plaintext || mode == EncryptionMode::prefer_encrypted;
}

ConnectionHandshake ConnectionHandshake::outgoing(const wire::Handshake& ours, bool encrypted,
                                                  const EncryptionConfig& config) {
  ConnectionHandshake h(PeerHandshaker::outgoing(ours));
  h.config_ = config;
  if (encrypted) {
    // Preferring plaintext, we offer both and let the peer choose; otherwise RC4 is the point.
    const std::uint32_t provide = config.mode == EncryptionMode::prefer_plaintext
                                      ? (mse::kCryptoPlaintext | mse::kCryptoRc4)
                                      : mse::kCryptoRc4;
    // Our BitTorrent handshake rides along as IA: no extra round trip.
    h.initiator_.emplace(ours.info_hash, provide, h.bt_.start(), config.random);
    h.encrypted_ = true;
    h.phase_ = Phase::mse;
  }
  return h;
}

ConnectionHandshake ConnectionHandshake::incoming(wire::Reserved reserved, wire::PeerId our_id,
                                                  TorrentLookup lookup, const EncryptionConfig& config) {
  ConnectionHandshake h(PeerHandshaker::incoming(reserved, our_id, std::move(lookup)));
  h.config_ = config;
  h.phase_ = Phase::sniff;
  return h;
}

Result<std::string> ConnectionHandshake::start() {
  if (initiator_) return initiator_->start();
  return bt_.start();
}

bool ConnectionHandshake::rejected_before_answer() const noexcept {
  if (bt_.incoming_side()) return false;
  return encrypted_ ? selected_ == 0 : !received_any_;
}

ConnectionHandshake::Step ConnectionHandshake::feed(std::string_view bytes) {
  if (!bytes.empty()) received_any_ = true;
  if (phase_ == Phase::sniff) {
    // Undecided only while what arrived is a prefix of the protocol string.
    sniffed_.append(bytes);
    const std::string_view protocol = wire::kProtocolString;
    const std::size_t n = std::min(sniffed_.size(), protocol.size());
    const bool plaintext = std::string_view(sniffed_).substr(0, n) == protocol.substr(0, n);
    if (plaintext && n < protocol.size()) return {};
    std::string buffered = std::move(sniffed_);
    sniffed_.clear();
    if (plaintext) {
      if (config_.mode == EncryptionMode::required) {
        Step step;
        step.failure = "plaintext handshake refused: the \"encryption\" setting is \"required\"";
        return step;
      }
      phase_ = Phase::bt;
      return feed_bt(buffered, {});
    }
    if (config_.mode == EncryptionMode::disabled) {
      // The BitTorrent parser names the bytes it did not expect.
      phase_ = Phase::bt;
      Step step = feed_bt(buffered, {});
      if (step.failure) *step.failure += "; encrypted handshakes are off (\"encryption\": \"disabled\")";
      return step;
    }
    mse::ResponderPolicy policy;
    policy.prefer_plaintext = config_.mode != EncryptionMode::prefer_encrypted;
    if (config_.mode == EncryptionMode::required) policy.accept = mse::kCryptoRc4;
    responder_.emplace(policy, config_.skey_lookup, config_.random);
    encrypted_ = true;
    phase_ = Phase::mse;
    return feed_mse(buffered);
  }
  if (phase_ == Phase::mse) return feed_mse(bytes);
  return feed_bt(bytes, {});
}

ConnectionHandshake::Step ConnectionHandshake::feed_mse(std::string_view bytes) {
  Step step;
  mse::MseStep m = initiator_ ? initiator_->feed(bytes) : responder_->feed(bytes);
  step.send = std::move(m.send);
  if (m.failure) {
    step.failure = std::move(m.failure);
    return step;
  }
  if (!m.complete) return step;

  mse::MseResult result = initiator_ ? initiator_->take_result() : responder_->take_result();
  initiator_.reset();
  responder_.reset();
  selected_ = result.selected;
  if (bt_.incoming_side()) bt_.expect_info_hash(result.info_hash);
  cipher_ = std::move(result.cipher);
  phase_ = Phase::bt;
  step = feed_bt(result.payload, std::move(step));
  step.cipher = std::move(*cipher_);
  cipher_.reset();
  return step;
}

ConnectionHandshake::Step ConnectionHandshake::feed_bt(std::string_view bytes, Step step) {
  if (bytes.empty()) return step;
  PeerHandshaker::Step b = bt_.feed(bytes);
  // Our BitTorrent handshake, in the stream MSE just set up (the socket has no cipher yet).
  if (cipher_) cipher_->encrypt(b.send.data(), b.send.size());
  step.send += b.send;
  step.failure = std::move(b.failure);
  step.complete = b.complete;
  return step;
}

}  // namespace btd::net
