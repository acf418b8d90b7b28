#include "core/metainfo/metainfo.hpp"

#include <unordered_set>

#include "core/bencode/decoder.hpp"
#include "core/metainfo/info_dict.hpp"

namespace btd {
namespace {

using bencode::Node;

Result<void> check_input_size(std::string_view bytes, std::string_view what) {
  if (bytes.size() > kMaxTorrentFileBytes)
    return Error(Errc::limit_exceeded, std::string(what) + " of " + std::to_string(bytes.size()) +
                                           " bytes is larger than the 64 MiB limit");
  return {};
}

// Optional fields below are advisory: a wrong type is ignored, as libtorrent does, because
// refusing a torrent over a malformed comment helps nobody.

// "<key>.utf-8" if it is a string, else "<key>" if it is a string.
std::string string_preferring_utf8(const Node& root, std::string_view key) {
  if (auto v = root.dict_find_string(std::string(key) + ".utf-8")) return std::string(*v);
  return std::string(root.dict_find_string(key).value_or(""));
}

std::vector<std::vector<std::string>> parse_trackers(const Node& root) {
  std::vector<std::vector<std::string>> tiers;
  std::unordered_set<std::string_view> seen;
  for (const Node tier_node : root.dict_find_list("announce-list").items()) {
    std::vector<std::string> tier;
    for (const Node url : tier_node.items()) {  // a tier that is not a list has no items
      if (!url.is_string() || url.string_value().empty()) continue;
      if (!seen.insert(url.string_value()).second) continue;
      tier.emplace_back(url.string_value());
    }
    if (!tier.empty()) tiers.push_back(std::move(tier));
  }
  if (tiers.empty()) {
    const auto announce = root.dict_find_string("announce");
    if (announce && !announce->empty()) tiers.push_back({std::string(*announce)});
  }
  return tiers;
}

std::vector<std::string> parse_url_list(const Node& root) {
  std::vector<std::string> urls;
  const Node node = root.dict_find("url-list");
  if (node.is_string()) {
    if (!node.string_value().empty()) urls.emplace_back(node.string_value());
    return urls;
  }
  std::unordered_set<std::string_view> seen;
  for (const Node url : node.items()) {
    if (!url.is_string() || url.string_value().empty()) continue;
    if (seen.insert(url.string_value()).second) urls.emplace_back(url.string_value());
  }
  return urls;
}

}  // namespace

Sha1Digest Metainfo::piece_hash(PieceIndex i) const {
  Sha1Digest d;
  if (i.get() >= piece_count) return d;
  const std::size_t at = std::size_t{i.get()} * Sha1Digest::kSize;
  if (at + Sha1Digest::kSize > piece_hashes.size()) return d;
  Sha1Digest::from_bytes(std::string_view(piece_hashes).substr(at, Sha1Digest::kSize), d);
  return d;
}

std::int64_t Metainfo::piece_size(PieceIndex i) const {
  if (i.get() >= piece_count) return 0;
  if (i.get() + 1 < piece_count) return piece_length;
  return total_size - piece_length * static_cast<std::int64_t>(piece_count - 1);
}

Result<Metainfo> parse_metainfo(std::string_view torrent_file_bytes) {
  if (auto size_ok = check_input_size(torrent_file_bytes, "torrent file"); !size_ok)
    return size_ok.error();
  auto doc = bencode::decode(torrent_file_bytes);
  if (!doc) return Error(doc.error().code, "invalid torrent: " + doc.error().message);
  const Node root = doc->root();
  if (!root.is_dict()) return Error(Errc::invalid_metainfo, "torrent file is not a bencoded dict");
  const Node info = root.dict_find("info");
  if (!info) return Error(Errc::invalid_metainfo, "torrent has no info dict");

  Metainfo m;
  if (auto r = detail::parse_info_node(info, m); !r) return r.error();
  m.trackers = parse_trackers(root);
  m.url_list = parse_url_list(root);
  m.creation_date = root.dict_find_int("creation date");
  m.comment = string_preferring_utf8(root, "comment");
  m.created_by = string_preferring_utf8(root, "created by");
  return m;
}

Result<Metainfo> parse_info_dict(std::string_view info_dict_bytes) {
  if (auto size_ok = check_input_size(info_dict_bytes, "info dict"); !size_ok)
    return size_ok.error();
  auto doc = bencode::decode(info_dict_bytes);
  if (!doc) return Error(doc.error().code, "invalid info dict: " + doc.error().message);
  Metainfo m;
  if (auto r = detail::parse_info_node(doc->root(), m); !r) return r.error();
  return m;
}

}  // namespace btd
