#include "core/util/sha1.hpp"

#include <openssl/evp.h>

#include <cstring>
#include <stdexcept>

#include "core/util/hex.hpp"

namespace btd {

struct Sha1Hasher::Ctx {
  EVP_MD_CTX* md = nullptr;
  Ctx() : md(EVP_MD_CTX_new()) {
    // Allocation failure or a crippled OpenSSL is not something a caller can handle.
    if (md == nullptr || EVP_DigestInit_ex(md, EVP_sha1(), nullptr) != 1)
      throw std::runtime_error("OpenSSL: cannot initialise SHA-1");
  }
  ~Ctx() { EVP_MD_CTX_free(md); }
  Ctx(const Ctx&) = delete;
  Ctx& operator=(const Ctx&) = delete;
};

std::string Sha1Digest::hex() const { return to_hex(view()); }

bool Sha1Digest::from_bytes(std::string_view raw, Sha1Digest& out) noexcept {
  out = {};
  if (raw.size() != kSize) return false;
  std::memcpy(out.bytes.data(), raw.data(), kSize);
  return true;
}

Sha1Hasher::Sha1Hasher() : ctx_(std::make_unique<Ctx>()) {}
Sha1Hasher::~Sha1Hasher() = default;
Sha1Hasher::Sha1Hasher(Sha1Hasher&&) noexcept = default;
Sha1Hasher& Sha1Hasher::operator=(Sha1Hasher&&) noexcept = default;

void Sha1Hasher::update(std::string_view data) { update(data.data(), data.size()); }

void Sha1Hasher::update(const void* data, std::size_t size) {
  if (size > 0) EVP_DigestUpdate(ctx_->md, data, size);
}

Sha1Digest Sha1Hasher::finish() {
  Sha1Digest d;
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->md, d.bytes.data(), &len);
  EVP_DigestInit_ex(ctx_->md, EVP_sha1(), nullptr);
  return d;
}

Sha1Digest sha1(std::string_view data) {
  Sha1Digest d;
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), d.bytes.data(), &len, EVP_sha1(), nullptr);
  return d;
}

}  // namespace btd
