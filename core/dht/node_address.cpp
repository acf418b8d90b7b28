#include "core/dht/node_address.hpp"

#include <algorithm>

#include "core/wire/big_endian.hpp"

namespace btd::dht {

std::string to_string(const NodeAddress& a) { return tracker::to_string(to_peer_endpoint(a)); }

std::optional<NodeAddress> to_node_address(const tracker::PeerEndpoint& e) {
  auto bytes = tracker::ip_to_bytes(e.ip);
  if (!bytes || bytes->size() != 4) return std::nullopt;
  NodeAddress a;
  std::copy(bytes->begin(), bytes->end(), reinterpret_cast<char*>(a.ip.data()));
  a.port = e.port;
  return a;
}

tracker::PeerEndpoint to_peer_endpoint(const NodeAddress& a) { return {tracker::format_ipv4(a.ip), a.port}; }

void append_compact(std::string& out, const NodeAddress& a) {
  out.append(reinterpret_cast<const char*>(a.ip.data()), a.ip.size());
  wire::append_u16(out, a.port);
}

void append_compact(std::string& out, const NodeInfo& n) {
  out.append(n.id.view());
  append_compact(out, n.address);
}

std::optional<NodeAddress> parse_compact_peer(std::string_view bytes) {
  if (bytes.size() != kCompactPeerSize) return std::nullopt;
  NodeAddress a;
  std::copy(bytes.begin(), bytes.begin() + 4, reinterpret_cast<char*>(a.ip.data()));
  a.port = wire::read_u16(bytes, 4);
  return a;
}

}  // namespace btd::dht
