#include "core/tracker/compact_peers.hpp"

#include <array>
#include <cstdint>
#include <string>

namespace btd::tracker {

Result<void> append_compact_peers(std::string_view bytes, AddressFamily family,
                                  std::size_t max_peers, std::string_view field,
                                  std::vector<PeerEndpoint>& out) {
  const std::size_t entry = compact_peer_size(family);
  if (bytes.size() % entry != 0) {
    return Error(Errc::protocol_error,
                 std::string(field) + ": compact peer list of " + std::to_string(bytes.size()) +
                     " bytes is not a multiple of " + std::to_string(entry));
  }
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
  for (std::size_t at = 0; at < bytes.size() && out.size() < max_peers; at += entry) {
    const std::size_t port_at = at + entry - 2;
    const auto port = static_cast<std::uint16_t>((byte(port_at) << 8) | byte(port_at + 1));
    if (port == 0) continue;
    PeerEndpoint peer;
    peer.port = port;
    if (family == AddressFamily::ipv4) {
      peer.ip = format_ipv4({byte(at), byte(at + 1), byte(at + 2), byte(at + 3)});
    } else {
      std::array<std::uint8_t, 16> address{};
      for (std::size_t i = 0; i < 16; ++i) address[i] = byte(at + i);
      peer.ip = format_ipv6(address);
    }
    out.push_back(std::move(peer));
  }
  return {};
}

}  // namespace btd::tracker
