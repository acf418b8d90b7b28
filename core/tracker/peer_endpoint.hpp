#pragma once
// A peer address as a tracker hands it out: textual IP plus port. The daemon turns it into a
// sockaddr with uv_ip4_addr/uv_ip6_addr; core/ keeps text so nothing here needs socket headers.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace btd::tracker {

enum class AddressFamily : std::uint8_t { ipv4, ipv6 };

struct PeerEndpoint {
  std::string ip;  // IPv4 dotted quad, or IPv6 in RFC 5952 form without brackets
  std::uint16_t port = 0;

  bool operator==(const PeerEndpoint&) const = default;
};

// "1.2.3.4:6881", "[::1]:6881".
std::string to_string(const PeerEndpoint& peer);

std::string format_ipv4(const std::array<std::uint8_t, 4>& address);
// RFC 5952: lower-case hex, no leading zeros, the longest run of two or more zero groups
// (the first one on a tie) written as "::".
std::string format_ipv6(const std::array<std::uint8_t, 16>& address);

// An IPv4 or IPv6 literal (IPv6 may be bracketed and may end in a dotted quad) in the canonical
// form above; nullopt for anything else, including host names and IPv6 zone ids.
std::optional<std::string> normalize_ip_literal(std::string_view text);
// The address as raw network-order bytes (4 or 16), as BEP 10's "yourip" carries it; nullopt
// when `ip` is not an IP literal.
std::optional<std::string> ip_to_bytes(std::string_view ip);
// "1.2.3.4:6881" or "[::1]:6881" (as torrent.add_peers and magnet x.pe give them), port 1-65535.
// IP literals only: bans and duplicate checks are by address, so names are resolved by the caller.
std::optional<PeerEndpoint> parse_endpoint(std::string_view text);

}  // namespace btd::tracker
