#include "daemon/net/peer_handshaker.hpp"

#include <utility>

namespace btd::net {

wire::Reserved default_reserved() {
  wire::Reserved r;
  r.set_fast_extension(true);
  r.set_extension_protocol(true);
  r.set_dht(false);
  return r;
}

PeerHandshaker PeerHandshaker::outgoing(const wire::Handshake& ours) {
  PeerHandshaker h;
  h.ours_ = ours;
  return h;
}

PeerHandshaker PeerHandshaker::incoming(wire::Reserved reserved, wire::PeerId our_id,
                                        TorrentLookup lookup) {
  PeerHandshaker h;
  h.incoming_ = true;
  h.ours_.reserved = reserved;
  h.ours_.peer_id = our_id;
  h.lookup_ = std::move(lookup);
  return h;
}

std::string PeerHandshaker::start() {
  std::string out;
  if (incoming_ || sent_) return out;
  sent_ = true;
  wire::encode(out, ours_);
  return out;
}

PeerHandshaker::Step PeerHandshaker::feed(std::string_view bytes) {
  Step step;
  auto fail = [&](std::string reason) {
    failed_ = true;
    step.failure = std::move(reason);
    return step;
  };
  if (complete_ || failed_) return fail("handshake fed after it ended");

  // Bounded: we stop as soon as 68 bytes are in, so this holds at most 67 + one read chunk.
  received_.append(bytes);
  auto parsed = wire::parse_handshake(received_);
  if (!parsed) return fail("bad handshake: " + parsed.error().message);
  if (parsed->state == wire::HandshakeParse::State::need_more) return step;

  const wire::Handshake& theirs = parsed->handshake;
  if (incoming_) {
    if (!sent_) {
      if (expected_ && theirs.info_hash != *expected_)
        return fail("peer's handshake names info-hash " + theirs.info_hash.hex() +
                    ", its encrypted handshake asked for " + expected_->hex());
      if (!lookup_) return fail("unknown info-hash " + theirs.info_hash.hex());
      match_ = lookup_(theirs.info_hash);
      if (!match_) return fail("unknown info-hash " + theirs.info_hash.hex());
      ours_.info_hash = theirs.info_hash;
      sent_ = true;
      // Answer before the peer id arrives: some clients wait for ours before sending theirs.
      wire::encode(step.send, ours_);
    }
  } else if (theirs.info_hash != ours_.info_hash) {
    return fail("peer answered for info-hash " + theirs.info_hash.hex() + ", we asked for " +
                ours_.info_hash.hex());
  }

  if (parsed->state != wire::HandshakeParse::State::complete) return step;
  if (theirs.peer_id == ours_.peer_id) return fail("connected to ourselves");
  theirs_ = theirs;
  received_.erase(0, parsed->consumed);
  complete_ = true;
  step.complete = true;
  return step;
}

std::string PeerHandshaker::take_leftover() {
  std::string out = std::move(received_);
  received_.clear();
  return out;
}

}  // namespace btd::net
