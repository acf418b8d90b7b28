#pragma once
// Helpers shared by the DHT unit tests.
#include <chrono>
#include <string>

#include "core/dht/node_address.hpp"
#include "core/util/hex.hpp"

namespace btd::dht::test {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

inline TimePoint at(std::chrono::milliseconds ms) { return TimePoint{} + 24h + ms; }

inline NodeId id_hex(std::string_view hex) { return *NodeId::from_bytes(*from_hex(hex)); }

// An id whose first byte is `first` and the rest `fill`.
inline NodeId id_of(std::uint8_t first, std::uint8_t fill = 0) {
  NodeId id;
  id.bytes.fill(fill);
  id.bytes[0] = first;
  return id;
}

inline NodeAddress addr(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d, std::uint16_t port) {
  return NodeAddress{{a, b, c, d}, port};
}

}  // namespace btd::dht::test
