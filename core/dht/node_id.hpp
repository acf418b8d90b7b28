#pragma once
// DHT node ids (BEP 5): 160-bit numbers in the same space as info-hashes, compared by XOR
// distance; and the BEP 42 rule tying a node's id to its IPv4 address, so that one machine
// cannot place itself next to any target it likes.
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/sha1.hpp"

namespace btd::dht {

struct NodeId {
  static constexpr std::size_t kSize = 20;
  std::array<std::uint8_t, kSize> bytes{};

  std::string_view view() const noexcept { return {reinterpret_cast<const char*>(bytes.data()), kSize}; }
  std::string hex() const;
  // Exactly 20 raw bytes.
  static std::optional<NodeId> from_bytes(std::string_view raw) noexcept;
  static NodeId from_hash(const InfoHash& h) noexcept;
  auto operator<=>(const NodeId&) const = default;
};

// a XOR b, itself a NodeId: distances compare as big-endian numbers with <.
NodeId distance(const NodeId& a, const NodeId& b) noexcept;
// Whether a is strictly closer to target than b.
bool closer(const NodeId& target, const NodeId& a, const NodeId& b) noexcept;
// Leading bits a and b share (160 when equal): the index of the k-bucket b falls in, seen from a.
int common_prefix_bits(const NodeId& a, const NodeId& b) noexcept;
// An id sharing exactly `prefix_bits` leading bits with `base` (the next bit differs), the rest
// taken from `random`: a refresh target inside one bucket.
NodeId id_in_bucket(const NodeId& base, int prefix_bits, const NodeId& random) noexcept;

// ---- BEP 42 -------------------------------------------------------------------------------
using Ipv4 = std::array<std::uint8_t, 4>;

std::uint32_t crc32c(const std::uint8_t* data, std::size_t size) noexcept;
// Addresses BEP 42 does not apply to (loopback, private, link-local): any id is accepted from
// them, as libtorrent does.
bool bep42_exempt(const Ipv4& ip) noexcept;
// An id valid for `ip`: the first 21 bits from crc32c of the masked address, the last byte
// `random[19] & 7`, the rest from `random`.
NodeId bep42_id(const Ipv4& ip, const NodeId& random) noexcept;
bool bep42_valid(const NodeId& id, const Ipv4& ip) noexcept;

}  // namespace btd::dht
