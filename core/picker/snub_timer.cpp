#include "core/picker/snub_timer.hpp"

namespace btd {

void SnubTimer::on_outstanding(std::size_t outstanding, TimePoint now) {
  if (outstanding == 0) {
    waiting_since_.reset();
  } else if (!waiting_since_) {
    waiting_since_ = now;  // the clock starts with the first request, not with every new one
  }
}

void SnubTimer::on_block(std::size_t outstanding_after, TimePoint now) {
  waiting_since_.reset();
  if (outstanding_after > 0) waiting_since_ = now;
}

bool SnubTimer::snubbed(TimePoint now, std::chrono::steady_clock::duration limit) const {
  return waiting_since_.has_value() && now - *waiting_since_ >= limit;
}

}  // namespace btd
