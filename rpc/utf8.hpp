#pragma once
// Strict UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
// Checked before parsing so the error can name the byte offset instead of echoing bad bytes.
#include <cstddef>
#include <optional>
#include <string_view>

namespace btd::rpc {

// nullopt when valid; otherwise the offset of the first byte of the first bad sequence.
std::optional<std::size_t> find_invalid_utf8(std::string_view text) noexcept;

}  // namespace btd::rpc
