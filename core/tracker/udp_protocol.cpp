#include "core/tracker/udp_protocol.hpp"

#include <algorithm>

#include "core/tracker/compact_peers.hpp"

namespace btd::tracker::udp {
namespace {

void put_u16(std::string& out, std::uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

void put_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

std::uint32_t get_u32(std::string_view s, std::size_t at) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(s[at + i]);
  return v;
}

std::uint64_t get_u64(std::string_view s, std::size_t at) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<std::uint8_t>(s[at + i]);
  return v;
}

std::string_view action_name(std::uint32_t action) {
  switch (action) {
    case 0: return "connect";
    case 1: return "announce";
    case 2: return "scrape";
    case 3: return "error";
  }
  return "unknown";
}

Error udp_error(std::string message) {
  return Error(Errc::protocol_error, "UDP tracker " + std::move(message));
}

// The checks every reply shares. An error packet for our transaction becomes the tracker's
// message; anything else that is not `expected` names what arrived instead.
Result<void> check_reply(std::string_view packet, std::uint32_t transaction_id, Action expected,
                         std::size_t min_size) {
  const std::string what = std::string(action_name(static_cast<std::uint32_t>(expected))) + " reply";
  auto header = peek_reply_header(packet);
  if (!header) {
    return udp_error(what + ": packet of " + std::to_string(packet.size()) +
                     " bytes is too short for a header (8 bytes)");
  }
  if (header->transaction_id != transaction_id) {
    return udp_error(what + ": transaction id " + std::to_string(header->transaction_id) +
                     " does not match the request's " + std::to_string(transaction_id));
  }
  if (header->action == static_cast<std::uint32_t>(Action::error)) {
    auto message = parse_error(packet, transaction_id);
    return udp_error("error: " + (message ? *message : std::string("(no message)")));
  }
  if (header->action != static_cast<std::uint32_t>(expected)) {
    return udp_error(what + ": action " + std::to_string(header->action) + " (" +
                     std::string(action_name(header->action)) + "), expected " +
                     std::to_string(static_cast<std::uint32_t>(expected)));
  }
  if (packet.size() < min_size) {
    return udp_error(what + ": packet of " + std::to_string(packet.size()) +
                     " bytes is shorter than the minimum " + std::to_string(min_size));
  }
  return {};
}

// Counts on the wire are unsigned 32-bit; the protocol calls them int32, and nobody has 2^31 peers.
std::int64_t count(std::string_view s, std::size_t at) { return get_u32(s, at); }

}  // namespace

std::optional<ReplyHeader> peek_reply_header(std::string_view packet) noexcept {
  if (packet.size() < 8) return std::nullopt;
  return ReplyHeader{get_u32(packet, 0), get_u32(packet, 4)};
}

std::string encode_connect(std::uint32_t transaction_id) {
  std::string out;
  out.reserve(kConnectRequestSize);
  put_u64(out, kProtocolId);
  put_u32(out, static_cast<std::uint32_t>(Action::connect));
  put_u32(out, transaction_id);
  return out;
}

Result<std::uint64_t> parse_connect_response(std::string_view packet,
                                             std::uint32_t transaction_id) {
  auto ok = check_reply(packet, transaction_id, Action::connect, kConnectResponseSize);
  if (!ok) return ok.error();
  return get_u64(packet, 8);
}

std::string encode_announce(std::uint64_t connection_id, std::uint32_t transaction_id,
                            const AnnounceRequest& request) {
  std::string out;
  out.reserve(kAnnounceRequestSize);
  put_u64(out, connection_id);
  put_u32(out, static_cast<std::uint32_t>(Action::announce));
  put_u32(out, transaction_id);
  out += request.info_hash.view();
  // The field is exactly 20 bytes whatever the caller passed.
  std::string peer_id = request.peer_id.substr(0, 20);
  peer_id.resize(20, '\0');
  out += peer_id;
  put_u64(out, static_cast<std::uint64_t>(request.downloaded));
  put_u64(out, static_cast<std::uint64_t>(request.left));
  put_u64(out, static_cast<std::uint64_t>(request.uploaded));
  put_u32(out, static_cast<std::uint32_t>(request.event));
  put_u32(out, 0);  // IP address: 0 = the packet's source
  put_u32(out, request.key);
  put_u32(out, static_cast<std::uint32_t>(request.numwant));
  put_u16(out, request.port);
  return out;
}

Result<AnnounceResponse> parse_announce_response(std::string_view packet,
                                                 std::uint32_t transaction_id,
                                                 AddressFamily family,
                                                 const ResponseLimits& limits) {
  auto ok = check_reply(packet, transaction_id, Action::announce, kAnnounceResponseMinSize);
  if (!ok) return ok.error();
  AnnounceResponse response;
  clamp_intervals(response, count(packet, 8), std::nullopt, limits);
  response.incomplete = count(packet, 12);
  response.complete = count(packet, 16);
  auto peers = append_compact_peers(packet.substr(kAnnounceResponseMinSize), family,
                                    limits.max_peers, "UDP tracker announce reply",
                                    response.peers);
  if (!peers) return peers.error();
  return response;
}

std::string encode_scrape(std::uint64_t connection_id, std::uint32_t transaction_id,
                          std::span<const InfoHash> info_hashes) {
  const std::size_t n = std::min(info_hashes.size(), kMaxScrapeHashes);
  std::string out;
  out.reserve(16 + n * InfoHash::kSize);
  put_u64(out, connection_id);
  put_u32(out, static_cast<std::uint32_t>(Action::scrape));
  put_u32(out, transaction_id);
  for (std::size_t i = 0; i < n; ++i) out += info_hashes[i].view();
  return out;
}

Result<std::vector<ScrapeEntry>> parse_scrape_response(std::string_view packet,
                                                       std::uint32_t transaction_id,
                                                       std::span<const InfoHash> requested) {
  const std::size_t n = std::min(requested.size(), kMaxScrapeHashes);
  auto ok = check_reply(packet, transaction_id, Action::scrape, 8 + n * kScrapeResponseEntrySize);
  if (!ok) return ok.error();
  std::vector<ScrapeEntry> entries;
  entries.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t at = 8 + i * kScrapeResponseEntrySize;
    ScrapeEntry entry;
    entry.info_hash = requested[i];
    entry.complete = count(packet, at);
    entry.downloaded = count(packet, at + 4);
    entry.incomplete = count(packet, at + 8);
    entries.push_back(entry);
  }
  return entries;
}

Result<std::string> parse_error(std::string_view packet, std::uint32_t transaction_id) {
  auto header = peek_reply_header(packet);
  if (!header) {
    return udp_error("error reply: packet of " + std::to_string(packet.size()) +
                     " bytes is too short for a header (8 bytes)");
  }
  if (header->transaction_id != transaction_id) {
    return udp_error("error reply: transaction id " + std::to_string(header->transaction_id) +
                     " does not match the request's " + std::to_string(transaction_id));
  }
  if (header->action != static_cast<std::uint32_t>(Action::error)) {
    return udp_error("error reply: action " + std::to_string(header->action) +
                     ", expected 3 (error)");
  }
  // The text is the tracker's; keep it printable and short enough for a status line.
  std::string message;
  for (char c : packet.substr(8, 200)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == 0) break;  // some trackers NUL-terminate
    message.push_back(byte >= 0x20 && byte < 0x7f ? c : '?');
  }
  return message;
}

}  // namespace btd::tracker::udp
