#pragma once
// File paths from a .torrent are hostile input. Two stages, kept apart on purpose:
//  - safety checks refuse paths that would leave the download dir (.., absolute, NUL): those
//    torrents are crafted, and silently "fixing" them would hide an attack;
//  - sanitizing rewrites what is merely awkward on disk (control characters, bad UTF-8, bidi
//    tricks, over-long names) the way libtorrent does, so the same torrents load.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "core/util/result.hpp"

namespace btd {

// Longest component written to disk, in bytes: below the 255-byte limit of common file
// systems, with room for a ".part" style suffix.
inline constexpr std::size_t kMaxPathComponentBytes = 240;
// An extension (dot included) at most this long survives when a component is cut.
inline constexpr std::size_t kMaxKeptExtensionBytes = 10;

// One component made safe to create: control characters, invalid UTF-8 bytes, '/' and '\\',
// Unicode bidi controls and zero-width characters each become '_'; the result is capped at
// kMaxPathComponentBytes (cut on a UTF-8 boundary, keeping a short extension). Returns an
// empty string for "." and "": such components are dropped. Does not refuse anything: run
// check_path_component first.
std::string sanitize_path_component(std::string_view component);

// Refuses a component that could escape the download dir: "..", a leading '/', or a NUL byte.
// `path_for_message` is the whole path as given, named in the error.
Result<void> check_path_component(std::string_view component, std::string_view path_for_message);

// A multi-file path list as given (info.files[i].path): checks every component, then
// sanitizes and joins the survivors with '/'. Refuses an absolute form (an empty first
// component followed by more) and a list with no usable component left.
Result<std::string> sanitize_file_path(std::span<const std::string_view> components);

bool is_valid_utf8(std::string_view s);

// Joins components with '/' for error messages, showing control bytes as \xNN so that a NUL or
// an escape sequence in a hostile name cannot garble a log line or terminal.
std::string path_for_message(std::span<const std::string_view> components);
std::string printable_path(std::string_view path);

}  // namespace btd
