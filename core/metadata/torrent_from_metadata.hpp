#pragma once
// A magnet link before and after its info dict is known, as the Metainfo the rest of btd works
// with. Before: a placeholder with the info-hash, the display name and the trackers, and no
// pieces or files. After: a real .torrent file, stored and parsed exactly like an added one, so
// a restart needs neither the magnet nor the peers that served the metadata.
#include <string>
#include <string_view>

#include "core/magnet/magnet.hpp"
#include "core/metainfo/metainfo.hpp"
#include "core/util/result.hpp"

namespace btd {

// The magnet's `tr` trackers as metainfo tiers: one tier each, in the magnet's order (BEP 12
// then tries them one after the other, as a magnet link gives no tiers).
std::vector<std::vector<std::string>> magnet_tracker_tiers(const Magnet& magnet);

// What status shows while the metadata is fetched: name from `dn`, else the info-hash in hex;
// size, pieces and files all zero.
Metainfo placeholder_metainfo(const Magnet& magnet);

struct TorrentFromMagnet {
  std::string torrent_bytes;  // bencoded: announce, announce-list, url-list, info (verbatim)
  Metainfo meta;              // parse_metainfo(torrent_bytes)
};

// Builds the .torrent for a fetched info dict. Errors: Errc::invalid_metainfo when the dict's
// SHA-1 is not the magnet's info-hash, or the parse error of a dict that hashes right but is
// not a valid torrent (a hostile swarm can serve one; the torrent then goes to state error).
Result<TorrentFromMagnet> torrent_from_metadata(const Magnet& magnet, std::string_view info_dict);

}  // namespace btd
