// libFuzzer target: the body of an HTTP tracker's announce and scrape replies
// (core/tracker/http_response). Whatever a tracker sends, what we keep must be within the
// limits we set: intervals clamped, no more peers than asked, no port 0, addresses in canonical
// literal form, counts not negative, scrape entries bounded and keyed by 20-byte hashes.
#include <cstddef>
#include <cstdint>

#include "core/tracker/http_response.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

constexpr std::size_t kMaxPeers = 50;
constexpr std::size_t kMaxFiles = 8;

void check_intervals(const btd::tracker::AnnounceResponse& r, const btd::tracker::ResponseLimits& limits) {
  FUZZ_CHECK(r.interval_s >= limits.min_interval_floor_s && r.interval_s <= limits.max_interval_s);
  FUZZ_CHECK(r.min_interval_s >= limits.min_interval_floor_s && r.min_interval_s <= r.interval_s);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = btd::fuzz::as_view(data, size);
  btd::tracker::ResponseLimits limits;
  limits.max_peers = kMaxPeers;

  if (auto r = btd::tracker::parse_http_announce_response(body, limits)) {
    check_intervals(*r, limits);
    if (r->failure_reason) {
      FUZZ_CHECK(r->peers.empty());
    }
    FUZZ_CHECK(r->peers.size() <= kMaxPeers);
    for (const auto& peer : r->peers) {
      FUZZ_CHECK(peer.port != 0);
      FUZZ_CHECK(btd::tracker::normalize_ip_literal(peer.ip) == peer.ip);
      FUZZ_CHECK(btd::tracker::parse_endpoint(btd::tracker::to_string(peer)) == peer);
    }
    if (r->complete) FUZZ_CHECK(*r->complete >= 0);
    if (r->incomplete) FUZZ_CHECK(*r->incomplete >= 0);
  } else {
    FUZZ_CHECK(!r.error().message.empty());
  }

  if (auto s = btd::tracker::parse_http_scrape_response(body, kMaxFiles)) {
    FUZZ_CHECK(s->files.size() <= kMaxFiles);
    if (s->failure_reason) FUZZ_CHECK(s->files.empty());
    for (const auto& f : s->files) {
      FUZZ_CHECK(f.complete >= 0 && f.downloaded >= 0 && f.incomplete >= 0);
      FUZZ_CHECK(body.find(f.info_hash.view()) != std::string_view::npos);
    }
  } else {
    FUZZ_CHECK(!s.error().message.empty());
  }
  return 0;
}
