#pragma once
// One announce to a UDP tracker (BEP 15) as a sans-I/O state machine: connect, then announce,
// with BEP 15's retransmission schedule. Time and transaction ids are handed in; what comes out
// is "send these bytes" and "wake me at T". The daemon owns the socket and the timer, routes
// datagrams from the tracker's address by transaction_id(), and keeps connection() to reuse the
// connection id for the next announce to the same tracker.
//
// Schedule: a request unanswered for 15 * 2^n seconds is sent again with n increased, n from 0 up
// to 8; when the last wait (3840 s) also passes, the announce fails. Any valid reply resets n. A
// connection id is used for at most 60 s after it was received; a retransmission that would use
// an older one reconnects first.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/tracker/announce_request.hpp"
#include "core/tracker/announce_response.hpp"
#include "core/tracker/peer_endpoint.hpp"
#include "core/util/result.hpp"

namespace btd::tracker {

struct UdpConnection {
  std::uint64_t id = 0;
  std::int64_t expires_at_ms = 0;
};

class UdpAnnounce {
 public:
  struct Config {
    AddressFamily family = AddressFamily::ipv4;  // of the socket the tracker is reached on
    ResponseLimits limits;
    int max_retransmits = 8;
    std::int64_t base_timeout_ms = 15'000;
    std::int64_t connection_lifetime_ms = 60'000;
  };

  enum class State : std::uint8_t { idle, connecting, announcing, done, failed };

  // Each call states the whole timer: wake_at_ms empty means no wake-up is wanted (finished).
  struct Effects {
    std::optional<std::string> send;
    std::optional<std::int64_t> wake_at_ms;
  };

  // Random 32-bit transaction ids; core/ reads no randomness itself.
  using TransactionIds = std::function<std::uint32_t()>;

  UdpAnnounce(AnnounceRequest request, Config config, TransactionIds ids,
              std::optional<UdpConnection> cached = std::nullopt);

  Effects start(std::int64_t now_ms);
  // A datagram that came from the tracker. Replies for another transaction (late answers to an
  // earlier request, or another announce sharing the socket) are ignored.
  Effects on_packet(std::string_view packet, std::int64_t now_ms);
  // The wake-up asked for is due; calls before it are harmless.
  Effects on_timer(std::int64_t now_ms);

  State state() const noexcept { return state_; }
  bool finished() const noexcept { return state_ == State::done || state_ == State::failed; }
  // The id a reply must carry now.
  std::uint32_t transaction_id() const noexcept { return transaction_id_; }
  // After done: the decoded reply. After failed: why (the tracker's error text, a malformed reply
  // or a timeout).
  const AnnounceResponse& response() const noexcept { return response_; }
  const Error& error() const noexcept { return error_; }
  // The connection id in use, for the next UdpAnnounce to this tracker.
  std::optional<UdpConnection> connection() const noexcept { return connection_; }

 private:
  std::uint32_t fresh_transaction_id();
  Effects send_connect(std::int64_t now_ms);
  Effects send_announce(std::int64_t now_ms);
  Effects send_current(std::int64_t now_ms);
  Effects fail(Error error);
  Effects waiting() const;

  AnnounceRequest request_;
  Config config_;
  TransactionIds ids_;
  std::optional<UdpConnection> connection_;
  State state_ = State::idle;
  std::uint32_t transaction_id_ = 0;
  std::string packet_;  // the request being (re)sent
  int attempt_ = 0;     // n of BEP 15
  std::int64_t deadline_ms_ = 0;
  AnnounceResponse response_;
  Error error_;
};

}  // namespace btd::tracker
