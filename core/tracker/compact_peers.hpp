#pragma once
// The compact peer list of BEP 23 (IPv4: 4 address bytes + 2 port bytes) and BEP 7 (IPv6:
// 16 + 2), shared by HTTP replies ("peers", "peers6") and UDP announce replies.
#include <cstddef>
#include <string_view>
#include <vector>

#include "core/tracker/peer_endpoint.hpp"
#include "core/util/result.hpp"

namespace btd::tracker {

constexpr std::size_t compact_peer_size(AddressFamily family) noexcept {
  return family == AddressFamily::ipv4 ? 6 : 18;
}

// Appends the peers in `bytes` to `out` until `out` holds `max_peers`; the rest are ignored, so a
// tracker cannot make us allocate more than the caller allows. Port-0 entries are dropped (nobody
// can connect to them). A length that is not a multiple of the entry size is a protocol error,
// named with `field` ("peers", "peers6", "UDP announce reply").
Result<void> append_compact_peers(std::string_view bytes, AddressFamily family,
                                  std::size_t max_peers, std::string_view field,
                                  std::vector<PeerEndpoint>& out);

}  // namespace btd::tracker
