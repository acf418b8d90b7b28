#pragma once
// Everything a connection says before the engine takes over, as bytes in and bytes out: the
// optional Message Stream Encryption handshake (core/mse), then the BitTorrent handshake
// (PeerHandshaker), inside the RC4 stream when RC4 was selected.
//
// Incoming connections are told apart by their first bytes: "\x13BitTorrent protocol" is a
// plaintext handshake, anything else (a DH public key looks random) is taken for MSE. Whether
// each kind is accepted, and what an outgoing connection starts with, is the EncryptionMode.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/mse/mse_initiator.hpp"
#include "core/mse/mse_responder.hpp"
#include "daemon/net/encryption_mode.hpp"
#include "daemon/net/peer_handshaker.hpp"

namespace btd::net {

struct EncryptionConfig {
  EncryptionMode mode = EncryptionMode::prefer_plaintext;
  mse::RandomSource random;
  // HASH('req2', info-hash) -> info-hash of a torrent we serve.
  mse::SkeyLookup skey_lookup;
};

// Outgoing: whether the first attempt is encrypted, and whether a peer hanging up on it is
// tried once more the other way (libtorrent and Transmission do the same).
bool dial_encrypted_first(EncryptionMode mode);
bool retry_other_way(EncryptionMode mode);

class ConnectionHandshake {
 public:
  static ConnectionHandshake outgoing(const wire::Handshake& ours, bool encrypted, const EncryptionConfig& config);
  static ConnectionHandshake incoming(wire::Reserved reserved, wire::PeerId our_id, TorrentLookup lookup,
                                      const EncryptionConfig& config);

  // Bytes to write once the connection is up: Ya and PadA, or the 68-byte handshake, or nothing.
  Result<std::string> start();

  struct Step {
    std::string send;  // write these now, as they are
    // The encrypted handshake finished in this step: from the byte after `send` on, everything
    // written and read goes through this (a no-op cipher when plaintext was selected).
    std::optional<mse::PayloadCipher> cipher;
    std::optional<std::string> failure;
    bool complete = false;  // the BitTorrent handshake too: bt() holds the peer's
  };
  // Bytes read from the socket, decrypted by the socket once `cipher` was handed out.
  Step feed(std::string_view bytes);

  bool incoming_side() const noexcept { return bt_.incoming_side(); }
  // MSE was (or is being) used, and what it selected once done (mse::kCrypto*, else 0).
  bool encrypted() const noexcept { return encrypted_; }
  std::uint32_t selected() const noexcept { return selected_; }
  // Outgoing, closed by the peer now: would the other kind of handshake be worth a try? True
  // while it has not answered an encrypted handshake, or has said nothing to a plaintext one.
  bool rejected_before_answer() const noexcept;
  PeerHandshaker& bt() noexcept { return bt_; }
  const PeerHandshaker& bt() const noexcept { return bt_; }

 private:
  enum class Phase { sniff, mse, bt };
  explicit ConnectionHandshake(PeerHandshaker bt) : bt_(std::move(bt)) {}
  Step feed_mse(std::string_view bytes);
  Step feed_bt(std::string_view bytes, Step step);

  PeerHandshaker bt_;
  EncryptionConfig config_;
  Phase phase_ = Phase::bt;
  std::string sniffed_;
  std::optional<mse::MseInitiator> initiator_;
  std::optional<mse::MseResponder> responder_;
  std::optional<mse::PayloadCipher> cipher_;  // only to encrypt what bt_ says in the step MSE ends
  bool encrypted_ = false;
  std::uint32_t selected_ = 0;
  bool received_any_ = false;
};

}  // namespace btd::net
