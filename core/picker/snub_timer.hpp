#pragma once
// Decides when a peer is snubbing us: requests have been outstanding and no block has arrived
// for `limit`. The peer session feeds it events with the time; nothing here reads a clock.
#include <chrono>
#include <optional>

namespace btd {

class SnubTimer {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  // libtorrent and Transmission both wait about a minute before calling a peer a snub.
  static constexpr std::chrono::seconds kDefaultLimit{60};

  // The number of requests outstanding to the peer changed (after sending, a reject, a timeout).
  void on_outstanding(std::size_t outstanding, TimePoint now);
  // A requested block arrived: the peer is serving us, whatever it did before.
  void on_block(std::size_t outstanding_after, TimePoint now);
  // Snubbed when we have been waiting with requests outstanding for at least `limit`. Stays
  // true until a block arrives or nothing is outstanding any more.
  bool snubbed(TimePoint now, std::chrono::steady_clock::duration limit = kDefaultLimit) const;

 private:
  std::optional<TimePoint> waiting_since_;  // set while requests are outstanding
};

}  // namespace btd
