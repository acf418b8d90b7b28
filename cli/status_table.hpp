#pragma once
// btctl's tables: torrent.status, torrent.peers and torrent.files results rendered as text that
// fits the terminal. The renderers are pure (result JSON and width in, text out) so they can be
// tested; they never throw on a result with missing or mistyped fields, they show "-" or 0.
#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace btd::cli {

// Names, paths and peer client strings come from whoever made the torrent or runs the peer:
// control characters (ESC would let them drive the terminal) and bytes that are not UTF-8
// become '?'.
std::string sanitize_for_terminal(std::string_view text);
// Columns taken by sanitized text: one per code point (wide CJK glyphs count as one).
std::size_t display_width(std::string_view sanitized);
// At most `columns` code points; a cut string ends in "..." (or is just dots when columns < 4).
std::string truncate_to_width(std::string_view sanitized, std::size_t columns);

// stdout's width when it is a terminal (TIOCGWINSZ), else 120.
std::size_t terminal_width();

// Columns ID (first 8 hex digits, enough for every id-taking command), NAME (shrunk to fit
// `width`), STATE, PROGRESS (bar and %), SIZE, DOWN, UP, PEERS, ETA; then one line per torrent
// in error with its message. "no torrents" when the list is empty.
std::string render_status_table(const nlohmann::json& status_result, std::size_t width);
// ADDRESS, CLIENT, PROGRESS, DOWN, UP, FLAGS; "no peers" when empty.
std::string render_peers_table(const nlohmann::json& peers_result, std::size_t width);
// PATH (shrunk to fit), SIZE, PROGRESS (bar and %); "no files" when empty.
std::string render_files_table(const nlohmann::json& files_result, std::size_t width);

// For `status --watch`: every listed torrent has all its pieces or is seeding.
bool all_complete(const nlohmann::json& status_result);

}  // namespace btd::cli
