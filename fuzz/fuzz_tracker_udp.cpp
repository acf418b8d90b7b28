// libFuzzer target: BEP 15 UDP tracker replies (core/tracker/udp_protocol). The first input
// byte is not part of the packet: it picks the address family and how many hashes the scrape
// asked for. The transaction id is the packet's own, so the parsers get past that check and
// into the body. Checked: sizes, counts and peers stay within bounds and match the packet.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/tracker/udp_protocol.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

constexpr std::size_t kMaxPeers = 40;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace udp = btd::tracker::udp;
  if (size == 0) return 0;
  const auto config = data[0];
  const std::string_view packet = btd::fuzz::as_view(data + 1, size - 1);
  const auto family = (config & 1) ? btd::tracker::AddressFamily::ipv6 : btd::tracker::AddressFamily::ipv4;
  const std::size_t hashes = (config >> 1) % 80;  // a few past kMaxScrapeHashes

  const auto header = udp::peek_reply_header(packet);
  FUZZ_CHECK(header.has_value() == (packet.size() >= 8));
  // The wrong transaction id is refused by every parser.
  const std::uint32_t tid = header ? header->transaction_id : 0;
  if (header) {
    FUZZ_CHECK(!udp::parse_connect_response(packet, tid + 1));
    FUZZ_CHECK(!udp::parse_error(packet, tid ^ 0x80000000u));
  }

  if (auto c = udp::parse_connect_response(packet, tid)) {
    FUZZ_CHECK(packet.size() >= udp::kConnectResponseSize);
    FUZZ_CHECK(header && header->action == 0);
  }

  btd::tracker::ResponseLimits limits;
  limits.max_peers = kMaxPeers;
  if (auto a = udp::parse_announce_response(packet, tid, family, limits)) {
    FUZZ_CHECK(header && header->action == 1);
    const std::size_t entry = family == btd::tracker::AddressFamily::ipv4 ? 6 : 18;
    FUZZ_CHECK(packet.size() >= udp::kAnnounceResponseMinSize);
    FUZZ_CHECK((packet.size() - udp::kAnnounceResponseMinSize) % entry == 0);
    FUZZ_CHECK(a->peers.size() <= kMaxPeers);
    FUZZ_CHECK(a->peers.size() <= (packet.size() - udp::kAnnounceResponseMinSize) / entry);
    FUZZ_CHECK(a->interval_s >= limits.min_interval_floor_s && a->interval_s <= limits.max_interval_s);
    FUZZ_CHECK(a->min_interval_s == limits.min_interval_floor_s);
    FUZZ_CHECK(a->complete && *a->complete >= 0 && a->incomplete && *a->incomplete >= 0);
    for (const auto& peer : a->peers) {
      FUZZ_CHECK(peer.port != 0);
      FUZZ_CHECK(btd::tracker::normalize_ip_literal(peer.ip) == peer.ip);
      FUZZ_CHECK((peer.ip.find(':') != std::string::npos) == (family == btd::tracker::AddressFamily::ipv6));
    }
  }

  std::vector<btd::InfoHash> requested(hashes);
  for (std::size_t i = 0; i < hashes; ++i) requested[i].bytes[0] = static_cast<std::uint8_t>(i);
  if (auto s = udp::parse_scrape_response(packet, tid, requested)) {
    FUZZ_CHECK(header && header->action == 2);
    const std::size_t n = std::min(hashes, udp::kMaxScrapeHashes);
    FUZZ_CHECK(s->size() == n);
    FUZZ_CHECK(packet.size() >= 8 + n * udp::kScrapeResponseEntrySize);
    for (std::size_t i = 0; i < n; ++i) {
      FUZZ_CHECK((*s)[i].info_hash == requested[i]);
      FUZZ_CHECK((*s)[i].complete >= 0 && (*s)[i].downloaded >= 0 && (*s)[i].incomplete >= 0);
    }
  }

  if (auto e = udp::parse_error(packet, tid)) {
    FUZZ_CHECK(header && header->action == 3);
    FUZZ_CHECK(e->size() <= 200);
    for (char c : *e) FUZZ_CHECK(c >= 0x20 && c < 0x7f);
  }
  return 0;
}
