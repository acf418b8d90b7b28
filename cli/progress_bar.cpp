#include "cli/progress_bar.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace btd::cli {

double clamp_progress(double fraction) noexcept {
  if (std::isnan(fraction) || fraction < 0.0) return 0.0;
  if (fraction > 1.0) return 1.0;
  return fraction;
}

std::string format_percent(double fraction) {
  const double f = clamp_progress(fraction);
  // Per mille, rounded down; the epsilon keeps 0.452 (stored as 0.45199999...) at 45.2.
  const auto tenths = static_cast<unsigned>(std::min(1000.0, std::floor(f * 1000.0 + 1e-9)));
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%3u.%u%%", tenths / 10, tenths % 10);
  std::string s = buf;
  if (s.size() < 6) s.insert(0, 6 - s.size(), ' ');
  return s;
}

std::string render_progress_bar(double fraction, std::size_t cells) {
  const double f = clamp_progress(fraction);
  // Rounded down like the percentage: a full bar only when complete.
  auto done = static_cast<std::size_t>(std::floor(f * static_cast<double>(cells) + 1e-9));
  if (done > cells) done = cells;
  std::string s;
  s.reserve(cells + 2);
  s += '[';
  s.append(done, '#');
  s.append(cells - done, '.');
  s += ']';
  return s;
}

std::string render_progress(double fraction, std::size_t cells) {
  return render_progress_bar(fraction, cells) + " " + format_percent(fraction);
}

}  // namespace btd::cli
