#pragma once
// Swarm counts for one torrent from a scrape (BEP 48 over HTTP, action 2 of BEP 15 over UDP).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/util/sha1.hpp"

namespace btd::tracker {

struct ScrapeEntry {
  InfoHash info_hash;
  std::int64_t complete = 0;    // seeders
  std::int64_t downloaded = 0;  // completed downloads ever reported
  std::int64_t incomplete = 0;  // leechers
};

struct ScrapeResponse {
  std::optional<std::string> failure_reason;
  std::vector<ScrapeEntry> files;
};

}  // namespace btd::tracker
