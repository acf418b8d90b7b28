#pragma once
// Which tracker to announce to, when, and with which event: BEP 12 multitracker tiers plus the
// event rules of BEP 3. Sans-I/O: the caller polls with the time, runs the announce it is given
// (HTTP or UDP) and reports the outcome.
//
// Tiers: each tier is shuffled once, at construction. An announce round tries the trackers in
// order, tier by tier, until one answers; the one that answered moves to the front of its tier,
// so the next round starts with it. When every tracker failed, the round is retried after a
// growing back-off.
//
// Events, per tracker (a tracker we switch to has never heard of us): "started" first;
// "completed" once after the download completes, only to a tracker that got "started" before
// it; "stopped" at shutdown to every tracker that got "started". Rounds run every
// max(interval, min interval) as the last answer asked, or earlier when the caller wants more
// peers or has a completion to report, but never before the min interval.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/tracker/announce_request.hpp"
#include "core/tracker/announce_response.hpp"

namespace btd::tracker {

// One row of `torrent.status`'s tracker list.
struct TrackerStatus {
  std::string url;
  std::size_t tier = 0;
  std::string status = "not contacted";  // "not contacted", "updating", "working", "error"
  std::string last_error;
  std::optional<std::string> warning;
  std::optional<std::size_t> peers;  // peers in the last successful reply
  std::optional<std::int64_t> seeders;
  std::optional<std::int64_t> leechers;
  std::optional<std::int64_t> last_announce_ms;
  std::optional<std::int64_t> next_announce_ms;  // set on the tracker the next round starts with
};

// The caller fills the rest of the AnnounceRequest (counters, left, key); for "stopped" it
// should ask for no peers (numwant 0).
struct AnnounceJob {
  std::uint64_t id = 0;
  std::string url;
  Event event = Event::none;
  std::optional<std::string> tracker_id;  // to send back as "trackerid"
};

struct TrackerListConfig {
  std::int64_t retry_min_ms = 60'000;     // after the first round in which every tracker failed
  std::int64_t retry_max_ms = 1'800'000;  // the back-off doubles up to this
};

class TrackerList {
 public:
  // Uniform in [0, bound); core/ reads no randomness itself.
  using RandomIndex = std::function<std::size_t(std::size_t bound)>;

  using Config = TrackerListConfig;

  // Blank URLs, URLs already listed in an earlier position and empty tiers are dropped.
  TrackerList(const std::vector<std::vector<std::string>>& tiers, const RandomIndex& random,
              Config config = {});

  // The announce to run now, if any. `want_peers`: the torrent is short of peers and would take an
  // announce earlier than the interval (never earlier than the min interval). Outside of
  // shutdown, at most one announce is in flight at a time.
  std::optional<AnnounceJob> poll(std::int64_t now_ms, bool want_peers);
  // When poll() may next have something to do, for the caller's timer; nullopt when only a
  // reported outcome can change that (an announce is in flight, or shutdown is under way).
  std::optional<std::int64_t> next_poll_ms(bool want_peers) const;

  // A reply with a failure reason counts as a failure.
  void on_announce_reply(std::uint64_t job_id, const AnnounceResponse& reply, std::int64_t now_ms);
  void on_announce_error(std::uint64_t job_id, std::string_view error, std::int64_t now_ms);

  // The download just finished: "completed" is owed to the trackers that got "started".
  void on_download_completed();
  // Shutdown or removal: from now on poll() hands out one "stopped" per tracker that got
  // "started", all at once, without failover or retries.
  void stop();
  // After stop(): every "stopped" has been sent and answered (or failed).
  bool stopped() const;

  std::vector<TrackerStatus> status() const;
  bool empty() const noexcept { return entries_.empty(); }

 private:
  struct Entry {
    TrackerStatus status;
    std::optional<std::string> tracker_id;
    bool started_sent = false;
    bool stop_sent = false;
  };
  struct InFlight {
    std::size_t entry;
    Event event;
    bool after_completion;  // completion was already owed when this was sent
  };

  Event event_for(const Entry& entry) const;
  AnnounceJob issue(std::size_t entry, Event event);
  void clear_next_announce();
  void round_failed(std::int64_t now_ms);

  Config config_;
  std::vector<Entry> entries_;                  // stable indexes
  std::vector<std::vector<std::size_t>> tiers_;  // entry indexes in try order
  std::map<std::uint64_t, InFlight> in_flight_;
  std::uint64_t next_job_id_ = 1;

  bool round_active_ = false;
  std::size_t round_tier_ = 0;
  std::size_t round_pos_ = 0;
  std::int64_t next_announce_ms_ = 0;  // when the next regular round is due
  std::int64_t earliest_ms_ = 0;       // the min interval (or back-off) ends
  int failed_rounds_ = 0;
  bool completed_owed_ = false;
  // Said once per run: a torrent completing again (more files wanted after its selection was
  // in) is not a second download for the tracker's count.
  bool completed_said_ = false;
  bool stopping_ = false;
};

}  // namespace btd::tracker
