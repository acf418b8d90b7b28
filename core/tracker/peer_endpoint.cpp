#include "core/tracker/peer_endpoint.hpp"

#include <cstddef>

namespace btd::tracker {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Four decimal octets, no leading zeros (so "010" is not silently read as octal or decimal).
std::optional<std::array<std::uint8_t, 4>> parse_ipv4(std::string_view text) {
  std::array<std::uint8_t, 4> out{};
  std::size_t pos = 0;
  for (std::size_t octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (pos >= text.size() || text[pos] != '.') return std::nullopt;
      ++pos;
    }
    const std::size_t begin = pos;
    unsigned value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && pos - begin < 3) {
      value = value * 10 + static_cast<unsigned>(text[pos] - '0');
      ++pos;
    }
    const std::size_t digits = pos - begin;
    if (digits == 0 || value > 255 || (digits > 1 && text[begin] == '0')) return std::nullopt;
    out[octet] = static_cast<std::uint8_t>(value);
  }
  if (pos != text.size()) return std::nullopt;
  return out;
}

std::optional<std::array<std::uint8_t, 16>> parse_ipv6(std::string_view text) {
  // Groups before and after "::" are collected separately, then the gap is zero-filled.
  std::array<std::uint16_t, 8> head{}, tail{};
  std::size_t head_n = 0, tail_n = 0;
  bool compressed = false;
  std::size_t pos = 0;
  if (text.starts_with("::")) {
    compressed = true;
    pos = 2;
  }
  std::array<std::uint8_t, 16> out{};
  bool dotted_tail = false;
  std::array<std::uint8_t, 4> v4{};
  while (pos < text.size()) {
    const std::size_t begin = pos;
    unsigned value = 0;
    while (pos < text.size() && hex_digit(text[pos]) >= 0 && pos - begin < 4) {
      value = value * 16 + static_cast<unsigned>(hex_digit(text[pos]));
      ++pos;
    }
    if (pos < text.size() && text[pos] == '.') {
      // An embedded dotted quad ends the address (::ffff:1.2.3.4).
      auto parsed = parse_ipv4(text.substr(begin));
      if (!parsed) return std::nullopt;
      v4 = *parsed;
      dotted_tail = true;
      pos = text.size();
      break;
    }
    if (pos == begin) return std::nullopt;
    auto& groups = compressed ? tail : head;
    auto& n = compressed ? tail_n : head_n;
    if (head_n + tail_n >= 8) return std::nullopt;
    groups[n++] = static_cast<std::uint16_t>(value);
    if (pos == text.size()) break;
    if (text[pos] != ':') return std::nullopt;
    ++pos;
    if (pos < text.size() && text[pos] == ':') {
      if (compressed) return std::nullopt;
      compressed = true;
      ++pos;
    } else if (pos == text.size()) {
      return std::nullopt;  // a single trailing ':'
    }
  }
  const std::size_t total = head_n + tail_n + (dotted_tail ? 2 : 0);
  if (total > 8 || (!compressed && total != 8) || (compressed && total == 8)) return std::nullopt;
  std::array<std::uint16_t, 8> groups{};
  for (std::size_t i = 0; i < head_n; ++i) groups[i] = head[i];
  const std::size_t tail_start = 8 - tail_n - (dotted_tail ? 2 : 0);
  for (std::size_t i = 0; i < tail_n; ++i) groups[tail_start + i] = tail[i];
  for (std::size_t i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<std::uint8_t>(groups[i] >> 8);
    out[2 * i + 1] = static_cast<std::uint8_t>(groups[i]);
  }
  if (dotted_tail) {
    for (std::size_t i = 0; i < 4; ++i) out[12 + i] = v4[i];
  }
  return out;
}

}  // namespace

std::string format_ipv4(const std::array<std::uint8_t, 4>& address) {
  std::string out;
  for (std::size_t i = 0; i < 4; ++i) {
    if (i > 0) out.push_back('.');
    out += std::to_string(address[i]);
  }
  return out;
}

std::string format_ipv6(const std::array<std::uint8_t, 16>& address) {
  std::array<unsigned, 8> groups{};
  for (std::size_t i = 0; i < 8; ++i) groups[i] = (address[2 * i] << 8u) | address[2 * i + 1];
  std::size_t best_start = 8, best_len = 0;
  for (std::size_t i = 0; i < 8;) {
    if (groups[i] != 0) { ++i; continue; }
    std::size_t j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_len) { best_start = i; best_len = j - i; }
    i = j;
  }
  if (best_len < 2) best_start = 8;
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out.push_back(':');
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned nibble = (groups[i] >> shift) & 0xf;
      if (nibble != 0 || started || shift == 0) {
        out.push_back(digits[nibble]);
        started = true;
      }
    }
  }
  return out;
}

std::string to_string(const PeerEndpoint& peer) {
  const bool v6 = peer.ip.find(':') != std::string::npos;
  std::string out = v6 ? "[" + peer.ip + "]" : peer.ip;
  out.push_back(':');
  out += std::to_string(peer.port);
  return out;
}

std::optional<std::string> normalize_ip_literal(std::string_view text) {
  if (auto v4 = parse_ipv4(text)) return format_ipv4(*v4);
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() > 45) return std::nullopt;
  if (auto v6 = parse_ipv6(text)) return format_ipv6(*v6);
  return std::nullopt;
}

std::optional<std::string> ip_to_bytes(std::string_view ip) {
  if (auto v4 = parse_ipv4(ip)) return std::string(v4->begin(), v4->end());
  if (auto v6 = parse_ipv6(ip)) return std::string(v6->begin(), v6->end());
  return std::nullopt;
}

std::optional<PeerEndpoint> parse_endpoint(std::string_view text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= text.size()) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  // A bare IPv6 address has colons of its own: it must be bracketed to carry a port.
  if (host.find(':') != std::string_view::npos && (host.front() != '[' || host.back() != ']')) return std::nullopt;
  unsigned port = 0;
  for (char c : port_text) {
    if (c < '0' || c > '9' || port > 65535) return std::nullopt;
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port == 0 || port > 65535) return std::nullopt;
  auto ip = normalize_ip_literal(host);
  if (!ip) return std::nullopt;
  return PeerEndpoint{*ip, static_cast<std::uint16_t>(port)};
}

}  // namespace btd::tracker
