#pragma once
// Hex and RFC 4648 base32 codecs for info-hashes and magnet links.
#include <optional>
#include <string>
#include <string_view>

namespace btd {

std::string to_hex(std::string_view bytes);
// Accepts upper or lower case; nullopt on odd length or a non-hex character.
std::optional<std::string> from_hex(std::string_view hex);
// Base32 (RFC 4648 alphabet, case-insensitive, no padding needed); nullopt on a bad character
// or trailing bits that are not zero.
std::optional<std::string> from_base32(std::string_view text);
std::string to_base32(std::string_view bytes);

}  // namespace btd
