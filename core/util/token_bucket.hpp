#pragma once
// A token bucket for rate limits, sans-I/O: time is handed in. Tokens are bytes; they accrue at
// `rate` per second up to `burst`. take() hands out what is there (for grants that must not
// overdraw); charge() takes even into debt, for bytes that were sent anyway (protocol messages
// must not wait), so the debt is paid off before later grants. Rate 0 means unlimited: every
// call is then a no-op that reports plenty.
#include <chrono>
#include <cstdint>
#include <limits>

namespace btd {

class TokenBucket {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  // Above this the arithmetic could overflow; nobody needs more than a TiB/s limit.
  static constexpr std::uint64_t kMaxRate = std::uint64_t{1} << 40;
  static constexpr std::uint64_t kUnlimited = std::numeric_limits<std::uint64_t>::max();

  TokenBucket() = default;
  // The bucket starts full.
  TokenBucket(std::uint64_t rate, TimePoint now) { set_rate(rate, now); }

  // Changing the rate keeps the tokens (clamped to the new burst) and the debt.
  void set_rate(std::uint64_t bytes_per_second, TimePoint now);
  std::uint64_t rate() const noexcept { return rate_; }
  bool unlimited() const noexcept { return rate_ == 0; }
  // The most the bucket holds: a fifth of a second of the rate (at least 1 byte).
  std::uint64_t burst() const noexcept { return burst_; }

  // Adds what accrued since the last refill. Time going backwards adds nothing.
  void refill(TimePoint now);
  // Tokens there now: 0 while in debt, kUnlimited when unlimited.
  std::uint64_t available() const noexcept;
  // Takes up to `n` tokens and returns how many it took.
  std::uint64_t take(std::uint64_t n) noexcept;
  // Takes `n` tokens even into debt. The debt is bounded by one second of the rate so that a
  // burst of forced bytes cannot stall later grants for long.
  void charge(std::uint64_t n) noexcept;
  // How long until `n` tokens (at most burst()) are there, counting from the last refill.
  std::chrono::microseconds time_until(std::uint64_t n) const noexcept;

 private:
  std::uint64_t rate_ = 0;
  std::uint64_t burst_ = 0;
  std::int64_t tokens_ = 0;      // negative: debt
  std::uint64_t carry_ = 0;      // byte-microseconds not yet worth a whole token
  TimePoint last_{};
};

}  // namespace btd
