#include "core/dht/query_limiter.hpp"

#include <algorithm>

namespace btd::dht {

bool QueryLimiter::take(Bucket& b, double rate, double burst, TimePoint now) {
  if (b.tokens < 0) {  // new: starts full
    b.tokens = burst;
  } else if (now > b.last) {
    const double seconds = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst, b.tokens + seconds * rate);
  }
  b.last = std::max(b.last, now);
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

bool QueryLimiter::allow(const Ipv4& ip, TimePoint now) {
  auto it = buckets_.find(ip);
  if (it == buckets_.end()) {
    if (buckets_.size() >= limits_.max_sources) {
      auto idle = std::min_element(buckets_.begin(), buckets_.end(),
                                   [](const auto& a, const auto& b) { return a.second.last < b.second.last; });
      buckets_.erase(idle);
    }
    it = buckets_.emplace(ip, Bucket{-1, now}).first;
  }
  // The source's own bucket first: a flood from one IP does not eat everyone's share.
  if (!take(it->second, limits_.per_ip_rate, limits_.per_ip_burst, now)) return false;
  return take(total_, limits_.total_rate, limits_.total_burst, now);
}

}  // namespace btd::dht
