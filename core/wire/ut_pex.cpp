#include "core/wire/ut_pex.hpp"

#include <array>

#include "core/bencode/decoder.hpp"
#include "core/bencode/value.hpp"

namespace btd::wire {
namespace {

Error pex_error(std::string message) { return Error(Errc::protocol_error, "peer ut_pex message: " + std::move(message)); }

// Appends one compact entry; false when `ip` is not a literal of the wanted size.
bool append_compact(std::string& out, const tracker::PeerEndpoint& ep, std::size_t address_size) {
  auto raw = tracker::ip_to_bytes(ep.ip);
  if (!raw || raw->size() != address_size) return false;
  out += *raw;
  out += static_cast<char>(ep.port >> 8);
  out += static_cast<char>(ep.port & 0xff);
  return true;
}

struct Lists {
  std::string v4, v4_flags, v6, v6_flags;
};

tracker::PeerEndpoint compact_at(std::string_view bytes, std::size_t at, std::size_t address_size) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[at + i]); };
  tracker::PeerEndpoint ep;
  ep.port = static_cast<std::uint16_t>((byte(address_size) << 8) | byte(address_size + 1));
  if (address_size == 4) {
    ep.ip = tracker::format_ipv4({byte(0), byte(1), byte(2), byte(3)});
  } else {
    std::array<std::uint8_t, 16> a{};
    for (std::size_t i = 0; i < 16; ++i) a[i] = byte(i);
    ep.ip = tracker::format_ipv6(a);
  }
  return ep;
}

// A list key: absent is an empty list; present it must be a string of whole entries.
Result<std::string_view> list_bytes(const bencode::Node& root, std::string_view key, std::size_t entry) {
  bencode::Node n = root.dict_find(key);
  if (!n) return std::string_view{};
  if (!n.is_string()) return pex_error("\"" + std::string(key) + "\" is not a string");
  const std::string_view s = n.string_value();
  if (s.size() % entry != 0) {
    return pex_error("\"" + std::string(key) + "\" holds " + std::to_string(s.size()) +
                     " bytes, not a multiple of " + std::to_string(entry));
  }
  return s;
}

Result<std::string_view> flag_bytes(const bencode::Node& root, std::string_view key) {
  bencode::Node n = root.dict_find(key);
  if (!n) return std::string_view{};
  if (!n.is_string()) return pex_error("\"" + std::string(key) + "\" is not a string");
  return n.string_value();
}

}  // namespace

std::string encode_ut_pex(const PexMessage& m) {
  Lists added, dropped;
  for (const PexPeer& p : m.added) {
    if (append_compact(added.v4, p.endpoint, 4)) added.v4_flags += static_cast<char>(p.flags);
    else if (append_compact(added.v6, p.endpoint, 16)) added.v6_flags += static_cast<char>(p.flags);
  }
  for (const tracker::PeerEndpoint& ep : m.dropped)
    if (!append_compact(dropped.v4, ep, 4)) append_compact(dropped.v6, ep, 16);
  std::string out = "d";
  const auto put = [&out](std::string_view key, std::string_view value) {
    bencode::append_string(out, key);
    bencode::append_string(out, value);
  };
  put("added", added.v4);
  put("added.f", added.v4_flags);
  put("added6", added.v6);
  put("added6.f", added.v6_flags);
  put("dropped", dropped.v4);
  put("dropped6", dropped.v6);
  out += 'e';
  return out;
}

Result<PexMessage> parse_ut_pex(std::string_view payload, const PexLimits& limits) {
  if (payload.size() > limits.max_payload) {
    return pex_error("payload of " + std::to_string(payload.size()) + " bytes exceeds the limit of " +
                     std::to_string(limits.max_payload));
  }
  bencode::Limits bl;
  bl.require_canonical_keys = false;  // not every client sorts its keys
  bl.max_depth = 4;
  bl.max_tokens = 64;  // six keys in real messages
  auto doc = bencode::decode(payload, bl);
  if (!doc) return pex_error(doc.error().message);
  const bencode::Node root = doc->root();
  if (!root.is_dict()) return pex_error("expected a dictionary at the top level");

  PexMessage m;
  for (const std::size_t address_size : {std::size_t{4}, std::size_t{16}}) {
    const bool v4 = address_size == 4;
    const std::size_t entry = address_size + 2;
    auto added = list_bytes(root, v4 ? "added" : "added6", entry);
    if (!added) return added.error();
    auto flags = flag_bytes(root, v4 ? "added.f" : "added6.f");
    if (!flags) return flags.error();
    auto dropped = list_bytes(root, v4 ? "dropped" : "dropped6", entry);
    if (!dropped) return dropped.error();

    const std::size_t count = added->size() / entry;
    const bool use_flags = flags->size() == count;
    for (std::size_t i = 0, taken = 0; i < count && taken < limits.max_entries; ++i, ++taken) {
      tracker::PeerEndpoint ep = compact_at(*added, i * entry, address_size);
      if (ep.port == 0) continue;
      m.added.push_back({std::move(ep), use_flags ? static_cast<std::uint8_t>((*flags)[i]) : std::uint8_t{0}});
    }
    const std::size_t dropped_count = dropped->size() / entry;
    for (std::size_t i = 0; i < dropped_count && i < limits.max_entries; ++i) {
      tracker::PeerEndpoint ep = compact_at(*dropped, i * entry, address_size);
      if (ep.port != 0) m.dropped.push_back(std::move(ep));
    }
  }
  return m;
}

}  // namespace btd::wire
