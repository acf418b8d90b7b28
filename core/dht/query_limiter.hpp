#pragma once
// Rate limit of incoming DHT queries: a token bucket per source IP, and one for all sources,
// so that neither one host nor a spoofed flood can make us answer (and amplify) without bound.
// The table of sources is bounded too: when full, the longest idle source is forgotten.
#include <chrono>
#include <cstddef>
#include <map>

#include "core/dht/node_id.hpp"

namespace btd::dht {

struct QueryLimits {
  double per_ip_rate = 20;   // queries per second from one IP
  double per_ip_burst = 50;
  double total_rate = 500;   // from everyone
  double total_burst = 1000;
  std::size_t max_sources = 4096;
};

class QueryLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  explicit QueryLimiter(QueryLimits limits = {}) : limits_(limits) {}

  // Whether a query from `ip` may be answered now; counts it if so.
  bool allow(const Ipv4& ip, TimePoint now);
  std::size_t sources() const noexcept { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint last{};
  };
  static bool take(Bucket& b, double rate, double burst, TimePoint now);

  QueryLimits limits_;
  std::map<Ipv4, Bucket> buckets_;
  Bucket total_{-1, {}};
};

}  // namespace btd::dht
