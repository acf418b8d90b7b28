#pragma once
// The UDP tracker protocol of BEP 15: packet encoders and parsers, nothing else. Timing,
// retransmission and connection-id reuse live in UdpAnnounce (udp_transaction.hpp).
//
// Every parser checks the packet's size, action and transaction id, and turns an error packet
// (action 3) for our transaction into an error carrying the tracker's message; all failures are
// Errc::protocol_error. Packets may be longer than the minimum: BEP 15 reserves that for
// extensions, so extra bytes are not an error (except in peer lists, where they must be whole
// entries).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/tracker/announce_request.hpp"
#include "core/tracker/announce_response.hpp"
#include "core/tracker/peer_endpoint.hpp"
#include "core/tracker/scrape_response.hpp"
#include "core/util/result.hpp"

namespace btd::tracker::udp {

inline constexpr std::uint64_t kProtocolId = 0x41727101980;
inline constexpr std::size_t kConnectRequestSize = 16;
inline constexpr std::size_t kConnectResponseSize = 16;
inline constexpr std::size_t kAnnounceRequestSize = 98;
inline constexpr std::size_t kAnnounceResponseMinSize = 20;
inline constexpr std::size_t kScrapeResponseEntrySize = 12;
inline constexpr std::size_t kErrorMinSize = 8;
// 8 + 4 + 4 + 74 * 20 = 1496 bytes: the largest scrape that fits a typical 1500-byte MTU.
inline constexpr std::size_t kMaxScrapeHashes = 74;

enum class Action : std::uint32_t { connect = 0, announce = 1, scrape = 2, error = 3 };

// The first 8 bytes of every reply: enough to route it to the transaction that is waiting for it.
struct ReplyHeader {
  std::uint32_t action = 0;
  std::uint32_t transaction_id = 0;
};
std::optional<ReplyHeader> peek_reply_header(std::string_view packet) noexcept;

std::string encode_connect(std::uint32_t transaction_id);
Result<std::uint64_t> parse_connect_response(std::string_view packet,
                                             std::uint32_t transaction_id);

// `request.tracker_id`, `compact` and `no_peer_id` have no UDP form and are ignored; the IP field
// is always 0 (the tracker uses the packet's source address).
std::string encode_announce(std::uint64_t connection_id, std::uint32_t transaction_id,
                            const AnnounceRequest& request);
// `family` is that of the socket the tracker was reached on: BEP 15 sends 6-byte IPv4 peers to
// IPv4 announces and 18-byte IPv6 peers to IPv6 ones. Intervals are clamped to `limits`; UDP has
// no min interval, so it takes the floor.
Result<AnnounceResponse> parse_announce_response(std::string_view packet,
                                                 std::uint32_t transaction_id,
                                                 AddressFamily family,
                                                 const ResponseLimits& limits = {});

// At most kMaxScrapeHashes; the caller splits longer lists (extra hashes are not sent).
std::string encode_scrape(std::uint64_t connection_id, std::uint32_t transaction_id,
                          std::span<const InfoHash> info_hashes);
// Entries come back in request order; `requested` pairs them with their hashes. A reply with
// fewer entries than requested is an error (the tracker must answer for every hash).
Result<std::vector<ScrapeEntry>> parse_scrape_response(std::string_view packet,
                                                       std::uint32_t transaction_id,
                                                       std::span<const InfoHash> requested);

// The message of an error packet (action 3) for `transaction_id`.
Result<std::string> parse_error(std::string_view packet, std::uint32_t transaction_id);

}  // namespace btd::tracker::udp
