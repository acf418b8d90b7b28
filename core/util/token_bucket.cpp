#include "core/util/token_bucket.hpp"

#include <algorithm>

namespace btd {

namespace {

constexpr std::uint64_t kMicrosPerSecond = 1'000'000;
// Refilling never needs more than the time to fill the bucket from the deepest debt (two
// seconds of the rate); capping the interval keeps rate * interval far from overflowing.
constexpr std::uint64_t kMaxRefillMicros = 10 * kMicrosPerSecond;

}  // namespace

void TokenBucket::set_rate(std::uint64_t bytes_per_second, TimePoint now) {
  const bool was_unlimited = unlimited();
  refill(now);
  rate_ = std::min(bytes_per_second, kMaxRate);
  last_ = now;
  if (rate_ == 0) {
    burst_ = 0;
    tokens_ = 0;
    carry_ = 0;
    return;
  }
  burst_ = std::max<std::uint64_t>(rate_ / 5, 1);
  if (was_unlimited) tokens_ = static_cast<std::int64_t>(burst_);
  tokens_ = std::min(tokens_, static_cast<std::int64_t>(burst_));
  tokens_ = std::max(tokens_, -static_cast<std::int64_t>(rate_));
}

void TokenBucket::refill(TimePoint now) {
  if (unlimited()) {
    last_ = now;
    return;
  }
  if (now <= last_) return;
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(now - last_).count();
  last_ = now;
  const std::uint64_t micros = std::min(static_cast<std::uint64_t>(elapsed), kMaxRefillMicros);
  const std::uint64_t scaled = rate_ * micros + carry_;
  carry_ = scaled % kMicrosPerSecond;
  const auto added = static_cast<std::int64_t>(scaled / kMicrosPerSecond);
  tokens_ += added;
  if (tokens_ > static_cast<std::int64_t>(burst_)) {
    tokens_ = static_cast<std::int64_t>(burst_);  // a full bucket accrues nothing more
    carry_ = 0;
  }
}

std::uint64_t TokenBucket::available() const noexcept {
  if (unlimited()) return kUnlimited;
  return tokens_ > 0 ? static_cast<std::uint64_t>(tokens_) : 0;
}

std::uint64_t TokenBucket::take(std::uint64_t n) noexcept {
  if (unlimited()) return n;
  const std::uint64_t taken = std::min(n, available());
  tokens_ -= static_cast<std::int64_t>(taken);
  return taken;
}

void TokenBucket::charge(std::uint64_t n) noexcept {
  if (unlimited()) return;
  const std::uint64_t debt_cap = rate_;  // one second
  const std::int64_t floor = -static_cast<std::int64_t>(debt_cap);
  const std::uint64_t room = static_cast<std::uint64_t>(tokens_ - floor);
  tokens_ -= static_cast<std::int64_t>(std::min(n, room));
}

std::chrono::microseconds TokenBucket::time_until(std::uint64_t n) const noexcept {
  if (unlimited()) return std::chrono::microseconds(0);
  const auto want = static_cast<std::int64_t>(std::min(n, burst_));
  if (tokens_ >= want) return std::chrono::microseconds(0);
  const auto missing = static_cast<std::uint64_t>(want - tokens_);
  // Rounded up, and the carry already accrued counts.
  const std::uint64_t scaled = missing * kMicrosPerSecond - std::min(carry_, missing * kMicrosPerSecond);
  return std::chrono::microseconds((scaled + rate_ - 1) / rate_);
}

}  // namespace btd
