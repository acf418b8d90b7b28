#include "core/mse/rc4.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <algorithm>
#include <array>
#include <climits>
#include <stdexcept>

namespace btd::mse {

namespace {

constexpr std::size_t kDiscard = 1024;

// The cipher from a private library context, or why there is none. Never freed: it lives as
// long as the process, and every connection may need it.
struct Rc4Cipher {
  OSSL_LIB_CTX* lib = nullptr;
  EVP_CIPHER* cipher = nullptr;
  std::string error;
};

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no detail from OpenSSL";
  char text[256] = {};
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

const Rc4Cipher& rc4_cipher() {
  static const Rc4Cipher cached = [] {
    Rc4Cipher c;
    c.lib = OSSL_LIB_CTX_new();
    OSSL_LIB_CTX* lib = c.lib;
    if (lib == nullptr) {
      c.error = "cannot create an OpenSSL library context: " + openssl_error();
      return c;
    }
    if (OSSL_PROVIDER_load(lib, "legacy") == nullptr) {
      c.error = "OpenSSL's legacy provider (which holds RC4) cannot be loaded: " + openssl_error() +
                "; is the ossl-modules/legacy.so of libssl installed?";
      return c;
    }
    c.cipher = EVP_CIPHER_fetch(lib, "RC4", nullptr);
    if (c.cipher == nullptr) c.error = "OpenSSL has no RC4 cipher: " + openssl_error();
    return c;
  }();
  return cached;
}

}  // namespace

struct Rc4::Ctx {
  EVP_CIPHER_CTX* evp = EVP_CIPHER_CTX_new();
  ~Ctx() { EVP_CIPHER_CTX_free(evp); }
  Ctx() = default;
  Ctx(const Ctx&) = delete;
  Ctx& operator=(const Ctx&) = delete;
};

Result<void> rc4_available() {
  const Rc4Cipher& c = rc4_cipher();
  if (c.cipher == nullptr) return Error(Errc::io_error, c.error);
  return {};
}

Result<Rc4> Rc4::create(std::string_view key) {
  const Rc4Cipher& c = rc4_cipher();
  if (c.cipher == nullptr) return Error(Errc::io_error, c.error);
  auto ctx = std::make_unique<Ctx>();
  if (ctx->evp == nullptr || EVP_EncryptInit_ex2(ctx->evp, c.cipher, nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_key_length(ctx->evp, static_cast<int>(key.size())) != 1 ||
      EVP_EncryptInit_ex2(ctx->evp, nullptr, reinterpret_cast<const unsigned char*>(key.data()), nullptr, nullptr) != 1)
    return Error(Errc::io_error, "cannot set up RC4: " + openssl_error());
  Rc4 rc4(std::move(ctx));
  std::array<char, kDiscard> discard{};
  rc4.apply(discard.data(), discard.size());
  return rc4;
}

Rc4::Rc4(std::unique_ptr<Ctx> ctx) : ctx_(std::move(ctx)) {}
Rc4::Rc4(Rc4&&) noexcept = default;
Rc4& Rc4::operator=(Rc4&&) noexcept = default;
Rc4::~Rc4() = default;

void Rc4::apply(char* data, std::size_t size) {
  auto* p = reinterpret_cast<unsigned char*>(data);
  while (size > 0) {
    const int n = static_cast<int>(std::min<std::size_t>(size, INT_MAX / 2));
    int out = 0;
    // RC4 is a stream cipher: OpenSSL allows the same buffer for input and output.
    if (EVP_EncryptUpdate(ctx_->evp, p, &out, p, n) != 1 || out != n)
      throw std::runtime_error("OpenSSL: RC4 failed");
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

}  // namespace btd::mse
