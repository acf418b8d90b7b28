#include "core/wire/handshake.hpp"

#include <algorithm>
#include <cstring>

#include "core/wire/escape.hpp"

namespace btd::wire {

void encode(std::string& out, const Handshake& handshake) {
  out.reserve(out.size() + kHandshakeSize);
  out.append(kProtocolString);
  out.append(reinterpret_cast<const char*>(handshake.reserved.bytes.data()), handshake.reserved.bytes.size());
  out.append(handshake.info_hash.view());
  out.append(handshake.peer_id.view());
}

Result<HandshakeParse> parse_handshake(std::string_view received) {
  const std::size_t prefix_len = std::min(received.size(), kProtocolString.size());
  if (received.substr(0, prefix_len) != kProtocolString.substr(0, prefix_len)) {
    return Error(Errc::protocol_error,
                 "peer handshake does not start with \"\\x13BitTorrent protocol\": received \"" +
                     escape_bytes(received.substr(0, prefix_len)) +
                     "\" (an encrypted connection or another protocol?)");
  }
  HandshakeParse parse;
  if (received.size() < kInfoHashEnd) return parse;

  std::memcpy(parse.handshake.reserved.bytes.data(), received.data() + kReservedOffset, 8);
  (void)Sha1Digest::from_bytes(received.substr(kInfoHashOffset, Sha1Digest::kSize), parse.handshake.info_hash);
  if (received.size() < kHandshakeSize) {
    parse.state = HandshakeParse::State::info_hash_known;
    return parse;
  }
  (void)PeerId::from_bytes(received.substr(kInfoHashEnd, PeerId::kSize), parse.handshake.peer_id);
  parse.state = HandshakeParse::State::complete;
  parse.consumed = kHandshakeSize;
  return parse;
}

}  // namespace btd::wire
