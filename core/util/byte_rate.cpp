#include "core/util/byte_rate.hpp"

#include <cstdio>

namespace btd {

std::optional<std::uint64_t> parse_byte_rate(std::string_view text, std::uint64_t max) {
  std::size_t i = 0;
  std::uint64_t whole = 0;
  const std::size_t digits_start = i;
  // Digits are bounded so `whole` cannot overflow before the `max` check.
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (i - digits_start >= 18) return std::nullopt;
    whole = whole * 10 + static_cast<std::uint64_t>(text[i] - '0');
    ++i;
  }
  if (i == digits_start) return std::nullopt;
  std::uint64_t frac = 0, frac_scale = 1;
  if (i < text.size() && text[i] == '.') {
    ++i;
    const std::size_t frac_start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (i - frac_start < 6) {
        frac = frac * 10 + static_cast<std::uint64_t>(text[i] - '0');
        frac_scale *= 10;
      }
      ++i;
    }
    if (i == frac_start) return std::nullopt;
  }
  std::uint64_t unit = 1;
  if (i < text.size()) {
    switch (text[i]) {
      case 'k': case 'K': unit = std::uint64_t{1} << 10; ++i; break;
      case 'm': case 'M': unit = std::uint64_t{1} << 20; ++i; break;
      case 'g': case 'G': unit = std::uint64_t{1} << 30; ++i; break;
      default: break;
    }
  }
  std::string_view rest = text.substr(i);
  if (!(rest.empty() || rest == "B" || rest == "b" || (unit > 1 && (rest == "iB" || rest == "ib"))))
    return std::nullopt;
  if (whole > max / unit) return std::nullopt;
  const std::uint64_t value = whole * unit + frac * unit / frac_scale;
  if (value > max) return std::nullopt;
  return value;
}

std::string format_byte_rate(std::uint64_t bytes_per_second) {
  if (bytes_per_second == 0) return "unlimited";
  const char* units[] = {"B/s", "KiB/s", "MiB/s", "GiB/s", "TiB/s"};
  double v = static_cast<double>(bytes_per_second);
  std::size_t u = 0;
  while (v >= 1024 && u + 1 < std::size(units)) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0 || v >= 100 || v == static_cast<double>(static_cast<std::uint64_t>(v)))
    std::snprintf(buf, sizeof buf, "%.0f %s", v, units[u]);
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

}  // namespace btd
