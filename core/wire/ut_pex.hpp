#pragma once
// ut_pex, peer exchange (BEP 11): the payload of an extended message (BEP 10) sent under the id
// the receiver chose for "ut_pex". One bencoded dict of compact peer lists, as libtorrent
// defines it and every client follows:
//   added / added6     connected peers since the last message (6 / 18 bytes each)
//   added.f / added6.f one flag byte per added peer (kPexFlag* below)
//   dropped / dropped6 peers that went away
//
// Everything here is hostile input: list lengths must be whole entries, flags one byte per
// peer, and no more than `max_entries` peers of each list are looked at.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/tracker/peer_endpoint.hpp"
#include "core/util/result.hpp"

namespace btd::wire {

inline constexpr std::string_view kUtPexName = "ut_pex";
// The id btd asks peers to send ut_pex messages with (libtorrent uses the same).
inline constexpr std::uint8_t kOurUtPexId = 1;

// added.f bits (libtorrent's meanings).
inline constexpr std::uint8_t kPexFlagEncryption = 0x01;  // prefers encrypted connections
inline constexpr std::uint8_t kPexFlagSeed = 0x02;        // a seed, or upload only
inline constexpr std::uint8_t kPexFlagUtp = 0x04;         // speaks uTP
inline constexpr std::uint8_t kPexFlagHolepunch = 0x08;   // accepts ut_holepunch
inline constexpr std::uint8_t kPexFlagReachable = 0x10;   // the sender connected to it (so it listens there)

struct PexPeer {
  tracker::PeerEndpoint endpoint;
  std::uint8_t flags = 0;
  bool operator==(const PexPeer&) const = default;
};

struct PexMessage {
  std::vector<PexPeer> added;                   // IPv4 and IPv6 together
  std::vector<tracker::PeerEndpoint> dropped;   // IPv4 and IPv6 together
  bool operator==(const PexMessage&) const = default;
};

struct PexLimits {
  // A message from a real client has at most a few hundred peers (libtorrent sends up to 100
  // added and 100 dropped); entries past this are not decoded.
  std::size_t max_entries = 200;
  // 200 IPv6 peers with flags in each list is under 8 KiB; larger payloads are not PEX.
  std::size_t max_payload = 16 * 1024;
};

// The payload for send_extended (without the extended id byte), all six keys present (empty
// ones too, as libtorrent sends them). Peers whose ip is not an IP literal are left out.
std::string encode_ut_pex(const PexMessage& message);

// Decodes one payload. Errors (Errc::protocol_error), each a reason to drop the peer: an
// oversized payload, malformed bencoding, a root that is not a dict, a list key that is not a
// string or not whole entries, a flags key that is not a string. Flags of the wrong length are
// ignored (every flag read as 0), as libtorrent does. Port-0 peers are skipped; unknown keys are
// ignored. At most limits.max_entries peers of each of the four lists are returned.
Result<PexMessage> parse_ut_pex(std::string_view payload, const PexLimits& limits = {});

}  // namespace btd::wire
