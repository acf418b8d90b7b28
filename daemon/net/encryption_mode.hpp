#pragma once
// The "encryption" setting: which peer connections use Message Stream Encryption (the
// obfuscated handshake). The names follow what libtorrent and Transmission users know.
#include <optional>
#include <string>

namespace btd::net {

enum class EncryptionMode {
  disabled,          // plaintext only: an encrypted handshake is refused, never dialled
  prefer_plaintext,  // accept both; dial plaintext first, encrypted if the peer hangs up on it
  prefer_encrypted,  // accept both, choose RC4 when offered; dial encrypted first, then plaintext
  required,          // encrypted with RC4 only, both ways; plaintext peers are refused
};

const char* encryption_mode_name(EncryptionMode mode);
std::optional<EncryptionMode> parse_encryption_mode(const std::string& text);
inline constexpr const char* kEncryptionModeExpected =
    "one of \"disabled\", \"prefer_plaintext\", \"prefer_encrypted\", \"required\"";

}  // namespace btd::net
