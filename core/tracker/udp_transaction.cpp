#include "core/tracker/udp_transaction.hpp"

#include "core/tracker/udp_protocol.hpp"

namespace btd::tracker {

UdpAnnounce::UdpAnnounce(AnnounceRequest request, Config config, TransactionIds ids,
                         std::optional<UdpConnection> cached)
    : request_(std::move(request)), config_(config), ids_(std::move(ids)), connection_(cached) {}

UdpAnnounce::Effects UdpAnnounce::start(std::int64_t now_ms) {
  if (state_ != State::idle) return waiting();
  attempt_ = 0;
  if (connection_ && now_ms < connection_->expires_at_ms) return send_announce(now_ms);
  return send_connect(now_ms);
}

std::uint32_t UdpAnnounce::fresh_transaction_id() {
  // A repeat of the previous id would let a late duplicate of the previous reply be read as the
  // answer to the new request; a few draws make that vanishingly unlikely even with a poor RNG.
  std::uint32_t id = ids_();
  for (int i = 0; i < 3 && id == transaction_id_ && state_ != State::idle; ++i) id = ids_();
  return id;
}

UdpAnnounce::Effects UdpAnnounce::send_connect(std::int64_t now_ms) {
  transaction_id_ = fresh_transaction_id();
  state_ = State::connecting;
  connection_.reset();
  packet_ = udp::encode_connect(transaction_id_);
  return send_current(now_ms);
}

UdpAnnounce::Effects UdpAnnounce::send_announce(std::int64_t now_ms) {
  transaction_id_ = fresh_transaction_id();
  state_ = State::announcing;
  packet_ = udp::encode_announce(connection_->id, transaction_id_, request_);
  return send_current(now_ms);
}

UdpAnnounce::Effects UdpAnnounce::send_current(std::int64_t now_ms) {
  deadline_ms_ = now_ms + (config_.base_timeout_ms << attempt_);
  return {packet_, deadline_ms_};
}

UdpAnnounce::Effects UdpAnnounce::fail(Error error) {
  state_ = State::failed;
  error_ = std::move(error);
  return {};
}

UdpAnnounce::Effects UdpAnnounce::waiting() const {
  if (finished() || state_ == State::idle) return {};
  return {std::nullopt, deadline_ms_};
}

UdpAnnounce::Effects UdpAnnounce::on_packet(std::string_view packet, std::int64_t now_ms) {
  if (state_ != State::connecting && state_ != State::announcing) return waiting();
  auto header = udp::peek_reply_header(packet);
  if (!header || header->transaction_id != transaction_id_) return waiting();

  if (state_ == State::connecting) {
    auto id = udp::parse_connect_response(packet, transaction_id_);
    if (!id) return fail(id.error());
    connection_ = UdpConnection{*id, now_ms + config_.connection_lifetime_ms};
    attempt_ = 0;
    return send_announce(now_ms);
  }
  auto reply = udp::parse_announce_response(packet, transaction_id_, config_.family, config_.limits);
  if (!reply) return fail(reply.error());
  response_ = std::move(*reply);
  state_ = State::done;
  return {};
}

UdpAnnounce::Effects UdpAnnounce::on_timer(std::int64_t now_ms) {
  if (state_ != State::connecting && state_ != State::announcing) return waiting();
  if (now_ms < deadline_ms_) return waiting();
  if (attempt_ >= config_.max_retransmits) {
    const char* what = state_ == State::connecting ? "connect" : "announce";
    return fail(Error(Errc::io_error, std::string("UDP tracker did not answer the ") + what +
                                          " request (sent " + std::to_string(attempt_ + 1) +
                                          " times, timed out)"));
  }
  ++attempt_;
  if (state_ == State::announcing && now_ms >= connection_->expires_at_ms) {
    return send_connect(now_ms);
  }
  return send_current(now_ms);
}

}  // namespace btd::tracker
