#pragma once
// Local service discovery (BEP 14): the BT-SEARCH announce a client multicasts on its LAN, an
// HTTP-like request with a Host, a Port, one or more Infohash lines and an optional cookie:
//   BT-SEARCH * HTTP/1.1\r\n
//   Host: 239.192.152.143:6771\r\n
//   Port: 6881\r\n
//   Infohash: <40 hex digits>\r\n
//   cookie: <token>\r\n
//   \r\n\r\n
// Datagrams come from anyone on the segment, so parsing is bounded and strict.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "core/util/sha1.hpp"

namespace btd::lsd {

inline constexpr std::string_view kMulticastIpv4 = "239.192.152.143";
inline constexpr std::string_view kMulticastIpv6 = "ff15::efc0:988f";
inline constexpr std::uint16_t kPort = 6771;
// Info-hashes in one announce we send (libtorrent sends one, BEP 14 allows several); with more
// torrents the rest go in later messages.
inline constexpr std::size_t kMaxInfoHashesSent = 4;
// Received announces: bigger datagrams and more Infohash lines than this are not real ones.
inline constexpr std::size_t kMaxDatagram = 1400;
inline constexpr std::size_t kMaxInfoHashesReceived = 16;
inline constexpr std::size_t kMaxCookieLength = 64;

struct Announce {
  std::uint16_t port = 0;            // the sender's BitTorrent listen port
  std::vector<InfoHash> info_hashes;  // at least one
  std::string cookie;                 // empty when none was sent
};

// `host` is "239.192.152.143:6771" or "[ff15::efc0:988f]:6771"; `cookie` may be empty (no line).
std::string encode_announce(std::string_view host, std::uint16_t port, const std::vector<InfoHash>& info_hashes,
                            std::string_view cookie);

// Errors (Errc::protocol_error) name the fault: a datagram over kMaxDatagram bytes, a first line
// that is not "BT-SEARCH * HTTP/1.1", a header line without a colon, a Port that is missing or
// not 1-65535, no Infohash line, an Infohash that is not 40 hex digits, a cookie over
// kMaxCookieLength. Header names are case-insensitive; unknown headers are ignored; Infohash
// lines past kMaxInfoHashesReceived are ignored; repeated hashes are kept once.
Result<Announce> parse_announce(std::string_view datagram);

}  // namespace btd::lsd
