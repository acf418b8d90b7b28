#include "core/wire/peer_id.hpp"

#include <cstring>
#include <optional>

#include "core/wire/escape.hpp"

namespace btd::wire {
namespace {

struct ClientCode {
  std::string_view code;
  std::string_view name;
};

// Codes from the Azureus-style list most trackers and clients share. Case matters: "lt" is
// rakshasa's libTorrent (rTorrent), "LT" is libtorrent-rasterbar (qBittorrent, Deluge, ...).
constexpr ClientCode kClients[] = {
    {"LT", "libtorrent"},
    {"lt", "libTorrent (rakshasa)"},
    {"TR", "Transmission"},
    {"qB", "qBittorrent"},
    {"DE", "Deluge"},
    {"UT", "\xc2\xb5Torrent"},
    {"UM", "\xc2\xb5Torrent Mac"},
    {"BT", "BitTorrent"},
    {"AZ", "Vuze"},
    {"BD", "btd"},
};

// Azureus-style version characters: '0'-'9', then 'A'-'Z' for 10-35 (libtorrent's convention,
// e.g. "-LT12J0-" is 1.2.19).
std::optional<int> version_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return std::nullopt;
}

std::optional<std::string> generic_version(std::string_view v) {
  int d[4];
  for (int i = 0; i < 4; ++i) {
    auto digit = version_digit(v[static_cast<std::size_t>(i)]);
    // The fourth character is a build or release tag in several clients (Deluge's 's'): skip it.
    if (!digit && i < 3) return std::nullopt;
    d[i] = digit.value_or(0);
  }
  std::string out = std::to_string(d[0]) + "." + std::to_string(d[1]) + "." + std::to_string(d[2]);
  if (d[3] != 0) out += "." + std::to_string(d[3]);
  return out;
}

// Transmission before 4.0 wrote "2.94" as "2940"; from 4.0 on it is major.minor.patch, with a
// trailing 'Z' or 'X' marking beta and development builds.
std::optional<std::string> transmission_version(std::string_view v) {
  for (int i = 0; i < 3; ++i) {
    if (v[static_cast<std::size_t>(i)] < '0' || v[static_cast<std::size_t>(i)] > '9') return std::nullopt;
  }
  std::string out;
  if (v[0] >= '4') {
    out = std::string(1, v[0]) + "." + v[1] + "." + v[2];
  } else {
    out = std::string(1, v[0]) + "." + v[1] + v[2];
  }
  if (v[3] == 'Z') out += " beta";
  if (v[3] == 'X') out += " dev";
  return out;
}

// aria2: "A2-" major "-" minor "-" patch "-", each a run of decimal digits.
std::optional<std::string> aria2_name(std::string_view id) {
  if (id.substr(0, 3) != "A2-") return std::nullopt;
  std::string version;
  std::size_t pos = 3;
  for (int part = 0; part < 3; ++part) {
    const std::size_t start = pos;
    while (pos < id.size() && id[pos] >= '0' && id[pos] <= '9' && pos - start < 3) ++pos;
    if (pos == start || pos >= id.size() || id[pos] != '-') return std::nullopt;
    if (part > 0) version += '.';
    version.append(id.substr(start, pos - start));
    ++pos;
  }
  return "aria2 " + version;
}

}  // namespace

bool PeerId::from_bytes(std::string_view raw, PeerId& out) noexcept {
  out.bytes.fill(0);
  if (raw.size() != kSize) return false;
  std::memcpy(out.bytes.data(), raw.data(), kSize);
  return true;
}

PeerId make_peer_id(const std::array<std::uint8_t, kPeerIdRandomChars>& random) {
  static constexpr std::string_view kAlphabet =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  PeerId id;
  std::memcpy(id.bytes.data(), kPeerIdPrefix.data(), kPeerIdPrefix.size());
  for (std::size_t i = 0; i < random.size(); ++i) {
    // The modulo bias is irrelevant: the id only has to differ from other peers' ids.
    id.bytes[kPeerIdPrefix.size() + i] = static_cast<std::uint8_t>(kAlphabet[random[i] % kAlphabet.size()]);
  }
  return id;
}

std::string client_name_from_peer_id(std::string_view id) {
  if (auto aria2 = aria2_name(id)) return *aria2;
  const bool azureus = id.size() >= 8 && id[0] == '-' && id[7] == '-';
  if (!azureus) return escape_bytes(id);
  const std::string_view code = id.substr(1, 2);
  const std::string_view version = id.substr(3, 4);
  for (const ClientCode& c : kClients) {
    if (c.code != code) continue;
    auto v = c.code == "TR" ? transmission_version(version) : generic_version(version);
    if (!v) break;
    return std::string(c.name) + " " + *v;
  }
  return escape_bytes(id.substr(0, 8));
}

}  // namespace btd::wire
