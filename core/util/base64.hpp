#pragma once
// RFC 4648 base64 (standard alphabet, with padding): the RPC carries .torrent files and piece
// bytes in it (shared/RPC.md, torrent.add `metainfo` and torrent.get_piece `data`).
#include <optional>
#include <string>
#include <string_view>

namespace btd {

std::string to_base64(std::string_view bytes);
// Strict: only the standard alphabet, length a multiple of 4, '=' only as one or two final
// characters, and the unused bits before the padding zero (so each byte string has exactly one
// accepted encoding). No whitespace. nullopt on anything else.
std::optional<std::string> from_base64(std::string_view text);
// The decoded size of `text` if it were valid, without decoding: lets a caller refuse an
// oversized payload before allocating for it.
std::size_t base64_decoded_size(std::string_view text) noexcept;

}  // namespace btd
