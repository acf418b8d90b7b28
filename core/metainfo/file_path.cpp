#include "core/metainfo/file_path.hpp"

#include <cstdint>

namespace btd {
namespace {

constexpr char kReplacement = '_';

// Length of the valid UTF-8 sequence starting at `pos` (1..4) and its code point, or 0 when the
// bytes there are not valid UTF-8 (bad lead byte, missing continuation, overlong form, UTF-16
// surrogate, or beyond U+10FFFF).
std::size_t utf8_sequence(std::string_view s, std::size_t pos, std::uint32_t& cp) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  std::size_t len = 0;
  std::uint32_t min = 0;
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1Fu;
    min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0Fu;
    min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07u;
    min = 0x10000;
  } else {
    return 0;
  }
  if (s.size() - pos < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[pos + k]);
    if ((b & 0xC0u) != 0x80u) return 0;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// Characters that make a name display as something it is not (bidi overrides reorder text,
// zero-width characters make two names look identical).
bool is_deceptive_code_point(std::uint32_t cp) {
  return cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || (cp >= 0x200B && cp <= 0x200D) || cp == 0xFEFF;
}

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0u) == 0x80u; }

// Largest cut <= max that does not split a UTF-8 sequence of the (already valid) string s.
std::size_t utf8_cut(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s.size();
  std::size_t cut = max;
  while (cut > 0 && is_continuation_byte(s[cut])) --cut;
  return cut;
}

std::string cap_length(std::string s) {
  if (s.size() <= kMaxPathComponentBytes) return s;
  const std::size_t dot = s.rfind('.');
  if (dot != std::string::npos && dot > 0 && s.size() - dot <= kMaxKeptExtensionBytes) {
    const std::string_view ext = std::string_view(s).substr(dot);
    const std::string_view stem = std::string_view(s).substr(0, dot);
    const std::size_t keep = utf8_cut(stem, kMaxPathComponentBytes - ext.size());
    return std::string(stem.substr(0, keep)) + std::string(ext);
  }
  s.resize(utf8_cut(s, kMaxPathComponentBytes));
  return s;
}

// Why a component could escape the download dir, as a message prefix; nullptr when it cannot.
const char* unsafe_reason(std::string_view component) {
  if (component == "..") return "file path escapes download dir: ";
  if (!component.empty() && component.front() == '/') return "file path is absolute: ";
  if (component.find('\0') != std::string_view::npos) return "file path contains a NUL byte: ";
  return nullptr;
}

}  // namespace

std::string sanitize_path_component(std::string_view component) {
  if (component == ".") return {};
  std::string out;
  out.reserve(component.size());
  std::size_t pos = 0;
  while (pos < component.size()) {
    std::uint32_t cp = 0;
    const std::size_t len = utf8_sequence(component, pos, cp);
    if (len == 0) {
      out += kReplacement;  // one '_' per invalid byte, then resynchronise on the next byte
      ++pos;
      continue;
    }
    if (cp < 0x20 || cp == 0x7F || cp == '/' || cp == '\\' || is_deceptive_code_point(cp))
      out += kReplacement;
    else
      out.append(component.substr(pos, len));
    pos += len;
  }
  return cap_length(std::move(out));
}

Result<void> check_path_component(std::string_view component, std::string_view path_for_message) {
  if (const char* reason = unsafe_reason(component))
    return Error(Errc::unsafe_path, std::string(reason) + std::string(path_for_message));
  return {};
}

Result<std::string> sanitize_file_path(std::span<const std::string_view> components) {
  if (components.size() > 1 && components.front().empty())
    return Error(Errc::unsafe_path, "file path is absolute: " + path_for_message(components));
  // The message is built only on failure: a path may have a great many components.
  for (std::string_view c : components) {
    if (const char* reason = unsafe_reason(c))
      return Error(Errc::unsafe_path, reason + path_for_message(components));
  }
  std::string joined;
  for (std::string_view c : components) {
    const std::string part = sanitize_path_component(c);
    if (part.empty()) continue;  // "." and empty components name no directory level
    if (!joined.empty()) joined += '/';
    joined += part;
  }
  if (joined.empty())
    return Error(Errc::unsafe_path,
                 "file path has no usable component: " + path_for_message(components));
  return joined;
}

bool is_valid_utf8(std::string_view s) {
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::uint32_t cp = 0;
    const std::size_t len = utf8_sequence(s, pos, cp);
    if (len == 0) return false;
    pos += len;
  }
  return true;
}

std::string printable_path(std::string_view path) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7F) {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

std::string path_for_message(std::span<const std::string_view> components) {
  std::string joined;
  for (std::size_t i = 0; i < components.size(); ++i) {
    if (i > 0) joined += '/';
    joined += components[i];
  }
  return printable_path(joined);
}

}  // namespace btd
