#pragma once
// What we tell a tracker in an announce (BEP 3), and the HTTP forms of it: the announce URL with
// its query string, and the scrape URL derived from it (BEP 48).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/util/sha1.hpp"

namespace btd::tracker {

// Numeric values are the UDP encoding of BEP 15.
enum class Event : std::uint8_t { none = 0, completed = 1, started = 2, stopped = 3 };

// "started", "completed", "stopped"; "" for none (HTTP omits the parameter then).
std::string_view to_string(Event event) noexcept;

struct AnnounceRequest {
  InfoHash info_hash;
  std::string peer_id;  // exactly 20 bytes
  std::uint16_t port = 0;
  std::int64_t uploaded = 0;
  std::int64_t downloaded = 0;
  std::int64_t left = 0;
  Event event = Event::none;
  std::int32_t numwant = -1;  // negative: the tracker's default (HTTP omits it, UDP sends -1)
  std::uint32_t key = 0;
  std::optional<std::string> tracker_id;  // echoed back from the tracker's last reply
  bool compact = true;
  bool no_peer_id = true;
};

// RFC 3986 percent-encoding of arbitrary bytes: unreserved characters (A-Z a-z 0-9 - . _ ~)
// stay as they are, every other byte becomes %XX with upper-case hex.
std::string percent_encode(std::string_view bytes);

// `announce_url` with the announce parameters appended: after '?' or, when the URL already has a
// query (a passkey, say), after '&'. A fragment, if any, stays at the end.
std::string build_announce_url(std::string_view announce_url, const AnnounceRequest& request);

// BEP 48 / the tracker scrape convention: an http(s) announce URL whose last path component
// begins with "announce" gets that word replaced by "scrape" (".../announce.php?k=v" ->
// ".../scrape.php?k=v"). nullopt when the URL does not follow the convention: such a tracker
// cannot be scraped.
std::optional<std::string> scrape_url_from_announce(std::string_view announce_url);

// The scrape URL with one info_hash parameter per torrent.
std::string build_scrape_url(std::string_view scrape_url, std::span<const InfoHash> info_hashes);

}  // namespace btd::tracker
