#include "core/lsd/lsd_schedule.hpp"

#include <algorithm>
#include <optional>
#include <utility>

namespace btd::lsd {

std::vector<InfoHash> AnnounceSchedule::due(const std::vector<InfoHash>& active, TimePoint now, std::size_t max) {
  std::map<InfoHash, Entry> kept;
  // Never announced sorts before any time: new torrents go first.
  std::vector<std::pair<std::optional<TimePoint>, InfoHash>> waiting;
  for (const InfoHash& h : active) {
    auto it = last_.find(h);
    if (it == last_.end()) {
      waiting.emplace_back(std::nullopt, h);
      continue;
    }
    kept.insert(*it);
    if (now >= it->second.due) waiting.emplace_back(it->second.due, h);
  }
  last_ = std::move(kept);
  std::stable_sort(waiting.begin(), waiting.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<InfoHash> out;
  for (const auto& [when, h] : waiting) {
    if (out.size() >= max) break;
    out.push_back(h);
    last_[h] = Entry{now, now + kInterval};
  }
  return out;
}

void AnnounceSchedule::answer(const InfoHash& h, TimePoint now) {
  auto it = last_.find(h);
  if (it == last_.end()) return;  // never announced, so already due
  // Due at once, or kAnswerGap after the last one: an answer is put off, never lost.
  it->second.due = std::min(it->second.due, std::max(now, it->second.sent + kAnswerGap));
}

}  // namespace btd::lsd
