#pragma once
// Human-readable figures for btctl's output.
#include <cstdint>
#include <optional>
#include <string>

namespace btd::cli {

std::string format_size(std::int64_t bytes);            // "1.50 GiB", "512 B"
std::string format_rate(double bytes_per_second);        // "1.2 MiB/s"
std::string format_duration(std::optional<std::int64_t> seconds);  // "1h 02m", "-" when unknown
std::string format_unix_time(std::int64_t seconds);      // "2026-11-24 08:09:00 UTC"
// Parses "262144", "256K", "256KiB", "4M"; nullopt when malformed or overflowing.
std::optional<std::int64_t> parse_size(const std::string& text);

}  // namespace btd::cli
