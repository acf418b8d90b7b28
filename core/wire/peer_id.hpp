#pragma once
// The 20-byte peer id of the handshake: making ours, and naming the client behind someone else's.
#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace btd::wire {

struct PeerId {
  static constexpr std::size_t kSize = 20;
  std::array<std::uint8_t, kSize> bytes{};

  std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  // Exactly 20 raw bytes; anything else yields an all-zero id and false.
  static bool from_bytes(std::string_view raw, PeerId& out) noexcept;
  auto operator<=>(const PeerId&) const = default;
};

// Azureus style: client code "BD", version 0.1.0.0. Other clients read it to name us.
inline constexpr std::string_view kPeerIdPrefix = "-BD0100-";
inline constexpr std::size_t kPeerIdRandomChars = PeerId::kSize - kPeerIdPrefix.size();

// kPeerIdPrefix followed by 12 alphanumeric characters derived from `random`. core/ reads no
// randomness itself, so the caller supplies the bytes. Printable characters keep the id readable
// in other clients' logs and in tracker query strings.
PeerId make_peer_id(const std::array<std::uint8_t, kPeerIdRandomChars>& random);

// A display name such as "libtorrent 2.0.8" for the common Azureus-style ids ("-LT2080-...")
// and aria2's "A2-1-36-0-"; an unknown client code yields its escaped 8-byte prefix, anything
// else the whole id escaped (see escape_bytes).
std::string client_name_from_peer_id(std::string_view peer_id);

}  // namespace btd::wire
