#include "core/lsd/lsd_message.hpp"

#include <algorithm>

#include "core/util/hex.hpp"

namespace btd::lsd {
namespace {

Error lsd_error(std::string message) { return Error(Errc::protocol_error, "LSD announce: " + std::move(message)); }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string encode_announce(std::string_view host, std::uint16_t port, const std::vector<InfoHash>& info_hashes,
                            std::string_view cookie) {
  std::string out = "BT-SEARCH * HTTP/1.1\r\nHost: ";
  out += host;
  out += "\r\nPort: " + std::to_string(port) + "\r\n";
  for (const InfoHash& h : info_hashes) out += "Infohash: " + h.hex() + "\r\n";
  if (!cookie.empty()) {
    out += "cookie: ";
    out += cookie;
    out += "\r\n";
  }
  out += "\r\n\r\n";
  return out;
}

Result<Announce> parse_announce(std::string_view datagram) {
  if (datagram.size() > kMaxDatagram) {
    return lsd_error(std::to_string(datagram.size()) + " bytes, more than the " + std::to_string(kMaxDatagram) +
                     " of a real announce");
  }
  std::size_t at = datagram.find('\n');
  if (at == std::string_view::npos || trim(datagram.substr(0, at)) != "BT-SEARCH * HTTP/1.1")
    return lsd_error("the first line is not \"BT-SEARCH * HTTP/1.1\"");
  Announce a;
  bool have_port = false;
  std::size_t hash_lines = 0;
  for (std::size_t begin = at + 1; begin < datagram.size();) {
    std::size_t end = datagram.find('\n', begin);
    if (end == std::string_view::npos) end = datagram.size();
    const std::string_view line = trim(datagram.substr(begin, end - begin));
    begin = end + 1;
    if (line.empty()) break;  // the blank line ends the headers
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return lsd_error("header line \"" + std::string(line.substr(0, 40)) + "\" has no colon");
    const std::string name = lower(trim(line.substr(0, colon)));
    const std::string_view value = trim(line.substr(colon + 1));
    if (name == "port") {
      unsigned port = 0;
      bool ok = !value.empty() && value.size() <= 5;
      for (char c : value) {
        if (c < '0' || c > '9') ok = false;
        else port = port * 10 + static_cast<unsigned>(c - '0');
      }
      if (!ok || port == 0 || port > 65535) return lsd_error("Port \"" + std::string(value.substr(0, 16)) + "\" is not 1-65535");
      a.port = static_cast<std::uint16_t>(port);
      have_port = true;
    } else if (name == "infohash") {
      if (++hash_lines > kMaxInfoHashesReceived) continue;
      auto raw = value.size() == 40 ? from_hex(value) : std::nullopt;
      InfoHash h;
      if (!raw || !InfoHash::from_bytes(*raw, h))
        return lsd_error("Infohash \"" + std::string(value.substr(0, 48)) + "\" is not 40 hex digits");
      if (std::find(a.info_hashes.begin(), a.info_hashes.end(), h) == a.info_hashes.end()) a.info_hashes.push_back(h);
    } else if (name == "cookie") {
      if (value.size() > kMaxCookieLength)
        return lsd_error("cookie of " + std::to_string(value.size()) + " bytes, more than " + std::to_string(kMaxCookieLength));
      a.cookie = std::string(value);
    }
  }
  if (!have_port) return lsd_error("no Port line");
  if (a.info_hashes.empty()) return lsd_error("no Infohash line");
  return a;
}

}  // namespace btd::lsd
