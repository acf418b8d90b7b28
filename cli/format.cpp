#include "cli/format.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <limits>

namespace btd::cli {

std::string format_size(std::int64_t bytes) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1024.0 && unit < 6) {
    v /= 1024.0;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f %s", v, units[unit]);
  return buf;
}

std::string format_rate(double bytes_per_second) {
  if (bytes_per_second < 1) return "0 B/s";
  return format_size(static_cast<std::int64_t>(bytes_per_second)) + "/s";
}

std::string format_duration(std::optional<std::int64_t> seconds) {
  if (!seconds || *seconds < 0) return "-";
  const std::int64_t s = *seconds;
  char buf[48];
  if (s < 60) std::snprintf(buf, sizeof(buf), "%llds", static_cast<long long>(s));
  else if (s < 3600) std::snprintf(buf, sizeof(buf), "%lldm %02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  else if (s < 86400) std::snprintf(buf, sizeof(buf), "%lldh %02lldm", static_cast<long long>(s / 3600), static_cast<long long>(s % 3600 / 60));
  else std::snprintf(buf, sizeof(buf), "%lldd %02lldh", static_cast<long long>(s / 86400), static_cast<long long>(s % 86400 / 3600));
  return buf;
}

std::string format_unix_time(std::int64_t seconds) {
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  if (gmtime_r(&t, &tm) == nullptr) return std::to_string(seconds);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::optional<std::int64_t> parse_size(const std::string& text) {
  std::size_t i = 0;
  std::int64_t v = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    const int d = text[i] - '0';
    if (v > (std::numeric_limits<std::int64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::string suffix = text.substr(i);
  for (auto& c : suffix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  int shift = 0;
  if (suffix.empty() || suffix == "B") shift = 0;
  else if (suffix == "K" || suffix == "KIB" || suffix == "KB") shift = 10;
  else if (suffix == "M" || suffix == "MIB" || suffix == "MB") shift = 20;
  else if (suffix == "G" || suffix == "GIB" || suffix == "GB") shift = 30;
  else return std::nullopt;
  if (v > (std::numeric_limits<std::int64_t>::max() >> shift)) return std::nullopt;
  return v << shift;
}

}  // namespace btd::cli
