#pragma once
// Nesting depth of JSON text, found by a linear scan that skips string contents. Run before the
// parser so hostile nesting is refused without building any tree.
#include <cstddef>
#include <string_view>

namespace btd::rpc {

inline constexpr std::size_t max_json_depth = 64;

// True when no array/object in `text` is nested deeper than `limit` ("[]" has depth 1). Works on
// malformed text too: it only counts brackets outside strings.
bool json_depth_within(std::string_view text, std::size_t limit) noexcept;

}  // namespace btd::rpc
