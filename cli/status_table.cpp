#include "cli/status_table.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "cli/format.hpp"
#include "cli/progress_bar.hpp"

namespace btd::cli {
namespace {

using nlohmann::json;

constexpr std::size_t kDefaultWidth = 120;
constexpr std::size_t kMinFlexibleWidth = 8;

// Field readers that tolerate a daemon answer of the wrong shape instead of throwing.
const json* field(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string text_of(const json& j, const char* key) {
  const json* v = field(j, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

std::optional<std::int64_t> int_of(const json& j, const char* key) {
  const json* v = field(j, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_integer() && !v->is_number_unsigned()) return v->get<std::int64_t>();
  if (v->is_number_unsigned()) {
    const auto u = v->get<std::uint64_t>();
    return static_cast<std::int64_t>(
        std::min<std::uint64_t>(u, std::numeric_limits<std::int64_t>::max()));
  }
  if (v->is_number_float()) {
    const double d = v->get<double>();
    if (std::isnan(d)) return std::nullopt;
    if (d >= 9.2e18) return std::numeric_limits<std::int64_t>::max();
    if (d <= -9.2e18) return std::numeric_limits<std::int64_t>::min();
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

double number_of(const json& j, const char* key) {
  const json* v = field(j, key);
  return v != nullptr && v->is_number() ? v->get<double>() : 0.0;
}

const json& list_of(const json& result, const char* key) {
  static const json empty = json::array();
  const json* v = field(result, key);
  return v != nullptr && v->is_array() ? *v : empty;
}

struct Column {
  std::string header;
  bool right_aligned = false;
  bool flexible = false;  // the one column that shrinks (with "...") to fit the width
};

std::string pad(const std::string& cell, std::size_t width, bool right) {
  const std::size_t w = display_width(cell);
  if (w >= width) return cell;
  const std::string fill(width - w, ' ');
  return right ? fill + cell : cell + fill;
}

// Cells must already be sanitized. Columns are as wide as their widest cell; when the line
// would exceed `width`, the flexible column gives up the difference (down to a floor).
std::string render_table(const std::vector<Column>& columns,
                         std::vector<std::vector<std::string>> rows, std::size_t width) {
  constexpr std::size_t kGap = 2;
  std::vector<std::size_t> widths(columns.size());
  for (std::size_t c = 0; c < columns.size(); ++c) {
    widths[c] = display_width(columns[c].header);
    for (const auto& row : rows) widths[c] = std::max(widths[c], display_width(row[c]));
  }
  std::size_t total = kGap * (columns.size() - 1);
  for (auto w : widths) total += w;
  for (std::size_t c = 0; c < columns.size(); ++c) {
    if (!columns[c].flexible || total <= width) continue;
    const std::size_t others = total - widths[c];
    const std::size_t floor = std::max(kMinFlexibleWidth, display_width(columns[c].header));
    const std::size_t fit = width > others ? width - others : 0;
    widths[c] = std::max(floor, std::min(widths[c], fit));
    for (auto& row : rows) row[c] = truncate_to_width(row[c], widths[c]);
  }
  std::string out;
  auto emit = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      if (c > 0) line.append(kGap, ' ');
      line += pad(cells[c], widths[c], columns[c].right_aligned);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  };
  std::vector<std::string> headers;
  for (const auto& col : columns) headers.push_back(col.header);
  emit(headers);
  for (const auto& row : rows) emit(row);
  return out;
}

std::string state_label(const std::string& state) {
  if (state == "fetching_metadata") return "metadata";
  return state.empty() ? "-" : sanitize_for_terminal(state);
}

bool complete(const json& t) {
  return text_of(t, "state") == "seeding" || number_of(t, "progress") >= 1.0;
}

}  // namespace

std::string sanitize_for_terminal(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      out += (b < 0x20 || b == 0x7f) ? '?' : static_cast<char>(b);
      ++i;
      continue;
    }
    // Decode one UTF-8 sequence; reject overlong forms, surrogates and values past U+10FFFF.
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (b >= 0xC2 && b <= 0xDF) { len = 2; cp = b & 0x1Fu; }
    else if (b >= 0xE0 && b <= 0xEF) { len = 3; cp = b & 0x0Fu; }
    else if (b >= 0xF0 && b <= 0xF4) { len = 4; cp = b & 0x07u; }
    bool valid = len != 0 && i + len <= text.size();
    for (std::size_t k = 1; valid && k < len; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (c & 0x3Fu);
    }
    if (valid) {
      if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
          (cp >= 0xD800 && cp <= 0xDFFF))
        valid = false;
    }
    if (!valid) {
      out += '?';
      ++i;
      continue;
    }
    // C1 controls (U+0080..U+009F) include CSI, which some terminals obey like ESC '['.
    if (cp >= 0x80 && cp <= 0x9F) out += '?';
    else out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

std::size_t display_width(std::string_view sanitized) {
  std::size_t n = 0;
  for (char c : sanitized)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

std::string truncate_to_width(std::string_view sanitized, std::size_t columns) {
  if (display_width(sanitized) <= columns) return std::string(sanitized);
  if (columns < 4) return std::string(columns, '.');
  // Keep columns - 3 code points, cutting only at a code point boundary.
  std::size_t kept = 0;
  std::size_t end = 0;
  while (end < sanitized.size()) {
    if ((static_cast<unsigned char>(sanitized[end]) & 0xC0) != 0x80) {
      if (kept == columns - 3) break;
      ++kept;
    }
    ++end;
  }
  return std::string(sanitized.substr(0, end)) + "...";
}

std::size_t terminal_width() {
  if (::isatty(STDOUT_FILENO) == 0) return kDefaultWidth;
  struct winsize ws {};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return kDefaultWidth;
  return ws.ws_col;
}

namespace {

struct StatusText {
  std::string table;
  std::string errors;  // one line per torrent in error, after the table; not fitted to width
};

StatusText render_status_rows(const json& torrents, std::size_t width, std::size_t bar_cells) {
  const std::vector<Column> columns = {
      {"ID", false, false},       {"NAME", false, true},  {"STATE", false, false},
      {"PROGRESS", false, false}, {"SIZE", true, false},  {"DOWN", true, false},
      {"UP", true, false},        {"PEERS", true, false}, {"ETA", true, false},
  };
  std::vector<std::vector<std::string>> rows;
  std::string errors;
  for (const json& t : torrents) {
    const std::string id = sanitize_for_terminal(text_of(t, "id").substr(0, 8));
    std::string name = sanitize_for_terminal(text_of(t, "name"));
    if (name.empty()) name = "-";
    const std::string state = text_of(t, "state");
    const auto size = int_of(t, "size");
    const bool size_known = size.has_value() && !(state == "fetching_metadata" && *size == 0);
    const auto peers = int_of(t, "peers");
    const double progress = number_of(t, "progress");
    rows.push_back({
        id.empty() ? "-" : id,
        name,
        state_label(state),
        bar_cells > 0 ? render_progress(progress, bar_cells) : format_percent(progress),
        size_known ? format_size(*size) : "-",
        format_rate(number_of(t, "download_rate")),
        format_rate(number_of(t, "upload_rate")),
        peers ? std::to_string(*peers) : "-",
        format_duration(int_of(t, "eta_s")),
    });
    const std::string error = text_of(t, "error");
    if (!error.empty())
      errors += (id.empty() ? std::string("-") : id) + ": error: " + sanitize_for_terminal(error) + "\n";
  }
  return {render_table(columns, std::move(rows), width), std::move(errors)};
}

std::size_t widest_line(const std::string& text) {
  std::size_t widest = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    widest = std::max(widest, display_width(std::string_view(text.data() + start, end - start)));
    start = end + 1;
  }
  return widest;
}

}  // namespace

std::string render_status_table(const json& status_result, std::size_t width) {
  const json& torrents = list_of(status_result, "torrents");
  if (torrents.empty()) return "no torrents\n";
  // Room goes first to the whole name, then to the bar: a wide bar, else a short one if that
  // lets the name show in full; when the name must be cut anyway, a short bar, and on a very
  // narrow terminal none (the percentage stays).
  constexpr std::size_t kUnlimited = std::numeric_limits<std::size_t>::max();
  for (std::size_t cells : {20u, 10u}) {
    StatusText text = render_status_rows(torrents, kUnlimited, cells);
    if (widest_line(text.table) <= width) return text.table + text.errors;
  }
  StatusText text = render_status_rows(torrents, width, 10);
  if (widest_line(text.table) > width) text = render_status_rows(torrents, width, 0);
  return text.table + text.errors;
}

std::string render_peers_table(const json& peers_result, std::size_t width) {
  const json& peers = list_of(peers_result, "peers");
  if (peers.empty()) return "no peers\n";
  const std::vector<Column> columns = {
      {"ADDRESS", false, false}, {"CLIENT", false, true}, {"PROGRESS", true, false},
      {"DOWN", true, false},     {"UP", true, false},     {"FLAGS", false, false},
  };
  std::vector<std::vector<std::string>> rows;
  for (const json& p : peers) {
    std::string client = sanitize_for_terminal(text_of(p, "client"));
    rows.push_back({
        sanitize_for_terminal(text_of(p, "address")),
        client.empty() ? "-" : client,
        format_percent(number_of(p, "progress")),
        format_rate(number_of(p, "download_rate")),
        format_rate(number_of(p, "upload_rate")),
        sanitize_for_terminal(text_of(p, "flags")),
    });
  }
  return render_table(columns, std::move(rows), width);
}

std::string render_files_table(const json& files_result, std::size_t width) {
  const json& files = list_of(files_result, "files");
  if (files.empty()) return "no files\n";
  // # is the index torrent.set_files and `btctl files --skip` take (pad files, not listed,
  // have indexes too, so it can jump).
  const std::vector<Column> columns = {{"#", true, false},        {"PATH", false, true},
                                       {"SIZE", true, false},     {"PRIORITY", false, false},
                                       {"PROGRESS", false, false}};
  std::vector<std::vector<std::string>> rows;
  for (const json& f : files) {
    const auto size = int_of(f, "size");
    const auto index = int_of(f, "index");
    const std::string priority = text_of(f, "priority");
    rows.push_back({
        index ? std::to_string(*index) : "-",
        sanitize_for_terminal(text_of(f, "path")),
        size ? format_size(*size) : "-",
        priority.empty() ? "-" : sanitize_for_terminal(priority),
        render_progress(number_of(f, "progress"), 20),
    });
  }
  return render_table(columns, std::move(rows), width);
}

bool all_complete(const json& status_result) {
  const json& torrents = list_of(status_result, "torrents");
  return std::all_of(torrents.begin(), torrents.end(), complete);
}

}  // namespace btd::cli
