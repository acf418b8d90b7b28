#pragma once
// Transfer rate over a sliding window of one-second buckets. Time is handed in.
#include <array>
#include <chrono>
#include <cstdint>

namespace btd {

class RateMeter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  static constexpr std::size_t kWindowSeconds = 5;

  void add(std::uint64_t bytes, TimePoint now) noexcept {
    advance(now);
    buckets_[static_cast<std::size_t>(current_ % kWindowSeconds)] += bytes;
    total_ += bytes;
  }

  // Bytes per second over the last full window (the current, partial second included).
  double rate(TimePoint now) noexcept {
    advance(now);
    std::uint64_t sum = 0;
    for (auto b : buckets_) sum += b;
    return static_cast<double>(sum) / static_cast<double>(kWindowSeconds);
  }

  std::uint64_t total() const noexcept { return total_; }

 private:
  void advance(TimePoint now) noexcept {
    const std::int64_t second =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (!started_) {
      started_ = true;
      current_ = second;
      return;
    }
    if (second <= current_) return;
    const std::int64_t gap = second - current_;
    for (std::int64_t i = 1; i <= gap && i <= static_cast<std::int64_t>(kWindowSeconds); ++i)
      buckets_[static_cast<std::size_t>((current_ + i) % kWindowSeconds)] = 0;
    current_ = second;
  }

  std::array<std::uint64_t, kWindowSeconds> buckets_{};
  std::int64_t current_ = 0;
  bool started_ = false;
  std::uint64_t total_ = 0;
};

}  // namespace btd
