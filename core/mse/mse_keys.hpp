#pragma once
// The pieces both sides of an MSE handshake derive from the DH secret S and the info-hash SKEY,
// named as in Vuze's Message Stream Encryption specification, and what the two state machines
// share.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/mse/dh_key.hpp"
#include "core/mse/rc4.hpp"
#include "core/util/sha1.hpp"

namespace btd::mse {

// crypto_provide / crypto_select bits.
inline constexpr std::uint32_t kCryptoPlaintext = 0x01;  // only the handshake is encrypted
inline constexpr std::uint32_t kCryptoRc4 = 0x02;        // the whole stream is

inline constexpr std::size_t kMaxPad = 512;  // PadA, PadB, PadC, PadD
inline constexpr std::size_t kVcSize = 8;    // the verification constant: 8 zero bytes

// Fills the buffer with random bytes, false when the system has none to give (the handshake
// then fails): injected so tests can replay an exchange.
using RandomSource = std::function<bool(std::uint8_t* data, std::size_t size)>;

// 0 to 512 random bytes: PadA, PadB, so the first message lengths say nothing.
std::optional<std::string> random_pad(const RandomSource& random);

// HASH('req1', S): the responder finds the start of the initiator's third message by it.
Sha1Digest req1_hash(const DhBytes& secret);
// HASH('req2', SKEY): what the initiator's info-hash looks like on the wire (xor req3).
Sha1Digest req2_hash(const InfoHash& skey);
Sha1Digest req3_hash(const DhBytes& secret);
// The RC4 keys: HASH('keyA', S, SKEY) encrypts what the initiator sends, 'keyB' the responder's.
Sha1Digest key_a(const DhBytes& secret, const InfoHash& skey);
Sha1Digest key_b(const DhBytes& secret, const InfoHash& skey);

// "plaintext", "rc4", "plaintext or rc4", "none", for messages.
std::string crypto_names(std::uint32_t bits);

// The bytes both directions still need after the handshake. RC4 mode: everything, both ways.
// Plaintext mode: nothing, except on the responder's side the rest of the initiator's initial
// payload (IA) when it had not fully arrived: IA is always encrypted.
class PayloadCipher {
 public:
  PayloadCipher() = default;
  static PayloadCipher rc4(Rc4 out, Rc4 in);
  static PayloadCipher incoming_only(Rc4 in, std::uint64_t bytes);

  // In place, on bytes in stream order.
  void encrypt(char* data, std::size_t size);
  void decrypt(char* data, std::size_t size);
  bool encrypts() const noexcept { return out_.has_value(); }
  bool decrypts() const noexcept { return in_.has_value() && in_left_ > 0; }

 private:
  std::optional<Rc4> out_;
  std::optional<Rc4> in_;
  std::uint64_t in_left_ = 0;
};

// One step of a handshake machine, fed what the socket read.
struct MseStep {
  std::string send;                    // write these now, as they are (already encrypted)
  std::optional<std::string> failure;  // close the connection with this reason
  bool complete = false;               // take_result() is valid
};

// What a finished handshake leaves behind.
struct MseResult {
  std::uint32_t selected = 0;  // kCryptoPlaintext or kCryptoRc4
  InfoHash info_hash;          // SKEY
  PayloadCipher cipher;        // for every byte after `payload`, both directions
  std::string payload;         // plaintext that followed the handshake (IA first), to hand on
};

}  // namespace btd::mse
