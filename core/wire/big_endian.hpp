#pragma once
// Network byte order for the wire codecs. Reads take a view the caller has already checked to be
// long enough; nothing here bounds-checks on its own.
#include <cstdint>
#include <string>
#include <string_view>

namespace btd::wire {

inline void append_u32(std::string& out, std::uint32_t v) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(bytes, 4);
}

inline void append_u16(std::string& out, std::uint16_t v) {
  const char bytes[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(bytes, 2);
}

inline std::uint32_t read_u32(std::string_view s, std::size_t at) {
  const auto b = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

inline std::uint16_t read_u16(std::string_view s, std::size_t at) {
  const auto b = [&](std::size_t i) { return static_cast<unsigned>(static_cast<unsigned char>(s[at + i])); };
  return static_cast<std::uint16_t>((b(0) << 8) | b(1));
}

}  // namespace btd::wire
