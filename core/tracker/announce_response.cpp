#include "core/tracker/announce_response.hpp"

#include <algorithm>

namespace btd::tracker {

void clamp_intervals(AnnounceResponse& response, std::optional<std::int64_t> interval_s,
                     std::optional<std::int64_t> min_interval_s, const ResponseLimits& limits) {
  const std::int64_t floor = limits.min_interval_floor_s;
  const std::int64_t cap = std::max(limits.max_interval_s, floor);
  const std::int64_t interval =
      interval_s && *interval_s > 0 ? *interval_s : limits.default_interval_s;
  response.interval_s = std::clamp(interval, floor, cap);
  const std::int64_t min_interval = min_interval_s ? *min_interval_s : floor;
  response.min_interval_s = std::clamp(min_interval, floor, response.interval_s);
}

}  // namespace btd::tracker
