#include "core/metadata/torrent_from_metadata.hpp"

#include "core/bencode/value.hpp"

namespace btd {

std::vector<std::vector<std::string>> magnet_tracker_tiers(const Magnet& magnet) {
  std::vector<std::vector<std::string>> tiers;
  for (const std::string& url : magnet.trackers)
    if (!url.empty()) tiers.push_back({url});
  return tiers;
}

Metainfo placeholder_metainfo(const Magnet& magnet) {
  Metainfo m;
  m.info_hash = magnet.info_hash;
  m.name = magnet.display_name.empty() ? magnet.info_hash.hex() : magnet.display_name;
  m.trackers = magnet_tracker_tiers(magnet);
  m.url_list = magnet.web_seeds;
  return m;
}

Result<TorrentFromMagnet> torrent_from_metadata(const Magnet& magnet, std::string_view info_dict) {
  if (sha1(info_dict) != magnet.info_hash)
    return Error(Errc::invalid_metainfo, "the info dict does not match the magnet's info-hash " + magnet.info_hash.hex());
  bencode::Dict root;
  const auto tiers = magnet_tracker_tiers(magnet);
  if (!tiers.empty()) {
    root["announce"] = tiers.front().front();
    bencode::List announce_list;
    for (const auto& tier : tiers) {
      bencode::List urls;
      for (const std::string& url : tier) urls.emplace_back(url);
      announce_list.emplace_back(std::move(urls));
    }
    root["announce-list"] = std::move(announce_list);
  }
  if (!magnet.web_seeds.empty()) {
    bencode::List seeds;
    for (const std::string& url : magnet.web_seeds) seeds.emplace_back(url);
    root["url-list"] = std::move(seeds);
  }
  root["info"] = bencode::Raw{std::string(info_dict)};  // verbatim: its hash is the torrent's identity
  TorrentFromMagnet out;
  out.torrent_bytes = bencode::encode(root);
  auto meta = parse_metainfo(out.torrent_bytes);
  if (!meta) return meta.error();
  if (meta->info_hash != magnet.info_hash)  // the parser hashes the same bytes; a guard, not a path
    return Error(Errc::invalid_metainfo, "the fetched info dict hashes to " + meta->info_hash.hex() + ", not " +
                                             magnet.info_hash.hex());
  out.meta = std::move(*meta);
  return out;
}

}  // namespace btd
