#include "core/dht/node_id.hpp"

#include <algorithm>
#include <bit>

#include "core/util/hex.hpp"

namespace btd::dht {

std::string NodeId::hex() const { return to_hex(view()); }

std::optional<NodeId> NodeId::from_bytes(std::string_view raw) noexcept {
  if (raw.size() != kSize) return std::nullopt;
  NodeId id;
  std::copy(raw.begin(), raw.end(), reinterpret_cast<char*>(id.bytes.data()));
  return id;
}

NodeId NodeId::from_hash(const InfoHash& h) noexcept {
  NodeId id;
  id.bytes = h.bytes;
  return id;
}

NodeId distance(const NodeId& a, const NodeId& b) noexcept {
  NodeId d;
  for (std::size_t i = 0; i < NodeId::kSize; ++i) d.bytes[i] = static_cast<std::uint8_t>(a.bytes[i] ^ b.bytes[i]);
  return d;
}

bool closer(const NodeId& target, const NodeId& a, const NodeId& b) noexcept {
  for (std::size_t i = 0; i < NodeId::kSize; ++i) {
    const auto da = static_cast<std::uint8_t>(a.bytes[i] ^ target.bytes[i]);
    const auto db = static_cast<std::uint8_t>(b.bytes[i] ^ target.bytes[i]);
    if (da != db) return da < db;
  }
  return false;
}

int common_prefix_bits(const NodeId& a, const NodeId& b) noexcept {
  for (std::size_t i = 0; i < NodeId::kSize; ++i) {
    const auto x = static_cast<std::uint8_t>(a.bytes[i] ^ b.bytes[i]);
    if (x != 0) return static_cast<int>(i * 8) + std::countl_zero(x);
  }
  return 160;
}

NodeId id_in_bucket(const NodeId& base, int prefix_bits, const NodeId& random) noexcept {
  NodeId out = random;
  if (prefix_bits >= 160) return base;
  for (int bit = 0; bit <= prefix_bits; ++bit) {
    const auto byte = static_cast<std::size_t>(bit / 8);
    const auto mask = static_cast<std::uint8_t>(0x80u >> (bit % 8));
    bool v = (base.bytes[byte] & mask) != 0;
    if (bit == prefix_bits) v = !v;  // the first bit that differs
    out.bytes[byte] = static_cast<std::uint8_t>(v ? (out.bytes[byte] | mask) : (out.bytes[byte] & ~mask));
  }
  return out;
}

std::uint32_t crc32c(const std::uint8_t* data, std::size_t size) noexcept {
  // Castagnoli polynomial, reflected; bitwise: it runs on 4 bytes per received node at most.
  std::uint32_t crc = 0xffffffffu;
  for (std::size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
  }
  return ~crc;
}

bool bep42_exempt(const Ipv4& ip) noexcept {
  return ip[0] == 10 || ip[0] == 127 || (ip[0] == 172 && (ip[1] & 0xf0) == 16) ||
         (ip[0] == 192 && ip[1] == 168) || (ip[0] == 169 && ip[1] == 254) || ip[0] == 0;
}

namespace {

std::uint32_t bep42_crc(const Ipv4& ip, std::uint8_t r) noexcept {
  static constexpr std::array<std::uint8_t, 4> kMask = {0x03, 0x0f, 0x3f, 0xff};
  std::array<std::uint8_t, 4> masked{};
  for (std::size_t i = 0; i < 4; ++i) masked[i] = static_cast<std::uint8_t>(ip[i] & kMask[i]);
  masked[0] = static_cast<std::uint8_t>(masked[0] | ((r & 7) << 5));
  return crc32c(masked.data(), masked.size());
}

}  // namespace

NodeId bep42_id(const Ipv4& ip, const NodeId& random) noexcept {
  NodeId id = random;
  const auto r = static_cast<std::uint8_t>(random.bytes[19] & 7);
  const std::uint32_t crc = bep42_crc(ip, r);
  id.bytes[0] = static_cast<std::uint8_t>(crc >> 24);
  id.bytes[1] = static_cast<std::uint8_t>(crc >> 16);
  id.bytes[2] = static_cast<std::uint8_t>(((crc >> 8) & 0xf8) | (random.bytes[2] & 0x07));
  return id;
}

bool bep42_valid(const NodeId& id, const Ipv4& ip) noexcept {
  const std::uint32_t crc = bep42_crc(ip, static_cast<std::uint8_t>(id.bytes[19] & 7));
  return id.bytes[0] == static_cast<std::uint8_t>(crc >> 24) && id.bytes[1] == static_cast<std::uint8_t>(crc >> 16) &&
         (id.bytes[2] & 0xf8) == ((crc >> 8) & 0xf8);
}

}  // namespace btd::dht
