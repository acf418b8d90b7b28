#pragma once
// The BEP 3 handshake: <19>"BitTorrent protocol", 8 reserved bytes, the info-hash, the peer id.
// Exactly 68 bytes, sent once by each side before any length-prefixed message.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/util/result.hpp"
#include "core/util/sha1.hpp"
#include "core/wire/peer_id.hpp"

namespace btd::wire {

inline constexpr std::string_view kProtocolString = "\x13" "BitTorrent protocol";
inline constexpr std::size_t kHandshakeSize = 68;
// Bytes before the info-hash; once kInfoHashEnd bytes are in, an accepting side knows the torrent.
inline constexpr std::size_t kReservedOffset = 20;
inline constexpr std::size_t kInfoHashOffset = 28;
inline constexpr std::size_t kInfoHashEnd = 48;

// The reserved bytes announce extensions. Bits we do not know are kept as received and ignored.
struct Reserved {
  std::array<std::uint8_t, 8> bytes{};

  bool extension_protocol() const noexcept { return (bytes[5] & 0x10) != 0; }  // BEP 10
  bool fast_extension() const noexcept { return (bytes[7] & 0x04) != 0; }      // BEP 6
  bool dht() const noexcept { return (bytes[7] & 0x01) != 0; }                 // BEP 5

  void set_extension_protocol(bool on) noexcept { set(5, 0x10, on); }
  void set_fast_extension(bool on) noexcept { set(7, 0x04, on); }
  void set_dht(bool on) noexcept { set(7, 0x01, on); }

  bool operator==(const Reserved&) const = default;

 private:
  void set(std::size_t i, std::uint8_t mask, bool on) noexcept {
    bytes[i] = static_cast<std::uint8_t>(on ? (bytes[i] | mask) : (bytes[i] & ~mask));
  }
};

struct Handshake {
  Reserved reserved;
  InfoHash info_hash;
  PeerId peer_id;

  bool operator==(const Handshake&) const = default;
};

// Appends the 68 bytes.
void encode(std::string& out, const Handshake& handshake);

struct HandshakeParse {
  enum class State {
    need_more,        // fewer than 48 bytes: nothing but a valid prefix so far
    info_hash_known,  // reserved and info_hash are filled in; the peer id has not arrived yet
    complete,         // all 68 bytes; `consumed` of them belong to the handshake
  };
  State state = State::need_more;
  Handshake handshake;
  std::size_t consumed = 0;  // kHandshakeSize when complete, else 0
};

// Parses the start of what a peer has sent so far; call again with more bytes. Bytes after the
// 68th are not looked at: they are the first messages. A wrong protocol string is reported as
// soon as its first differing byte arrives (an encrypted or non-BitTorrent connection fails
// fast instead of waiting for 68 bytes).
Result<HandshakeParse> parse_handshake(std::string_view received);

}  // namespace btd::wire
