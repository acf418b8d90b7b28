#pragma once
// Bootstrap nodes as users write them: "host:port", the host a DNS name or an IPv4 literal
// (router.bittorrent.com:6881, 192.0.2.7:6881). The daemon resolves names.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace btd::dht {

inline constexpr std::size_t kMaxBootstrapNodes = 64;

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const HostPort&) const = default;
};

// nullopt unless `text` is host:port with a port from 1 to 65535 and a host of letters,
// digits, '-' and '.' (at most 253 characters).
std::optional<HostPort> parse_host_port(std::string_view text);

// The defaults: the routers of BitTorrent Inc., Transmission and uTorrent.
std::vector<std::string> default_bootstrap_nodes();

}  // namespace btd::dht
