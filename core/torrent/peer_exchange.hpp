#pragma once
// Peer exchange (ut_pex) bookkeeping for one connection, sans-I/O: what we last told the peer,
// when, and how often it talks to us. Policy follows libtorrent, the de facto reference:
// one message a minute each way, at most 50 added peers per message, the first one as soon as
// there is something to say; a peer sending more than 3 messages in a minute is dropped.
#include <array>
#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/wire/ut_pex.hpp"

namespace btd {

class PeerExchange {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  static constexpr std::chrono::seconds kInterval{60};
  static constexpr std::size_t kMaxAdded = 50;
  static constexpr std::size_t kMaxDropped = 50;
  // Messages a peer may send within kInterval: a little slack for a reconnect or a client that
  // sends right after its handshake, far below a flood.
  static constexpr std::size_t kReceiveBurst = 3;

  // A message came from the peer at `now`: false when it is one too many within kInterval.
  bool on_received(TimePoint now);

  // Whether a message to the peer may go now (the first one may go at once).
  bool may_send(TimePoint now) const noexcept { return !sent_at_ || now - *sent_at_ >= kInterval; }

  // The next message for the peer: `current` is every connected peer we can name by its listen
  // endpoint (the peer itself excluded by the caller). Added are those not yet told (at most
  // kMaxAdded, the rest wait for the next message), dropped those told and gone (at most
  // kMaxDropped). nullopt when nothing changed or may_send is false: no message, and the
  // interval does not restart, so a change is told as soon as it is allowed.
  std::optional<wire::PexMessage> next_message(const std::vector<wire::PexPeer>& current, TimePoint now);

  // What the peer was told and not told gone since: endpoint text -> endpoint.
  const std::map<std::string, tracker::PeerEndpoint>& told() const noexcept { return told_; }

 private:
  std::optional<TimePoint> sent_at_;
  std::map<std::string, tracker::PeerEndpoint> told_;
  std::array<TimePoint, kReceiveBurst> received_{};  // oldest first
  std::size_t received_count_ = 0;
};

}  // namespace btd
