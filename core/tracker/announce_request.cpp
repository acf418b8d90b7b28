#include "core/tracker/announce_request.hpp"

#include <algorithm>

namespace btd::tracker {
namespace {

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

// Splits "base?query#fragment" so parameters can be added before the fragment.
struct UrlParts {
  std::string_view before_fragment;
  std::string_view fragment;  // including '#', or empty
};

UrlParts split_fragment(std::string_view url) {
  const auto hash = url.find('#');
  if (hash == std::string_view::npos) return {url, {}};
  return {url.substr(0, hash), url.substr(hash)};
}

// Appends `query` (without a leading separator) to `url`, choosing '?' or '&'.
std::string append_query(std::string_view url, std::string_view query) {
  const UrlParts parts = split_fragment(url);
  std::string out(parts.before_fragment);
  const auto question = out.find('?');
  if (question == std::string::npos) {
    out.push_back('?');
  } else if (question + 1 != out.size() && out.back() != '&') {
    out.push_back('&');
  }
  out += query;
  out += parts.fragment;
  return out;
}

void add_param(std::string& query, std::string_view name, std::string_view value) {
  if (!query.empty()) query.push_back('&');
  query += name;
  query.push_back('=');
  query += value;
}

// Eight upper-case hex digits, as libtorrent sends it: the same key always looks the same.
std::string key_hex(std::uint32_t key) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i, key >>= 4) out[static_cast<std::size_t>(i)] = digits[key & 0xf];
  return out;
}

}  // namespace

std::string_view to_string(Event event) noexcept {
  switch (event) {
    case Event::none: return "";
    case Event::completed: return "completed";
    case Event::started: return "started";
    case Event::stopped: return "stopped";
  }
  return "";
}

std::string percent_encode(std::string_view bytes) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * 3);
  for (unsigned char c : bytes) {
    if (is_unreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0xf]);
    }
  }
  return out;
}

std::string build_announce_url(std::string_view announce_url, const AnnounceRequest& request) {
  std::string query;
  add_param(query, "info_hash", percent_encode(request.info_hash.view()));
  add_param(query, "peer_id", percent_encode(request.peer_id));
  add_param(query, "port", std::to_string(request.port));
  add_param(query, "uploaded", std::to_string(request.uploaded));
  add_param(query, "downloaded", std::to_string(request.downloaded));
  add_param(query, "left", std::to_string(request.left));
  if (request.compact) add_param(query, "compact", "1");
  if (request.no_peer_id) add_param(query, "no_peer_id", "1");
  if (request.event != Event::none) add_param(query, "event", to_string(request.event));
  if (request.numwant >= 0) add_param(query, "numwant", std::to_string(request.numwant));
  add_param(query, "key", key_hex(request.key));
  if (request.tracker_id) add_param(query, "trackerid", percent_encode(*request.tracker_id));
  return append_query(announce_url, query);
}

std::optional<std::string> scrape_url_from_announce(std::string_view announce_url) {
  const std::string_view url = split_fragment(announce_url).before_fragment;
  std::size_t authority = 0;
  if (url.starts_with("http://")) {
    authority = 7;
  } else if (url.starts_with("https://")) {
    authority = 8;
  } else {
    return std::nullopt;
  }
  const std::size_t query = std::min(url.find('?'), url.size());
  const std::size_t path = url.find('/', authority);
  if (path == std::string_view::npos || path > query) return std::nullopt;
  const std::size_t last_slash = url.rfind('/', query - 1);
  constexpr std::string_view kAnnounce = "announce";
  if (url.substr(last_slash + 1, query - last_slash - 1).substr(0, kAnnounce.size()) != kAnnounce) {
    return std::nullopt;
  }
  std::string out(announce_url.substr(0, last_slash + 1));
  out += "scrape";
  out += announce_url.substr(last_slash + 1 + kAnnounce.size());
  return out;
}

std::string build_scrape_url(std::string_view scrape_url, std::span<const InfoHash> info_hashes) {
  std::string query;
  for (const InfoHash& hash : info_hashes) add_param(query, "info_hash", percent_encode(hash.view()));
  return append_query(scrape_url, query);
}

}  // namespace btd::tracker
