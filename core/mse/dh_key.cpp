#include "core/mse/dh_key.hpp"

#include <openssl/bn.h>

#include <memory>
#include <stdexcept>

namespace btd::mse {

namespace {

// The prime every MSE implementation uses (Vuze's Message Stream Encryption specification).
constexpr std::array<std::uint8_t, kDhKeySize> kPrime = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xC9, 0x0F, 0xDA, 0xA2, 0x21, 0x68, 0xC2, 0x34,
    0xC4, 0xC6, 0x62, 0x8B, 0x80, 0xDC, 0x1C, 0xD1, 0x29, 0x02, 0x4E, 0x08, 0x8A, 0x67, 0xCC, 0x74,
    0x02, 0x0B, 0xBE, 0xA6, 0x3B, 0x13, 0x9B, 0x22, 0x51, 0x4A, 0x08, 0x79, 0x8E, 0x34, 0x04, 0xDD,
    0xEF, 0x95, 0x19, 0xB3, 0xCD, 0x3A, 0x43, 0x1B, 0x30, 0x2B, 0x0A, 0x6D, 0xF2, 0x5F, 0x14, 0x37,
    0x4F, 0xE1, 0x35, 0x6D, 0x6D, 0x51, 0xC2, 0x45, 0xE4, 0x85, 0xB5, 0x76, 0x62, 0x5E, 0x7E, 0xC6,
    0xF4, 0x4C, 0x42, 0xE9, 0xA6, 0x3A, 0x36, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x05, 0x63,
};

struct BnFree {
  void operator()(BIGNUM* b) const { BN_clear_free(b); }
  void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;
using BnCtx = std::unique_ptr<BN_CTX, BnFree>;

Bn bn_from(const std::uint8_t* data, std::size_t size) {
  Bn b(BN_bin2bn(data, static_cast<int>(size), nullptr));
  if (!b) throw std::bad_alloc();
  return b;
}

Bn new_bn() {
  Bn b(BN_new());
  if (!b) throw std::bad_alloc();
  return b;
}

// base ^ exponent mod P, as 96 bytes.
DhBytes mod_exp(const BIGNUM* base, const BIGNUM* exponent, const BIGNUM* prime) {
  BnCtx ctx(BN_CTX_new());
  Bn result = new_bn();
  if (!ctx || BN_mod_exp(result.get(), base, exponent, prime, ctx.get()) != 1)
    throw std::runtime_error("OpenSSL: BN_mod_exp failed");
  DhBytes out{};
  if (BN_bn2binpad(result.get(), out.data(), static_cast<int>(out.size())) != static_cast<int>(out.size()))
    throw std::runtime_error("OpenSSL: DH value does not fit 96 bytes");
  return out;
}

}  // namespace

DhKey::DhKey(const std::array<std::uint8_t, kPrivateKeySize>& private_key) : private_(private_key) {
  Bn prime = bn_from(kPrime.data(), kPrime.size());
  Bn x = bn_from(private_.data(), private_.size());
  Bn g = new_bn();
  BN_set_word(g.get(), 2);
  public_ = mod_exp(g.get(), x.get(), prime.get());
}

Result<DhBytes> DhKey::shared_secret(std::string_view their_public) const {
  if (their_public.size() != kDhKeySize)
    return Error(Errc::protocol_error, "DH public key of " + std::to_string(their_public.size()) + " bytes, not 96");
  Bn prime = bn_from(kPrime.data(), kPrime.size());
  Bn y = bn_from(reinterpret_cast<const std::uint8_t*>(their_public.data()), their_public.size());
  Bn prime_minus_one = new_bn();
  BN_copy(prime_minus_one.get(), prime.get());
  BN_sub_word(prime_minus_one.get(), 1);
  if (BN_cmp(y.get(), BN_value_one()) <= 0 || BN_cmp(y.get(), prime_minus_one.get()) >= 0)
    return Error(Errc::protocol_error, "peer's DH public key is outside 2..P-2");
  Bn x = bn_from(private_.data(), private_.size());
  return mod_exp(y.get(), x.get(), prime.get());
}

}  // namespace btd::mse
