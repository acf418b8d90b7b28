#pragma once
// Errors are values: a std::error_code from btd's own category, plus a message a user can act on
// (which operation, on what, at which byte offset).
#include <string>
#include <system_error>

namespace btd {

enum class Errc {
  ok = 0,
  bencode_syntax,       // malformed bencoding
  bencode_limit,        // depth, token or size limit exceeded
  invalid_metainfo,     // well-formed bencoding, but not a valid torrent
  unsupported_metainfo, // e.g. a v2-only torrent
  unsafe_path,          // a file path that would leave the download dir
  invalid_magnet,
  invalid_argument,
  io_error,
  protocol_error,       // a peer or tracker broke the protocol
  limit_exceeded,
  data_corrupt,         // bytes on disk that no longer match the piece hash
};

const std::error_category& btd_category() noexcept;

inline std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), btd_category()};
}

struct Error {
  std::error_code code;
  std::string message;

  Error() = default;
  Error(Errc e, std::string msg) : code(make_error_code(e)), message(std::move(msg)) {}
  Error(std::error_code ec, std::string msg) : code(ec), message(std::move(msg)) {}

  bool is(Errc e) const noexcept { return code == make_error_code(e); }
};

}  // namespace btd

template <>
struct std::is_error_code_enum<btd::Errc> : std::true_type {};
