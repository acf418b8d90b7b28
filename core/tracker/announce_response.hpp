#pragma once
// A tracker's answer to an announce, the same for HTTP and UDP once decoded, and the bounds we
// put on what a tracker may ask of us (how often to come back, how many peers we take).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tracker/peer_endpoint.hpp"

namespace btd::tracker {

struct ResponseLimits {
  std::size_t max_peers = 1000;            // peers taken from one reply, IPv4 and IPv6 together
  std::int64_t default_interval_s = 1800;  // when the reply has no usable "interval"
  // Neither interval may go below this: a tracker (or a typo) saying "interval 1" must not make
  // us announce every second.
  std::int64_t min_interval_floor_s = 60;
  std::int64_t max_interval_s = 86400;     // a reply saying "come back in a year" is capped
};

struct AnnounceResponse {
  // Present when the tracker refused the announce; the other fields are then not meaningful.
  std::optional<std::string> failure_reason;
  std::optional<std::string> warning_message;
  std::int64_t interval_s = 0;      // after clamp_intervals: within the ResponseLimits bounds
  std::int64_t min_interval_s = 0;  // after clamp_intervals: between the floor and interval_s
  std::optional<std::string> tracker_id;
  std::optional<std::int64_t> complete;    // seeders
  std::optional<std::int64_t> incomplete;  // leechers
  std::vector<PeerEndpoint> peers;         // IPv4 and IPv6 together, port 0 dropped
};

// Brings raw interval values (nullopt: the tracker sent none) within `limits`.
void clamp_intervals(AnnounceResponse& response, std::optional<std::int64_t> interval_s,
                     std::optional<std::int64_t> min_interval_s, const ResponseLimits& limits);

}  // namespace btd::tracker
