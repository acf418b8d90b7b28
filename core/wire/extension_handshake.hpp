#pragma once
// The BEP 10 extension handshake: the bencoded dict carried by an extended message with id 0.
// It tells which extension messages the sender accepts and under which ids, plus a few facts
// about the sender. It is rare (once per connection, sometimes again to update "m"), so decoded
// values are copied out and the frame buffer can be reused at once.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/result.hpp"

namespace btd::wire {

struct ExtensionHandshake {
  // Extension name -> the id the sender wants that message sent with. Id 0 means the sender
  // disables the extension (it matters in a later handshake that updates an earlier one).
  std::map<std::string, std::uint8_t, std::less<>> m;
  std::optional<std::string> v;               // client name and version, e.g. "libtorrent 2.0.8"
  std::optional<std::uint32_t> reqq;          // how many outstanding requests the sender queues
  std::optional<std::uint16_t> p;             // the sender's listen port
  std::optional<std::string> yourip;          // our address as the sender sees it: 4 or 16 raw bytes
  std::optional<std::string> ipv4;            // the sender's own addresses: 4 raw bytes
  std::optional<std::string> ipv6;            // 16 raw bytes
  std::optional<std::uint64_t> metadata_size; // BEP 9: size of the info dict in bytes

  // The id to send `name` with, or 0 when the sender does not offer it.
  std::uint8_t id_of(std::string_view name) const noexcept;

  bool operator==(const ExtensionHandshake&) const = default;
};

struct ExtensionHandshakeLimits {
  // Real handshakes are a few hundred bytes; a large one is refused before it is decoded.
  std::size_t max_payload = 100 * 1024;
  // An info dict above this would be a torrent of millions of pieces; refusing it keeps a peer
  // from making us allocate for metadata it claims to have.
  std::uint64_t max_metadata_size = 30 * 1024 * 1024;
};

// BEP 10: a later handshake updates an earlier one. Its m is additive (an extension it does not
// name keeps its id; id 0 withdraws one), and a field it leaves out keeps its earlier value.
ExtensionHandshake updated_extension_handshake(const ExtensionHandshake& earlier, ExtensionHandshake later);

// The bencoded dict (the payload after the extended message's id byte 0), canonical.
std::string encode_payload(const ExtensionHandshake& handshake);

// Appends the whole frame: length prefix, message id 20, extended id 0, the dict.
void encode(std::string& out, const ExtensionHandshake& handshake);

// Decodes the dict. Key order is not checked (clients in the wild do not sort), optional fields of
// the wrong type or out of range are ignored, as are unknown keys. Errors (Errc::protocol_error):
// an oversized payload, malformed bencoding, a root that is not a dict, and a metadata_size that
// is negative or above the limit.
Result<ExtensionHandshake> parse_extension_handshake(std::string_view payload,
                                                     const ExtensionHandshakeLimits& limits = {});

}  // namespace btd::wire
