#pragma once
// Rates as people write them: "1048576", "512K", "10M", "1.5G" (bytes per second; K, M and G
// are powers of 1024, case-insensitive, an optional trailing "B" or "iB" allowed). Shared by
// the config file and btctl so both accept the same spellings.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace btd {

// nullopt for anything else: signs, spaces, empty, unknown units, values above `max`.
std::optional<std::uint64_t> parse_byte_rate(std::string_view text, std::uint64_t max);

// "10 MiB/s", "512 KiB/s", "100 B/s"; 0 is "unlimited".
std::string format_byte_rate(std::uint64_t bytes_per_second);

}  // namespace btd
