#pragma once
// When each torrent is announced on the LAN (BEP 14): at once when it becomes active, then every
// 5 minutes, and never more than one datagram per call (the daemon calls once a second), so a
// thousand torrents cost one small multicast a second, not a burst.
#include <chrono>
#include <map>
#include <vector>

#include "core/util/sha1.hpp"

namespace btd::lsd {

class AnnounceSchedule {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  static constexpr std::chrono::minutes kInterval{5};
  // An announce heard from another client for one of our torrents is answered with ours, so a
  // client that came second need not wait 5 minutes (a seed does not dial the leechers it
  // hears of); not sooner than this after our last one, however many ask, but then for sure.
  static constexpr std::chrono::seconds kAnswerGap{10};

  // `active`: the torrents that may be announced now (running, not private). Returns up to `max`
  // of them that are due (never announced, or kInterval ago), longest waiting first, and marks
  // them announced at `now`. Torrents no longer active are forgotten: back, they are due at once.
  std::vector<InfoHash> due(const std::vector<InfoHash>& active, TimePoint now, std::size_t max);

  // Another client announced `h`: ours becomes due now, or kAnswerGap after the last one.
  void answer(const InfoHash& h, TimePoint now);

  // Everything is due again (LSD was turned back on, the interface changed).
  void reset() { last_.clear(); }

 private:
  struct Entry {
    TimePoint sent;  // when it was last announced
    TimePoint due;   // when it is announced next
  };
  std::map<InfoHash, Entry> last_;  // the active torrents announced so far
};

}  // namespace btd::lsd
