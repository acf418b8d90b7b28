#pragma once
// A DHT node's UDP address. BEP 5's compact forms are IPv4: 6 bytes of "compact peer info"
// (address, port) and 26 bytes of "compact node info" (id, address, port).
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dht/node_id.hpp"
#include "core/tracker/peer_endpoint.hpp"

namespace btd::dht {

struct NodeAddress {
  Ipv4 ip{};
  std::uint16_t port = 0;
  auto operator<=>(const NodeAddress&) const = default;
};

struct NodeInfo {
  NodeId id;
  NodeAddress address;
  bool operator==(const NodeInfo&) const = default;
};

inline constexpr std::size_t kCompactPeerSize = 6;
inline constexpr std::size_t kCompactNodeSize = 26;

std::string to_string(const NodeAddress& a);  // "1.2.3.4:6881"
// IPv4 literals only (the DHT here is BEP 5's IPv4 one).
std::optional<NodeAddress> to_node_address(const tracker::PeerEndpoint& e);
tracker::PeerEndpoint to_peer_endpoint(const NodeAddress& a);

void append_compact(std::string& out, const NodeAddress& a);
void append_compact(std::string& out, const NodeInfo& n);
// Exactly 6 bytes.
std::optional<NodeAddress> parse_compact_peer(std::string_view bytes);

}  // namespace btd::dht
