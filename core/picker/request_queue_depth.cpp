#include "core/picker/request_queue_depth.hpp"

#include <algorithm>
#include <cmath>

#include "core/picker/piece_geometry.hpp"

namespace btd {

std::size_t request_queue_depth(double peer_download_rate_bytes_per_s,
                                std::chrono::milliseconds target_latency, std::size_t reqq_limit) {
  const std::size_t upper = std::clamp<std::size_t>(reqq_limit, 1, kMaxRequestQueueDepth);
  const std::size_t lower = std::min(kMinRequestQueueDepth, upper);
  double rate = peer_download_rate_bytes_per_s;
  if (!(rate > 0)) rate = 0;  // also catches NaN
  const double seconds = std::max<double>(0, std::chrono::duration<double>(target_latency).count());
  const double blocks = std::ceil(rate * seconds / kBlockSize);
  // Compare as double before converting: an absurd rate must not overflow size_t.
  if (!(blocks < static_cast<double>(upper))) return upper;
  return std::max(lower, static_cast<std::size_t>(blocks));
}

}  // namespace btd
