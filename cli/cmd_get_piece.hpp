#pragma once
// The pure parts of `btctl get-piece`, exposed for tests.
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/util/result.hpp"
#include "core/util/sha1.hpp"

namespace btd::cli {

// True when SHA-1(data) is the 40-hex-digit `sha1_hex` (either case). A malformed hash is false.
bool check_piece_bytes(std::string_view data, std::string_view sha1_hex);

// Checks a torrent.get_piece result for the whole piece `index` and returns its decoded bytes:
// the fields have the right types, index matches, offset is 0, `data` is base64 of exactly
// `length` bytes, and those bytes hash to `sha1`. The error says which check failed.
Result<std::string> verified_piece_bytes(const nlohmann::json& result, std::uint64_t index);

}  // namespace btd::cli
