#pragma once
// RC4 as MSE uses it: a 20-byte key and the first 1024 bytes of keystream thrown away.
//
// OpenSSL 3 keeps RC4 in its "legacy" provider. It is loaded into a library context of our own,
// so the rest of btd (SHA-1 through the default provider) is unaffected by it; where the legacy
// module is missing (a minimal OpenSSL build, a FIPS-only setup) rc4_available() says why and
// btd runs without RC4 instead of failing to start. OpenSSL rather than a local RC4: its
// assembler keystream is about twice as fast as a byte loop, and bulk data may go through it.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/util/result.hpp"

namespace btd::mse {

// Loads the provider on the first call (thread-safe), then answers from memory.
Result<void> rc4_available();

class Rc4 {
 public:
  // Fails only when rc4_available() fails.
  static Result<Rc4> create(std::string_view key);

  Rc4(Rc4&&) noexcept;
  Rc4& operator=(Rc4&&) noexcept;
  ~Rc4();

  // In place: RC4 encryption and decryption are the same operation.
  void apply(char* data, std::size_t size);
  void apply(std::string& data) { apply(data.data(), data.size()); }

 private:
  struct Ctx;
  explicit Rc4(std::unique_ptr<Ctx> ctx);
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace btd::mse
