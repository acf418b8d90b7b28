// libFuzzer target: the MSE handshake machines (core/mse). Random bytes never get past the
// req1 / VC synchronisation (they would have to hit a SHA-1), so the input chooses the fields of
// a peer's messages instead, and the target builds them with the real keys: pad lengths (also
// beyond 512), a right or wrong req1, known or unknown torrent, VC, crypto_provide or
// crypto_select, PadC/PadD lengths up to 65535, IA and what follows, and how the stream is cut
// into reads. Checked: a well-formed exchange completes and a malformed one never does, what we
// send stays within the specification's sizes, the selection is one we accept and the peer
// offered, and the payload comes out exactly as sent.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/mse/mse_initiator.hpp"
#include "core/mse/mse_responder.hpp"
#include "core/wire/big_endian.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

using namespace btd;
using namespace btd::mse;

// Reads the input front to back; past its end everything is zero.
struct Input {
  const std::uint8_t* data;
  std::size_t size;
  std::size_t at = 0;

  std::uint8_t byte() { return at < size ? data[at++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(byte() << 8 | byte()); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(u16()) << 16 | u16(); }
  std::string bytes(std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(byte()));
    return out;
  }
  std::string rest() { return bytes(size - at); }
};

RandomSource counter_random() {
  return [n = std::uint8_t{1}](std::uint8_t* out, std::size_t size) mutable {
    for (std::size_t i = 0; i < size; ++i) out[i] = n += 37;
    return true;
  };
}

InfoHash hash_of(char c) {
  InfoHash h;
  h.bytes.fill(static_cast<std::uint8_t>(c));
  return h;
}

const InfoHash kServed = hash_of('s');

std::array<std::uint8_t, kPrivateKeySize> key_bytes(std::uint8_t seed) {
  std::array<std::uint8_t, kPrivateKeySize> k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(seed + i * 11);
  return k;
}

// Feeds `stream` in reads whose sizes come from the input; after completion the rest goes
// through the result's cipher. Returns the plaintext received (empty when it failed or waits).
template <class Machine>
std::string feed_all(Machine& m, const std::string& stream, Input& cuts, std::string& sent,
                     std::optional<MseResult>& result) {
  std::string received;
  std::size_t at = 0;
  while (at < stream.size()) {
    std::size_t n = 1 + cuts.byte() * 7u;
    n = std::min(n, stream.size() - at);
    std::string chunk = stream.substr(at, n);
    at += n;
    if (result) {
      result->cipher.decrypt(chunk.data(), chunk.size());
      received += chunk;
      continue;
    }
    MseStep step = m.feed(chunk);
    sent += step.send;
    if (step.failure) {
      FUZZ_CHECK(!step.complete);
      return received;
    }
    if (step.complete) {
      result = m.take_result();
      received += result->payload;
    }
  }
  return received;
}

