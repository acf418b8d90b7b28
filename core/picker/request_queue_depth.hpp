#pragma once
// How many block requests to keep outstanding to one peer: enough to cover the round trip at
// the peer's current rate, so the pipe never runs dry, and no more than the peer accepts.
#include <chrono>
#include <cstddef>

namespace btd {

inline constexpr std::size_t kMinRequestQueueDepth = 2;
inline constexpr std::size_t kMaxRequestQueueDepth = 500;
// Three seconds of data in flight, as libtorrent's default request_queue_time.
inline constexpr std::chrono::milliseconds kDefaultRequestQueueTime{3000};

// ceil(rate * target_latency / 16 KiB), clamped to [2, min(reqq_limit, 500)]. reqq_limit is
// the peer's `reqq` from its extension handshake (BEP 10), or the caller's default when it
// sent none; a peer that accepts fewer than 2 requests gets exactly what it accepts, at least 1.
// A rate that is negative or not a number counts as 0.
std::size_t request_queue_depth(double peer_download_rate_bytes_per_s,
                                std::chrono::milliseconds target_latency, std::size_t reqq_limit);

}  // namespace btd
