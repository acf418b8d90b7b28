#include "core/tracker/tracker_list.hpp"

#include <algorithm>
#include <set>
#include <utility>

namespace btd::tracker {

TrackerList::TrackerList(const std::vector<std::vector<std::string>>& tiers,
                         const RandomIndex& random, Config config)
    : config_(config) {
  std::set<std::string, std::less<>> seen;
  for (const auto& urls : tiers) {
    std::vector<std::size_t> tier;
    for (const std::string& url : urls) {
      if (url.empty() || !seen.insert(url).second) continue;
      Entry entry;
      entry.status.url = url;
      entry.status.tier = tiers_.size();
      tier.push_back(entries_.size());
      entries_.push_back(std::move(entry));
    }
    if (tier.empty()) continue;
    // Fisher-Yates, so each order is equally likely when `random` is uniform.
    for (std::size_t i = tier.size() - 1; i > 0; --i) {
      std::swap(tier[i], tier[std::min(random(i + 1), i)]);
    }
    tiers_.push_back(std::move(tier));
  }
}

Event TrackerList::event_for(const Entry& entry) const {
  if (stopping_) return Event::stopped;
  if (!entry.started_sent) return Event::started;
  if (completed_owed_) return Event::completed;
  return Event::none;
}

AnnounceJob TrackerList::issue(std::size_t entry, Event event) {
  Entry& e = entries_[entry];
  e.status.status = "updating";
  const std::uint64_t id = next_job_id_++;
  in_flight_[id] = InFlight{entry, event, completed_owed_};
  return AnnounceJob{id, e.status.url, event, e.tracker_id};
}

std::optional<AnnounceJob> TrackerList::poll(std::int64_t now_ms, bool want_peers) {
  if (stopping_) {
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      Entry& e = entries_[i];
      if (!e.started_sent || e.stop_sent) continue;
      e.stop_sent = true;
      return issue(i, Event::stopped);
    }
    return std::nullopt;
  }
  if (!in_flight_.empty() || tiers_.empty()) return std::nullopt;
  if (!round_active_) {
    const bool early_ok = (want_peers || completed_owed_) && now_ms >= earliest_ms_;
    if (now_ms < next_announce_ms_ && !early_ok) return std::nullopt;
    round_active_ = true;
    round_tier_ = 0;
    round_pos_ = 0;
  }
  const std::size_t entry = tiers_[round_tier_][round_pos_];
  return issue(entry, event_for(entries_[entry]));
}

std::optional<std::int64_t> TrackerList::next_poll_ms(bool want_peers) const {
  if (stopping_ || !in_flight_.empty() || tiers_.empty()) return std::nullopt;
  if (round_active_) return 0;  // the next tracker of the round is tried at once
  if (want_peers || completed_owed_) return std::min(earliest_ms_, next_announce_ms_);
  return next_announce_ms_;
}

void TrackerList::clear_next_announce() {
  for (Entry& e : entries_) e.status.next_announce_ms.reset();
}

void TrackerList::on_announce_reply(std::uint64_t job_id, const AnnounceResponse& reply,
                                    std::int64_t now_ms) {
  if (reply.failure_reason) {
    on_announce_error(job_id, "tracker refused: " + *reply.failure_reason, now_ms);
    return;
  }
  auto it = in_flight_.find(job_id);
  if (it == in_flight_.end()) return;
  const InFlight job = it->second;
  in_flight_.erase(it);

  Entry& e = entries_[job.entry];
  e.status.status = "working";
  e.status.last_error.clear();
  e.status.warning = reply.warning_message;
  e.status.peers = reply.peers.size();
  e.status.seeders = reply.complete;
  e.status.leechers = reply.incomplete;
  e.status.last_announce_ms = now_ms;
  if (reply.tracker_id) e.tracker_id = reply.tracker_id;
  if (job.event == Event::started) e.started_sent = true;
  if (job.event == Event::stopped) {
    e.started_sent = false;
    return;  // shutdown answers change no schedule
  }
  // A "started" sent after completion already told this tracker we are a seeder (left=0).
  if (job.event == Event::completed || (job.event == Event::started && job.after_completion)) {
    completed_owed_ = false;
    completed_said_ = true;
  }
  if (stopping_) return;

  // BEP 12: the tracker that answered goes to the front of its tier.
  auto& tier = tiers_[e.status.tier];
  auto pos = std::find(tier.begin(), tier.end(), job.entry);
  if (pos != tier.end()) std::rotate(tier.begin(), pos, pos + 1);

  round_active_ = false;
  failed_rounds_ = 0;
  const std::int64_t interval_s = std::max(reply.interval_s, reply.min_interval_s);
  next_announce_ms_ = now_ms + interval_s * 1000;
  earliest_ms_ = now_ms + reply.min_interval_s * 1000;
  clear_next_announce();
  e.status.next_announce_ms = next_announce_ms_;
}

void TrackerList::on_announce_error(std::uint64_t job_id, std::string_view error,
                                    std::int64_t now_ms) {
  auto it = in_flight_.find(job_id);
  if (it == in_flight_.end()) return;
  const InFlight job = it->second;
  in_flight_.erase(it);

  Entry& e = entries_[job.entry];
  e.status.status = "error";
  e.status.last_error = std::string(error);
  e.status.last_announce_ms = now_ms;
  if (job.event == Event::stopped || stopping_ || !round_active_) return;

  // Next tracker in the tier, then the next tier.
  ++round_pos_;
  if (round_pos_ < tiers_[round_tier_].size()) return;
  round_pos_ = 0;
  ++round_tier_;
  if (round_tier_ < tiers_.size()) return;
  round_failed(now_ms);
}

void TrackerList::round_failed(std::int64_t now_ms) {
  round_active_ = false;
  const int doublings = std::min(failed_rounds_, 20);
  ++failed_rounds_;
  const std::int64_t delay =
      std::min(config_.retry_min_ms << doublings, config_.retry_max_ms);
  next_announce_ms_ = now_ms + std::max(delay, config_.retry_min_ms);
  earliest_ms_ = next_announce_ms_;
  clear_next_announce();
  entries_[tiers_[0][0]].status.next_announce_ms = next_announce_ms_;
}

void TrackerList::on_download_completed() {
  if (!completed_said_) completed_owed_ = true;
}

void TrackerList::stop() {
  stopping_ = true;
  round_active_ = false;
  clear_next_announce();
}

bool TrackerList::stopped() const {
  if (!stopping_ || !in_flight_.empty()) return false;
  return std::none_of(entries_.begin(), entries_.end(),
                      [](const Entry& e) { return e.started_sent && !e.stop_sent; });
}

std::vector<TrackerStatus> TrackerList::status() const {
  std::vector<TrackerStatus> out;
  out.reserve(entries_.size());
  for (const auto& tier : tiers_) {
    for (std::size_t entry : tier) out.push_back(entries_[entry].status);
  }
  return out;
}

}  // namespace btd::tracker
