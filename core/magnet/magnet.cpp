#include "core/magnet/magnet.hpp"

#include <cstdint>
#include <unordered_set>

#include "core/util/hex.hpp"

namespace btd {
namespace {

constexpr std::string_view kScheme = "magnet:";
constexpr std::string_view kBtih = "urn:btih:";
constexpr std::string_view kBtmh = "urn:btmh:";
// Longest field value quoted back in an error message: enough to recognise it, not a 64 KiB line.
constexpr std::size_t kMaxQuoted = 80;

Error magnet_error(std::string message) {
  return Error(Errc::invalid_magnet, "magnet: " + std::move(message));
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool istarts_with(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (lower(s[i]) != lower(prefix[i])) return false;
  }
  return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_hex_digit(char c) { return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f'); }

// A value quoted in an error message: control bytes as \xNN so a hostile link cannot garble a
// terminal, and long values cut.
std::string quoted(std::string_view s) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "\"";
  const bool cut = s.size() > kMaxQuoted;
  if (cut) s = s.substr(0, kMaxQuoted);
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      out += "\\x";
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0xf]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out += cut ? "...\"" : "\"";
  return out;
}

int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  return lower(c) - 'a' + 10;
}

// '+' means a space only in dn: in URLs (tr, ws) a literal '+' is a legal character and
// rewriting it would point at a different tracker.
Result<std::string> percent_decode(std::string_view value, std::string_view field,
                                   bool plus_is_space) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '%') {
      if (i + 2 >= value.size() || !is_hex_digit(value[i + 1]) ||
          !is_hex_digit(value[i + 2])) {
        return magnet_error("bad percent-encoding in " + std::string(field) + " at " +
                            quoted(value.substr(i, 3)));
      }
      out.push_back(static_cast<char>((hex_value(value[i + 1]) << 4) | hex_value(value[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// "tr.1" and "tr.2" are "tr"; "x.pe" stays "x.pe" (only an all-digit suffix is an index).
std::string_view base_key(std::string_view key) {
  const std::size_t dot = key.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == key.size()) return key;
  for (std::size_t i = dot + 1; i < key.size(); ++i) {
    if (!is_digit(key[i])) return key;
  }
  return key.substr(0, dot);
}

Result<InfoHash> parse_btih(std::string_view xt) {
  const std::string_view text = xt.substr(kBtih.size());
  std::optional<std::string> raw;
  if (text.size() == 40) {
    raw = from_hex(text);
  } else if (text.size() == 32) {
    raw = from_base32(text);
  }
  InfoHash hash;
  if (!raw || !Sha1Digest::from_bytes(*raw, hash)) {
    return magnet_error("xt " + quoted(xt) +
                        " is not a 40-char hex or 32-char base32 info-hash");
  }
  return hash;
}

bool valid_port(std::string_view text, std::uint32_t& port) {
  if (text.empty()) return false;
  while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);
  if (text.size() > 5) return false;
  port = 0;
  for (char c : text) {
    if (!is_digit(c)) return false;
    port = port * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return port >= 1 && port <= 65535;
}

// BEP 9: "hostname:port", "ipv4-literal:port" or "[ipv6-literal]:port". Returned with the port
// in canonical decimal so that "h:080" and "h:80" are the same peer.
Result<std::string> parse_peer(std::string_view pe) {
  std::string_view host;
  std::string_view port_text;
  bool bracketed = false;
  if (!pe.empty() && pe.front() == '[') {
    const std::size_t close = pe.find(']');
    if (close == std::string_view::npos) {
      return magnet_error("x.pe " + quoted(pe) + " has an unterminated '[' around its IPv6 address");
    }
    host = pe.substr(1, close - 1);
    const std::string_view rest = pe.substr(close + 1);
    if (rest.empty() || rest.front() != ':') {
      return magnet_error("x.pe " + quoted(pe) + " has an invalid port (expected [addr]:port)");
    }
    port_text = rest.substr(1);
    bracketed = true;
  } else {
    const std::size_t colon = pe.rfind(':');
    if (colon == std::string_view::npos) {
      return magnet_error("x.pe " + quoted(pe) + " has an invalid port (expected host:port)");
    }
    host = pe.substr(0, colon);
    port_text = pe.substr(colon + 1);
  }

  bool host_ok = !host.empty() && host.size() <= 253;
  bool has_colon = false;
  for (char c : host) {
    if (bracketed) {
      host_ok = host_ok && (is_hex_digit(c) || c == ':' || c == '.');
      has_colon = has_colon || c == ':';
    } else {
      host_ok = host_ok && (is_alnum(c) || c == '-' || c == '.' || c == '_');
      has_colon = has_colon || c == ':';
    }
  }
  if (!bracketed && has_colon) {
    return magnet_error("x.pe " + quoted(pe) +
                        " has an invalid host (an IPv6 address must be written as [addr]:port)");
  }
  if (!host_ok || (bracketed && !has_colon)) {
    return magnet_error("x.pe " + quoted(pe) + " has an invalid host");
  }

  std::uint32_t port = 0;
  if (!valid_port(port_text, port)) {
    return magnet_error("x.pe " + quoted(pe) + " has an invalid port");
  }
  std::string out;
  if (bracketed) {
    out = "[" + std::string(host) + "]";
  } else {
    out = std::string(host);
  }
  out += ":" + std::to_string(port);
  return out;
}

// BEP 53: comma-separated file indexes or inclusive ranges, e.g. "0,2,4-6".
bool valid_select_only(std::string_view so) {
  if (so.empty()) return false;
  std::size_t start = 0;
  while (start <= so.size()) {
    std::size_t end = so.find(',', start);
    if (end == std::string_view::npos) end = so.size();
    const std::string_view item = so.substr(start, end - start);
    const std::size_t dash = item.find('-');
    const std::string_view first = item.substr(0, dash);
    const std::string_view last =
        dash == std::string_view::npos ? std::string_view("0") : item.substr(dash + 1);
    for (std::string_view number : {first, last}) {
      if (number.empty()) return false;
      for (char c : number) {
        if (!is_digit(c)) return false;
      }
    }
    start = end + 1;
  }
  return true;
}

void append_unique(std::vector<std::string>& list, std::unordered_set<std::string>& seen,
                   std::string value) {
  if (value.empty() || !seen.insert(value).second) return;
  list.push_back(std::move(value));
}

void append_percent_encoded(std::string& out, std::string_view s) {
  static constexpr char digits[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (is_alnum(static_cast<char>(c)) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 0xf]);
    }
  }
}

}  // namespace

Result<Magnet> parse_magnet(std::string_view uri) {
  if (uri.size() > kMaxMagnetBytes) {
    return Error(Errc::limit_exceeded, "magnet: URI is " + std::to_string(uri.size()) +
                                           " bytes, longer than the " +
                                           std::to_string(kMaxMagnetBytes) + "-byte limit");
  }
  if (!istarts_with(uri, kScheme) || uri.size() == kScheme.size() || uri[kScheme.size()] != '?') {
    return magnet_error("not a magnet URI (must start with \"magnet:?\")");
  }
  std::string_view query = uri.substr(kScheme.size() + 1);
  // A fragment is not part of the query (RFC 3986); nothing in it is meant for us.
  if (const std::size_t hash = query.find('#'); hash != std::string_view::npos) {
    query = query.substr(0, hash);
  }

  Magnet m;
  bool have_btih = false;
  bool have_dn = false;
  bool saw_btmh = false;
  std::optional<std::string> other_xt;
  std::unordered_set<std::string> seen_trackers;
  std::unordered_set<std::string> seen_peers;
  std::unordered_set<std::string> seen_web_seeds;

  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view param = query.substr(start, end - start);
    start = end + 1;
    if (param.empty()) continue;

    const std::size_t eq = param.find('=');
    const std::string_view raw_key = param.substr(0, eq);
    const std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
    const std::string_view key = base_key(raw_key);

    if (key == "xt") {
      auto xt = percent_decode(raw_value, "xt", false);
      if (!xt) return std::move(xt).error();
      if (istarts_with(*xt, kBtih)) {
        if (have_btih) continue;  // the first btih wins
        auto hash = parse_btih(*xt);
        if (!hash) return std::move(hash).error();
        m.info_hash = *hash;
        have_btih = true;
      } else if (istarts_with(*xt, kBtmh)) {
        saw_btmh = true;
      } else if (!other_xt) {
        other_xt = std::move(*xt);
      }
    } else if (key == "dn") {
      auto dn = percent_decode(raw_value, "dn", true);
      if (!dn) return std::move(dn).error();
      if (!have_dn) m.display_name = std::move(*dn);
      have_dn = true;
    } else if (key == "tr") {
      auto tr = percent_decode(raw_value, "tr", false);
      if (!tr) return std::move(tr).error();
      append_unique(m.trackers, seen_trackers, std::move(*tr));
    } else if (key == "ws") {
      auto ws = percent_decode(raw_value, "ws", false);
      if (!ws) return std::move(ws).error();
      append_unique(m.web_seeds, seen_web_seeds, std::move(*ws));
    } else if (key == "x.pe") {
      auto pe = percent_decode(raw_value, "x.pe", false);
      if (!pe) return std::move(pe).error();
      auto peer = parse_peer(*pe);
      if (!peer) return std::move(peer).error();
      append_unique(m.peers, seen_peers, std::move(*peer));
    } else if (key == "so") {
      auto so = percent_decode(raw_value, "so", false);
      if (!so) return std::move(so).error();
      if (!valid_select_only(*so)) {
        return magnet_error("so " + quoted(*so) +
                            " is not a list of file indexes and ranges (e.g. \"0,2,4-6\")");
      }
      if (!m.select_only) m.select_only = std::move(*so);
    }
    // Anything else (kt, xl, as, mt, ...) is ignored: we have no use for it.
  }

  if (!have_btih) {
    if (saw_btmh) return magnet_error("v2-only magnet (urn:btmh) is not supported");
    if (other_xt) {
      return magnet_error("xt " + quoted(*other_xt) +
                          " is not a BitTorrent info-hash (expected urn:btih:...)");
    }
    return magnet_error("xt is missing");
  }
  return m;
}

std::string make_magnet(const InfoHash& info_hash, std::string_view name,
                        const std::vector<std::string>& trackers) {
  std::string out = "magnet:?xt=urn:btih:";
  out += info_hash.hex();
  if (!name.empty()) {
    out += "&dn=";
    append_percent_encoded(out, name);
  }
  for (const std::string& tr : trackers) {
    out += "&tr=";
    append_percent_encoded(out, tr);
  }
  return out;
}

}  // namespace btd
