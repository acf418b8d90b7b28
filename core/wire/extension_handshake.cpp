#include "core/wire/extension_handshake.hpp"

#include <limits>

#include "core/bencode/decoder.hpp"
#include "core/bencode/value.hpp"
#include "core/wire/message.hpp"

namespace btd::wire {
namespace {

// Longer client names are treated as garbage rather than shown to the user.
constexpr std::size_t kMaxClientNameLength = 256;

// A peer's m dict is a handful of entries; anything beyond this is not a real client.
constexpr std::size_t kMaxExtensions = 128;

Error handshake_error(std::string message) {
  return Error(Errc::protocol_error, "peer extension handshake: " + std::move(message));
}

std::optional<std::string> raw_address(const bencode::Node& dict, std::string_view key, std::size_t size_a,
                                       std::size_t size_b) {
  auto s = dict.dict_find_string(key);
  if (!s || (s->size() != size_a && s->size() != size_b)) return std::nullopt;
  return std::string(*s);
}

}  // namespace

ExtensionHandshake updated_extension_handshake(const ExtensionHandshake& earlier, ExtensionHandshake later) {
  for (const auto& [name, id] : earlier.m) later.m.try_emplace(name, id);
  for (auto [field, before] : {std::pair{&later.v, &earlier.v}, std::pair{&later.yourip, &earlier.yourip},
                               std::pair{&later.ipv4, &earlier.ipv4}, std::pair{&later.ipv6, &earlier.ipv6}})
    if (!*field) *field = *before;
  if (!later.reqq) later.reqq = earlier.reqq;
  if (!later.p) later.p = earlier.p;
  if (!later.metadata_size) later.metadata_size = earlier.metadata_size;
  return later;
}

std::uint8_t ExtensionHandshake::id_of(std::string_view name) const noexcept {
  auto it = m.find(name);
  return it == m.end() ? 0 : it->second;
}

std::string encode_payload(const ExtensionHandshake& h) {
  bencode::Dict d;
  bencode::Dict m;
  for (const auto& [name, id] : h.m) m.emplace(name, bencode::Value(std::int64_t{id}));
  d.emplace("m", std::move(m));
  if (h.v) d.emplace("v", *h.v);
  if (h.reqq) d.emplace("reqq", std::int64_t{*h.reqq});
  if (h.p) d.emplace("p", std::int64_t{*h.p});
  if (h.yourip) d.emplace("yourip", *h.yourip);
  if (h.ipv4) d.emplace("ipv4", *h.ipv4);
  if (h.ipv6) d.emplace("ipv6", *h.ipv6);
  // An int64 holds any size we would ever advertise; the decoder caps it far below.
  if (h.metadata_size) d.emplace("metadata_size", static_cast<std::int64_t>(*h.metadata_size));
  return bencode::encode(bencode::Value(std::move(d)));
}

void encode(std::string& out, const ExtensionHandshake& handshake) {
  const std::string payload = encode_payload(handshake);
  encode(out, Message{Extended{0, payload}});
}

Result<ExtensionHandshake> parse_extension_handshake(std::string_view payload,
                                                     const ExtensionHandshakeLimits& limits) {
  if (payload.size() > limits.max_payload) {
    return handshake_error("payload of " + std::to_string(payload.size()) + " bytes exceeds the limit of " +
                           std::to_string(limits.max_payload));
  }
  bencode::Limits bl;
  bl.require_canonical_keys = false;
  bl.max_depth = 16;
  bl.max_tokens = 4096;
  auto doc = bencode::decode(payload, bl);
  if (!doc) return handshake_error(doc.error().message);
  const bencode::Node root = doc->root();
  if (!root.is_dict()) return handshake_error("expected a dictionary at the top level");

  ExtensionHandshake h;
  if (bencode::Node m = root.dict_find_dict("m")) {
    for (auto [name, value] : m.entries()) {
      if (h.m.size() >= kMaxExtensions) break;
      if (!value.is_int() || value.int_value() < 0 || value.int_value() > 255) continue;
      h.m.insert_or_assign(std::string(name), static_cast<std::uint8_t>(value.int_value()));
    }
  }
  if (auto v = root.dict_find_string("v"); v && v->size() <= kMaxClientNameLength) h.v = std::string(*v);
  if (auto reqq = root.dict_find_int("reqq");
      reqq && *reqq > 0 && *reqq <= std::numeric_limits<std::uint32_t>::max()) {
    h.reqq = static_cast<std::uint32_t>(*reqq);
  }
  if (auto p = root.dict_find_int("p"); p && *p > 0 && *p <= 65535) h.p = static_cast<std::uint16_t>(*p);
  h.yourip = raw_address(root, "yourip", 4, 16);
  h.ipv4 = raw_address(root, "ipv4", 4, 4);
  h.ipv6 = raw_address(root, "ipv6", 16, 16);
  if (auto size = root.dict_find_int("metadata_size")) {
    if (*size < 0) return handshake_error("metadata_size " + std::to_string(*size) + " is negative");
    if (static_cast<std::uint64_t>(*size) > limits.max_metadata_size) {
      return handshake_error("metadata_size " + std::to_string(*size) + " exceeds the limit of " +
                             std::to_string(limits.max_metadata_size) + " bytes");
    }
    h.metadata_size = static_cast<std::uint64_t>(*size);
  }
  return h;
}

}  // namespace btd::wire
