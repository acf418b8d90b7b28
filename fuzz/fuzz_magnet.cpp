// libFuzzer target: core/magnet parse_magnet. What parses must be within bounds (no empty or
// repeated trackers, peers in canonical host:port form) and survive make_magnet: the link we
// write for it parses back to the same hash, name and trackers.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "core/magnet/magnet.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

void check_unique_non_empty(const std::vector<std::string>& list) {
  std::set<std::string> seen;
  for (const auto& s : list) {
    FUZZ_CHECK(!s.empty());
    FUZZ_CHECK(seen.insert(s).second);
  }
}

void check_peer(const std::string& peer) {
  const std::size_t colon = peer.rfind(':');
  FUZZ_CHECK(colon != std::string::npos && colon > 0);
  const std::string port = peer.substr(colon + 1);
  FUZZ_CHECK(!port.empty() && port.size() <= 5 && port.front() != '0');
  for (char c : port) FUZZ_CHECK(c >= '0' && c <= '9');
  const unsigned long value = std::stoul(port);
  FUZZ_CHECK(value >= 1 && value <= 65535);
  if (peer.front() == '[') FUZZ_CHECK(peer[colon - 1] == ']');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view uri = btd::fuzz::as_view(data, size);
  auto m = btd::parse_magnet(uri);
  if (!m) {
    FUZZ_CHECK(m.error().is(btd::Errc::invalid_magnet) || m.error().is(btd::Errc::limit_exceeded));
    return 0;
  }
  FUZZ_CHECK(uri.size() <= btd::kMaxMagnetBytes);
  check_unique_non_empty(m->trackers);
  check_unique_non_empty(m->web_seeds);
  check_unique_non_empty(m->peers);
  for (const auto& peer : m->peers) check_peer(peer);
  if (m->select_only) FUZZ_CHECK(!m->select_only->empty());

  const std::string again = btd::make_magnet(m->info_hash, m->display_name, m->trackers);
  auto back = btd::parse_magnet(again);
  if (again.size() > btd::kMaxMagnetBytes) {
    FUZZ_CHECK(!back && back.error().is(btd::Errc::limit_exceeded));
    return 0;
  }
  FUZZ_CHECK(back);
  FUZZ_CHECK(back->info_hash == m->info_hash);
  FUZZ_CHECK(back->display_name == m->display_name);
  FUZZ_CHECK(back->trackers == m->trackers);
  FUZZ_CHECK(back->peers.empty() && back->web_seeds.empty() && !back->select_only);
  return 0;
}
