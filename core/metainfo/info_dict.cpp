#include "core/metainfo/info_dict.hpp"

#include <string>
#include <vector>

#include "core/metainfo/file_path.hpp"
#include "core/metainfo/path_collisions.hpp"

namespace btd::detail {
namespace {

using bencode::Node;

Error invalid(std::string message) { return Error(Errc::invalid_metainfo, std::move(message)); }

std::string field(std::string_view parent, std::string_view key) {
  return std::string(parent) + "." + std::string(key);
}

// A required integer field: names the field when it is missing or of the wrong type.
Result<std::int64_t> require_int(const Node& dict, std::string_view parent, std::string_view key) {
  const Node n = dict.dict_find(key);
  if (!n) return invalid(field(parent, key) + " is missing");
  if (!n.is_int()) return invalid(field(parent, key) + " is not an integer");
  return n.int_value();
}

bool is_power_of_two(std::int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

Result<std::string> parse_name(const Node& info) {
  std::string_view given;
  // BEP 3 names are meant to be UTF-8 already; "name.utf-8" is what some creators add when
  // "name" is in a legacy code page. Only trust it when it really is UTF-8.
  const auto utf8 = info.dict_find_string("name.utf-8");
  if (utf8 && !utf8->empty() && is_valid_utf8(*utf8)) {
    given = *utf8;
  } else {
    const Node n = info.dict_find("name");
    if (!n) return invalid("info.name is missing");
    if (!n.is_string()) return invalid("info.name is not a string");
    given = n.string_value();
    if (given.empty()) return invalid("info.name is empty");
  }
  auto safe = check_path_component(given, printable_path(given));
  if (!safe) return Error(safe.error().code, "info.name: " + safe.error().message);
  std::string name = sanitize_path_component(given);
  if (name.empty())
    return Error(Errc::unsafe_path,
                 "info.name \"" + printable_path(given) + "\" does not name a file or directory");
  return name;
}

Result<std::int64_t> parse_piece_length(const Node& info, std::vector<std::string>& warnings) {
  auto pl = require_int(info, "info", "piece length");
  if (!pl) return pl;
  const std::int64_t v = *pl;
  if (v <= 0) return invalid("info.piece length " + std::to_string(v) + " must be positive");
  if (v > kMaxPieceLength)
    return invalid("info.piece length " + std::to_string(v) + " is larger than the " +
                   std::to_string(kMaxPieceLength / (1024 * 1024)) + " MiB limit");
  if (!is_power_of_two(v))
    warnings.push_back("info.piece length " + std::to_string(v) + " is not a power of two");
  if (v < kMinUsualPieceLength)
    warnings.push_back("info.piece length " + std::to_string(v) + " is smaller than 16 KiB");
  return v;
}

// Adds a file length to the running total, refusing negative lengths and totals that would
// overflow (checked before adding) or pass kMaxTotalSize.
Result<void> add_length(std::int64_t length, const std::string& what, std::int64_t& total) {
  if (length < 0) return invalid(what + " " + std::to_string(length) + " is negative");
  if (length > kMaxTotalSize - total)
    return invalid(what + " " + std::to_string(length) +
                   " overflows the torrent's total size (limit 2^62 bytes)");
  total += length;
  return {};
}

// The path list of one files entry: "path.utf-8" when it is a usable list of strings, else
// "path", which must be one.
Result<std::vector<std::string_view>> file_components(const Node& entry, const std::string& where) {
  std::vector<std::string_view> components;
  const Node utf8 = entry.dict_find_list("path.utf-8");
  if (utf8 && utf8.size() > 0) {
    components.reserve(utf8.size());
    for (const Node c : utf8.items()) {
      if (!c.is_string()) break;
      components.push_back(c.string_value());
    }
    if (components.size() == utf8.size()) return components;
    components.clear();
  }
  const Node path = entry.dict_find("path");
  if (!path) return invalid(where + ".path is missing");
  if (!path.is_list()) return invalid(where + ".path is not a list");
  if (path.size() == 0) return invalid(where + ".path is empty");
  components.reserve(path.size());
  std::size_t k = 0;
  for (const Node c : path.items()) {
    if (!c.is_string())
      return invalid(where + ".path[" + std::to_string(k) + "] is not a string");
    components.push_back(c.string_value());
    ++k;
  }
  return components;
}

// libtorrent names its pad files ".pad/<size>" and older creators set no attr on them.
bool is_pad(std::string_view attributes, const std::vector<std::string_view>& components) {
  return attributes.find('p') != std::string_view::npos ||
         (components.size() > 1 && components.front() == ".pad");
}

Result<void> parse_files(const Node& files, Metainfo& out) {
  if (!files.is_list()) return invalid("info.files is not a list");
  if (files.size() == 0) return invalid("info.files is empty");
  out.files.reserve(files.size());
  std::int64_t total = 0;
  std::size_t i = 0;
  for (const Node entry : files.items()) {
    const std::string where = "info.files[" + std::to_string(i) + "]";
    if (!entry.is_dict()) return invalid(where + " is not a dict");
    auto length = require_int(entry, where, "length");
    if (!length) return length.error();
    FileEntry file;
    file.offset = total;
    file.size = *length;
    if (auto added = add_length(*length, where + ".length", total); !added) return added.error();

    auto components = file_components(entry, where);
    if (!components) return components.error();
    auto path = sanitize_file_path(*components);
    if (!path) return Error(path.error().code, path.error().message + " (" + where + ".path)");
    file.path = out.name + "/" + *path;
    file.attributes = std::string(entry.dict_find_string("attr").value_or(""));
    file.pad = is_pad(file.attributes, *components);
    out.files.push_back(std::move(file));
    ++i;
  }
  out.total_size = total;
  return check_path_collisions(out.files);
}

Result<void> parse_single_file(const Node& info, Metainfo& out) {
  auto length = require_int(info, "info", "length");
  if (!length) return length.error();
  std::int64_t total = 0;
  if (auto added = add_length(*length, "info.length", total); !added) return added;
  FileEntry file;
  file.path = out.name;
  file.size = total;
  // A lone pad file would be a torrent of nothing: the attr is kept but never marks it pad.
  file.attributes = std::string(info.dict_find_string("attr").value_or(""));
  out.files.push_back(std::move(file));
  out.total_size = total;
  return {};
}

Result<void> parse_pieces(const Node& info, Metainfo& out) {
  const Node pieces = info.dict_find("pieces");
  if (!pieces) return invalid("info.pieces is missing");
  if (!pieces.is_string()) return invalid("info.pieces is not a string");
  const std::string_view hashes = pieces.string_value();
  if (hashes.size() % Sha1Digest::kSize != 0)
    return invalid("info.pieces length " + std::to_string(hashes.size()) +
                   " is not a multiple of 20");
  const std::size_t listed = hashes.size() / Sha1Digest::kSize;
  if (listed > kMaxPieceCount)
    return Error(Errc::limit_exceeded, "info.pieces lists " + std::to_string(listed) +
                                           " pieces, more than the limit of " +
                                           std::to_string(kMaxPieceCount));
  // total_size > 0 and piece_length > 0 here; both are bounded, so no overflow.
  const std::int64_t needed = (out.total_size - 1) / out.piece_length + 1;
  if (needed > std::int64_t{kMaxPieceCount})
    return Error(Errc::limit_exceeded,
                 "torrent of " + std::to_string(out.total_size) + " bytes in " +
                     std::to_string(out.piece_length) + "-byte pieces needs " +
                     std::to_string(needed) + " pieces, more than the limit of " +
                     std::to_string(kMaxPieceCount));
  if (static_cast<std::int64_t>(listed) != needed)
    return invalid("info.pieces lists " + std::to_string(listed) + " piece hashes, but " +
                   std::to_string(out.total_size) + " bytes in " +
                   std::to_string(out.piece_length) + "-byte pieces make " +
                   std::to_string(needed));
  out.piece_hashes = std::string(hashes);
  out.piece_count = static_cast<std::uint32_t>(listed);
  return {};
}

}  // namespace

Result<void> parse_info_node(const Node& info, Metainfo& out) {
  if (!info.is_dict()) return invalid("info is not a dict");

  const bool has_v1 = info.dict_find("pieces") || info.dict_find("length") ||
                      info.dict_find("files");
  const std::optional<std::int64_t> meta_version = info.dict_find_int("meta version");
  if (meta_version && *meta_version != 1 && !has_v1) {
    if (*meta_version == 2)
      return Error(Errc::unsupported_metainfo,
                   "v2-only torrents (BEP 52) are not supported: the info dict has no v1 "
                   "pieces, length or files");
    return Error(Errc::unsupported_metainfo,
                 "info.meta version " + std::to_string(*meta_version) + " is not supported");
  }
  out.hybrid = meta_version == 2;

  auto name = parse_name(info);
  if (!name) return name.error();
  out.name = std::move(*name);

  auto piece_length = parse_piece_length(info, out.warnings);
  if (!piece_length) return piece_length.error();
  out.piece_length = *piece_length;

  if (const Node files = info.dict_find("files")) {
    out.multi_file = true;
    if (auto r = parse_files(files, out); !r) return r;
  } else {
    if (auto r = parse_single_file(info, out); !r) return r;
  }
  if (out.total_size == 0) return invalid("torrent has no data: its files are all empty");

  if (auto r = parse_pieces(info, out); !r) return r;

  out.is_private = info.dict_find_int("private") == 1;
  out.info_bytes = std::string(info.raw());
  out.info_hash = sha1(out.info_bytes);
  return {};
}

}  // namespace btd::detail
