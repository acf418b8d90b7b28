#pragma once
// The info dict half of metainfo parsing, shared by parse_metainfo (a dict inside a .torrent)
// and parse_info_dict (bytes fetched for a magnet link).
#include "core/bencode/decoder.hpp"
#include "core/metainfo/metainfo.hpp"

namespace btd::detail {

// Fills every info-derived field of `out` (hash, name, pieces, files, private, hybrid) from the
// info dict node and appends warnings. The node's bytes must stay alive during the call only.
Result<void> parse_info_node(const bencode::Node& info, Metainfo& out);

}  // namespace btd::detail
