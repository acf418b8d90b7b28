#include "core/mse/mse_keys.hpp"

#include <algorithm>
#include <array>
#include <limits>

namespace btd::mse {

namespace {

Sha1Digest hash_of(std::string_view tag, std::string_view a, std::string_view b = {}) {
  Sha1Hasher h;
  h.update(tag);
  h.update(a);
  h.update(b);
  return h.finish();
}

}  // namespace

std::optional<std::string> random_pad(const RandomSource& random) {
  std::array<std::uint8_t, 2> r{};
  if (!random(r.data(), r.size())) return std::nullopt;
  std::string pad((static_cast<std::size_t>(r[0]) << 8 | r[1]) % (kMaxPad + 1), '\0');
  if (!random(reinterpret_cast<std::uint8_t*>(pad.data()), pad.size())) return std::nullopt;
  return pad;
}

Sha1Digest req1_hash(const DhBytes& secret) { return hash_of("req1", as_view(secret)); }
Sha1Digest req2_hash(const InfoHash& skey) { return hash_of("req2", skey.view()); }
Sha1Digest req3_hash(const DhBytes& secret) { return hash_of("req3", as_view(secret)); }
Sha1Digest key_a(const DhBytes& secret, const InfoHash& skey) { return hash_of("keyA", as_view(secret), skey.view()); }
Sha1Digest key_b(const DhBytes& secret, const InfoHash& skey) { return hash_of("keyB", as_view(secret), skey.view()); }

std::string crypto_names(std::uint32_t bits) {
  std::string out;
  if (bits & kCryptoPlaintext) out = "plaintext";
  if (bits & kCryptoRc4) out += out.empty() ? "rc4" : " or rc4";
  if (out.empty()) out = "none";
  if (bits & ~(kCryptoPlaintext | kCryptoRc4)) out += " (and unknown bits)";
  return out;
}

PayloadCipher PayloadCipher::rc4(Rc4 out, Rc4 in) {
  PayloadCipher c;
  c.out_.emplace(std::move(out));
  c.in_.emplace(std::move(in));
  c.in_left_ = std::numeric_limits<std::uint64_t>::max();
  return c;
}

PayloadCipher PayloadCipher::incoming_only(Rc4 in, std::uint64_t bytes) {
  PayloadCipher c;
  if (bytes > 0) {
    c.in_.emplace(std::move(in));
    c.in_left_ = bytes;
  }
  return c;
}

void PayloadCipher::encrypt(char* data, std::size_t size) {
  if (out_) out_->apply(data, size);
}

void PayloadCipher::decrypt(char* data, std::size_t size) {
  if (!in_ || in_left_ == 0) return;
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, in_left_));
  in_->apply(data, n);
  if (in_left_ != std::numeric_limits<std::uint64_t>::max()) in_left_ -= n;
  if (in_left_ == 0) in_.reset();  // the rest of the stream is plaintext
}

}  // namespace btd::mse
