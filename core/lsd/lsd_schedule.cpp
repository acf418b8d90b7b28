#include "core/lsd/lsd_schedule.hpp"

#include <algorithm>
#include <optional>
#include <utility>

namespace btd::lsd {

std::vector<InfoHash> AnnounceSchedule::due(const std::vector<InfoHash>& active, TimePoint now, std::size_t max) {
  std::map<InfoHash, TimePoint> kept;
  // Never announced sorts before any time: new torrents go first.
  std::vector<std::pair<std::optional<TimePoint>, InfoHash>> waiting;
  for (const InfoHash& h : active) {
    auto it = last_.find(h);
    if (it != last_.end()) kept.insert(*it);
    if (it == last_.end()) waiting.emplace_back(std::nullopt, h);
    else if (now - it->second >= kInterval) waiting.emplace_back(it->second, h);
  }
  last_ = std::move(kept);
  std::stable_sort(waiting.begin(), waiting.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<InfoHash> out;
  for (const auto& [when, h] : waiting) {
    if (out.size() >= max) break;
    out.push_back(h);
    last_[h] = now;
  }
  return out;
}

void AnnounceSchedule::answer(const InfoHash& h, TimePoint now) {
  auto it = last_.find(h);
  // Not in the map: never announced, so already due.
  if (it != last_.end() && now - it->second >= kAnswerGap) it->second = now - kInterval;
}

}  // namespace btd::lsd
