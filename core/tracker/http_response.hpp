#pragma once
// Decoding the bencoded body of an HTTP tracker's reply to an announce (BEP 3, BEP 23 compact
// peers, BEP 7 "peers6") or a scrape (BEP 48). HTTP status and transport errors are the daemon's
// business; these see only the body.
#include <cstddef>
#include <string_view>

#include "core/tracker/announce_response.hpp"
#include "core/tracker/scrape_response.hpp"
#include "core/util/result.hpp"

namespace btd::tracker {

// A "failure reason" is a valid answer, not a parse error: the result is ok and carries the
// text. Errors (Errc::bencode_* or Errc::protocol_error) mean the body itself is unusable.
Result<AnnounceResponse> parse_http_announce_response(std::string_view body,
                                                      const ResponseLimits& limits = {});

// Entries whose key is not a 20-byte info-hash or whose value is not a dict are skipped; at most
// `max_files` entries are kept.
Result<ScrapeResponse> parse_http_scrape_response(std::string_view body,
                                                  std::size_t max_files = 1000);

}  // namespace btd::tracker
