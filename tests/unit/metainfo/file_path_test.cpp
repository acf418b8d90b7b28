#include "core/metainfo/file_path.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace btd;
using namespace std::string_literals;

namespace {

Result<std::string> sanitize(std::vector<std::string_view> parts) { return sanitize_file_path(parts); }

std::string refusal(std::vector<std::string_view> parts) {
  auto r = sanitize_file_path(parts);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(Errc::unsafe_path));
  return r.error().message;
}

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST_CASE("plain components pass through unchanged") {
  CHECK(sanitize_path_component("movie.mkv") == "movie.mkv");
  CHECK(sanitize_path_component("caf\xc3\xa9 \xf0\x9f\x8e\xb5.mp3") == "caf\xc3\xa9 \xf0\x9f\x8e\xb5.mp3");
  // Trailing dots and spaces, "...", and Windows device names are left alone.
  CHECK(sanitize_path_component("name. ") == "name. ");
  CHECK(sanitize_path_component("...") == "...");
  CHECK(sanitize_path_component("..a") == "..a");
  CHECK(sanitize_path_component("CON") == "CON");
}

TEST_CASE("control characters become underscores") {
  CHECK(sanitize_path_component("a\x01" "b") == "a_b");
  CHECK(sanitize_path_component("tab\there") == "tab_here");
  CHECK(sanitize_path_component("\x1b[31mred") == "_[31mred");
  CHECK(sanitize_path_component("del\x7f") == "del_");
  CHECK(sanitize_path_component("new\nline\r") == "new_line_");
}

TEST_CASE("separators inside a component become underscores") {
  CHECK(sanitize_path_component("a/b") == "a_b");
  CHECK(sanitize_path_component("a\\b") == "a_b");
  CHECK(sanitize_path_component("..\\..\\windows") == ".._.._windows");
}

TEST_CASE("each invalid UTF-8 byte becomes an underscore") {
  CHECK(sanitize_path_component("a\xff" "b") == "a_b");
  CHECK(sanitize_path_component("\xc0\xaf") == "__");              // overlong '/'
  CHECK(sanitize_path_component("\xe0\x80\xaf") == "___");         // overlong 3-byte
  CHECK(sanitize_path_component("\xed\xa0\x80") == "___");         // UTF-16 surrogate
  CHECK(sanitize_path_component("\xf4\x90\x80\x80") == "____");    // above U+10FFFF
  CHECK(sanitize_path_component("x\xe2\x82") == "x__");            // truncated at the end
  CHECK(sanitize_path_component("\xe2\x82" "a") == "__a");         // truncated mid-string
  CHECK(sanitize_path_component("\x80") == "_");                   // stray continuation byte
  CHECK(sanitize_path_component("\xc3\xa9\xff\xc3\xa9") == "\xc3\xa9_\xc3\xa9");
}

TEST_CASE("bidi controls and zero-width characters become underscores") {
  // "invoice\u202Efdp.exe" shows as "invoiceexe.pdf".
  CHECK(sanitize_path_component("invoice\xe2\x80\xae" "fdp.exe") == "invoice_fdp.exe");
  CHECK(sanitize_path_component("\xe2\x80\x8e") == "_");  // U+200E
  CHECK(sanitize_path_component("\xe2\x80\x8f") == "_");  // U+200F
  CHECK(sanitize_path_component("\xe2\x80\xaa") == "_");  // U+202A
  CHECK(sanitize_path_component("\xe2\x81\xa6") == "_");  // U+2066
  CHECK(sanitize_path_component("\xe2\x81\xa9") == "_");  // U+2069
  CHECK(sanitize_path_component("a\xe2\x80\x8b" "b") == "a_b");  // U+200B zero width space
  CHECK(sanitize_path_component("\xe2\x80\x8d") == "_");  // U+200D
  CHECK(sanitize_path_component("\xef\xbb\xbf" "bom") == "_bom");  // U+FEFF
  // Neighbours of those ranges are ordinary characters.
  CHECK(sanitize_path_component("\xe2\x80\x90") == "\xe2\x80\x90");  // U+2010 hyphen
  CHECK(sanitize_path_component("\xe2\x80\xaf") == "\xe2\x80\xaf");  // U+202F
  CHECK(sanitize_path_component("\xe2\x81\xaa") == "\xe2\x81\xaa");  // U+206A
}

TEST_CASE("\".\" and empty components sanitize to nothing") {
  CHECK(sanitize_path_component(".").empty());
  CHECK(sanitize_path_component("").empty());
}

TEST_CASE("components are capped at 240 bytes") {
  CHECK(sanitize_path_component(repeat("a", 240)) == repeat("a", 240));
  CHECK(sanitize_path_component(repeat("a", 300)) == repeat("a", 240));
  // A short extension survives the cut.
  const std::string kept = sanitize_path_component(repeat("a", 300) + ".txt");
  CHECK(kept.size() == 240);
  CHECK(kept == repeat("a", 236) + ".txt");
  // A long "extension" is just more name.
  const std::string long_ext = sanitize_path_component(repeat("a", 300) + ".averylongextension");
  CHECK(long_ext == repeat("a", 240));
  // A dot at the start is not an extension.
  CHECK(sanitize_path_component("." + repeat("b", 300)) == "." + repeat("b", 239));
}

