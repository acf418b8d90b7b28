#include "core/dht/bootstrap_node.hpp"

#include <algorithm>
#include <cctype>

namespace btd::dht {

std::optional<HostPort> parse_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  const std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (host.size() > 253 || port.empty() || port.size() > 5) return std::nullopt;
  const bool host_ok = std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.';
  });
  if (!host_ok || host.front() == '.' || host.front() == '-') return std::nullopt;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value < 1 || value > 65535) return std::nullopt;
  return HostPort{std::string(host), static_cast<std::uint16_t>(value)};
}

std::vector<std::string> default_bootstrap_nodes() {
  return {"router.bittorrent.com:6881", "dht.transmissionbt.com:6881", "router.utorrent.com:6881"};
}

}  // namespace btd::dht
