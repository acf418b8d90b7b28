#pragma once
// Magnet links (BEP 9, BEP 53): the few fields a client needs to start a download without a
// .torrent file. A magnet URI is pasted by users and passed around by web pages, so it is hostile
// input: its size is bounded and every field we keep is validated.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"
#include "core/util/sha1.hpp"

namespace btd {

// Longer URIs are refused with Errc::limit_exceeded; real ones are a few hundred bytes, and the
// bound also bounds how many trackers and peers one link can make us keep.
inline constexpr std::size_t kMaxMagnetBytes = 64 * 1024;

struct Magnet {
  InfoHash info_hash;                      // xt=urn:btih: (40 hex chars or 32 base32 chars)
  std::string display_name;                // dn, percent-decoded, '+' read as a space
  std::vector<std::string> trackers;       // tr / tr.N, percent-decoded, in order, no duplicates
  std::vector<std::string> peers;          // x.pe as "host:port" or "[v6addr]:port"
  std::vector<std::string> web_seeds;      // ws, percent-decoded, in order, no duplicates
  std::optional<std::string> select_only;  // so (BEP 53) as given, e.g. "0,2,4-6"
};

// Errors are Errc::invalid_magnet (naming the bad field) or Errc::limit_exceeded.
Result<Magnet> parse_magnet(std::string_view uri);

// "magnet:?xt=urn:btih:<hex>&dn=<name>&tr=<url>...", every value percent-encoded so that
// parse_magnet gives back exactly what went in. dn is left out when name is empty.
std::string make_magnet(const InfoHash& info_hash, std::string_view name,
                        const std::vector<std::string>& trackers);

}  // namespace btd