void fuzz_responder(Input& in) {
  const DhKey a(key_bytes(3));
  const std::uint8_t flags = in.byte();
  const std::size_t pad_a = in.u16() % 700;
  const bool right_req1 = (flags & 1) == 0;
  const bool known = (flags & 2) == 0;
  ResponderPolicy policy;
  policy.accept = (flags >> 3) & 3;
  policy.prefer_plaintext = (flags & 0x20) == 0;
  const std::uint32_t provide = in.u32();
  const std::size_t pad_c = in.u16() % 1024;
  const std::string ia = in.bytes(in.byte());
  const std::string vc = (flags & 4) == 0 ? std::string(kVcSize, '\0') : in.bytes(kVcSize);
  const bool zero_vc = vc == std::string(kVcSize, '\0');
  const std::string after = in.bytes(in.byte());

  MseResponder responder(policy, [](const Sha1Digest& req2) -> std::optional<InfoHash> {
    if (req2 == req2_hash(kServed)) return kServed;
    return std::nullopt;
  }, counter_random());
  std::string sent;
  MseStep first = responder.feed(std::string(as_view(a.public_key())));
  FUZZ_CHECK(!first.failure && !first.complete);
  sent += first.send;
  FUZZ_CHECK(sent.size() >= kDhKeySize && sent.size() <= kDhKeySize + kMaxPad);
  const DhBytes secret = *a.shared_secret(std::string_view(sent).substr(0, kDhKeySize));

  std::string stream(pad_a, 'p');
  stream += right_req1 ? std::string(req1_hash(secret).view()) : std::string(20, 'r');
  const Sha1Digest r2 = req2_hash(known ? kServed : hash_of('u'));
  const Sha1Digest r3 = req3_hash(secret);
  for (std::size_t i = 0; i < 20; ++i) stream.push_back(static_cast<char>(r2.bytes[i] ^ r3.bytes[i]));
  std::string plain = vc;
  wire::append_u32(plain, provide);
  wire::append_u16(plain, static_cast<std::uint16_t>(pad_c));
  plain += std::string(pad_c, 'c');
  wire::append_u16(plain, static_cast<std::uint16_t>(ia.size()));
  plain += ia;
  auto out = Rc4::create(key_a(secret, kServed).view()).value();
  out.apply(plain);
  stream += plain;
  const std::uint32_t usable = provide & policy.accept;
  std::string tail = after;
  if ((usable & kCryptoRc4) && !((usable & kCryptoPlaintext) && policy.prefer_plaintext)) out.apply(tail);
  stream += tail;

  std::optional<MseResult> result;
  std::size_t before = sent.size();
  const std::string received = feed_all(responder, stream, in, sent, result);
  const bool well_formed = pad_a <= kMaxPad && right_req1 && known && zero_vc && pad_c <= kMaxPad && usable != 0;
  FUZZ_CHECK(well_formed == result.has_value());
  if (!result) {
    FUZZ_CHECK(sent.size() == before);  // nothing more than Yb and PadB to a peer that failed
    return;
  }
  FUZZ_CHECK(result->info_hash == kServed);
  FUZZ_CHECK(result->selected == kCryptoPlaintext || result->selected == kCryptoRc4);
  FUZZ_CHECK((result->selected & usable) != 0);
  FUZZ_CHECK(sent.size() - before == kVcSize + 6);  // ENCRYPT(VC, crypto_select, len(PadD) = 0)
  FUZZ_CHECK(received == ia + after);
}

void fuzz_initiator(Input& in) {
  const DhKey b(key_bytes(9));
  const std::uint8_t flags = in.byte();
  const std::uint32_t provide = (flags & 3) == 0 ? kCryptoRc4 : (flags & 3);
  const bool zero_vc = (flags & 4) == 0;
  const std::size_t pad_b = in.u16() % 700;
  const std::uint32_t select = in.u32();
  const std::size_t pad_d = in.u16() % 1024;
  const std::string after = in.bytes(in.byte());

  const std::string ia(68, 'i');
  MseInitiator initiator(kServed, provide, ia, counter_random());
  const std::string start = initiator.start().value();
  FUZZ_CHECK(start.size() >= kDhKeySize && start.size() <= kDhKeySize + kMaxPad);
  const DhBytes secret = *b.shared_secret(std::string_view(start).substr(0, kDhKeySize));

  std::string stream(as_view(b.public_key()));
  stream += std::string(pad_b, 'b');
  std::string plain = zero_vc ? std::string(kVcSize, '\0') : std::string(kVcSize, '\x01');
  wire::append_u32(plain, select);
  wire::append_u16(plain, static_cast<std::uint16_t>(pad_d));
  plain += std::string(pad_d, 'd');
  auto out = Rc4::create(key_b(secret, kServed).view()).value();
  out.apply(plain);
  stream += plain;
  std::string tail = after;
  if (select == kCryptoRc4) out.apply(tail);
  stream += tail;

  std::string sent;
  std::optional<MseResult> result;
  const std::string received = feed_all(initiator, stream, in, sent, result);
  const bool well_formed = pad_b <= kMaxPad && zero_vc && (select == kCryptoPlaintext || select == kCryptoRc4) &&
                           (select & provide) != 0 && pad_d <= kMaxPad;
  FUZZ_CHECK(well_formed == result.has_value());
  // req1, req2 ^ req3, ENCRYPT(VC, provide, len(PadC) = 0, len(IA), IA): sent once Yb is in.
  FUZZ_CHECK(sent.size() == 40 + kVcSize + 4 + 2 + 2 + ia.size());
  if (!result) return;
  FUZZ_CHECK(result->selected == select);
  FUZZ_CHECK(received == after);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (!btd::mse::rc4_available()) return 0;
  Input in{data, size};
  if (in.byte() & 1) fuzz_initiator(in);
  else fuzz_responder(in);
  return 0;
}