TEST_CASE("the 240-byte cap never splits a UTF-8 character") {
  // "x" then 2-byte characters: byte 240 is a continuation byte, so the cut falls at 239.
  const std::string cut = sanitize_path_component("x" + repeat("\xc3\xa9", 150));
  CHECK(cut.size() == 239);
  CHECK(is_valid_utf8(cut));
  CHECK(cut == "x" + repeat("\xc3\xa9", 119));
  const std::string with_ext = sanitize_path_component("x" + repeat("\xc3\xa9", 150) + ".txt");
  CHECK(with_ext == "x" + repeat("\xc3\xa9", 117) + ".txt");
  CHECK(is_valid_utf8(with_ext));
  // 4-byte characters: 240 is a multiple of 4, 241 bytes of prefix is not.
  const std::string emoji = sanitize_path_component("ab" + repeat("\xf0\x9f\x8e\xb5", 80));
  CHECK(emoji.size() == 238);
  CHECK(is_valid_utf8(emoji));
}

TEST_CASE("the cap applies after replacement") {
  // 100 bidi marks (300 bytes) shrink to 100 underscores: nothing to cut.
  CHECK(sanitize_path_component(repeat("\xe2\x80\xae", 100)) == repeat("_", 100));
}

TEST_CASE("check_path_component refuses escapes and names the path") {
  auto dotdot = check_path_component("..", "a/../b");
  REQUIRE_FALSE(dotdot.ok());
  CHECK(dotdot.error().is(Errc::unsafe_path));
  CHECK(dotdot.error().message == "file path escapes download dir: a/../b");
  auto abs = check_path_component("/etc", "/etc");
  REQUIRE_FALSE(abs.ok());
  CHECK(abs.error().message == "file path is absolute: /etc");
  auto nul = check_path_component("a\0b"s, "a\\x00b");
  REQUIRE_FALSE(nul.ok());
  CHECK(nul.error().message == "file path contains a NUL byte: a\\x00b");
  CHECK(check_path_component(".", ".").ok());
  CHECK(check_path_component("...", "...").ok());
  CHECK(check_path_component("a/..", "a/..").ok());  // '/' inside is sanitized, not a separator
}

TEST_CASE("sanitize_file_path joins sanitized components") {
  CHECK(*sanitize({"a", "b", "c.txt"}) == "a/b/c.txt");
  CHECK(*sanitize({"a", ".", "b"}) == "a/b");
  CHECK(*sanitize({"a", "", "b"}) == "a/b");
  CHECK(*sanitize({"a", "b", ""}) == "a/b");
  CHECK(*sanitize({".", "b"}) == "b");
  CHECK(*sanitize({"a/b", "c\\d"}) == "a_b/c_d");
  CHECK(*sanitize({"a\x01", "b\xff"}) == "a_/b_");
}

TEST_CASE("every traversal form is refused with the path as given") {
  CHECK(refusal({"..", "..", "etc", "passwd"}) ==
        "file path escapes download dir: ../../etc/passwd");
  CHECK(refusal({"a", "..", "..", "b"}) == "file path escapes download dir: a/../../b");
  CHECK(refusal({".."}) == "file path escapes download dir: ..");
  CHECK(refusal({"a", ".."}) == "file path escapes download dir: a/..");
  CHECK(refusal({"", "etc", "passwd"}) == "file path is absolute: /etc/passwd");
  CHECK(refusal({"/etc/passwd"}) == "file path is absolute: /etc/passwd");
  CHECK(refusal({"a", "/b"}) == "file path is absolute: a//b");
  CHECK(refusal({"a", "b\0c"s}) == "file path contains a NUL byte: a/b\\x00c");
  CHECK(refusal({"\0"s}) == "file path contains a NUL byte: \\x00");
}

TEST_CASE("a path with nothing left after sanitizing is refused") {
  CHECK(refusal({"."}) == "file path has no usable component: .");
  CHECK(refusal({""}) == "file path has no usable component: ");
  CHECK(refusal({".", "."}) == "file path has no usable component: ./.");
}

TEST_CASE("messages show control bytes escaped") {
  std::vector<std::string_view> parts{"..", "\x1b[2J"};
  CHECK(path_for_message(parts) == "../\\x1b[2J");
  CHECK(printable_path("a\x7f\n") == "a\\x7f\\x0a");
}

TEST_CASE("is_valid_utf8") {
  CHECK(is_valid_utf8(""));
  CHECK(is_valid_utf8("plain"));
  CHECK(is_valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x8e\xb5"));
  CHECK_FALSE(is_valid_utf8("\xff"));
  CHECK_FALSE(is_valid_utf8("\xc3"));
  CHECK_FALSE(is_valid_utf8("\xc0\x80"));
  CHECK_FALSE(is_valid_utf8("\xed\xbf\xbf"));
}
