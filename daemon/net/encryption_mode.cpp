#include "daemon/net/encryption_mode.hpp"

namespace btd::net {

const char* encryption_mode_name(EncryptionMode mode) {
  switch (mode) {
    case EncryptionMode::disabled: return "disabled";
    case EncryptionMode::prefer_plaintext: return "prefer_plaintext";
    case EncryptionMode::prefer_encrypted: return "prefer_encrypted";
    case EncryptionMode::required: return "required";
  }
  return "prefer_plaintext";
}

std::optional<EncryptionMode> parse_encryption_mode(const std::string& text) {
  for (EncryptionMode m : {EncryptionMode::disabled, EncryptionMode::prefer_plaintext,
                           EncryptionMode::prefer_encrypted, EncryptionMode::required})
    if (text == encryption_mode_name(m)) return m;
  return std::nullopt;
}

}  // namespace btd::net
