#pragma once
// The DHT's saved state (state_dir/dht.dat): our node id, so the network keeps knowing us by
// it, and the routing table's nodes, so a restart rejoins through them without the bootstrap
// routers. Bencoded: {"id": 20 bytes, "nodes": compact node infos (26 bytes each)}.
#include <string>
#include <string_view>
#include <vector>

#include "core/dht/node_address.hpp"
#include "core/util/result.hpp"

namespace btd::dht {

inline constexpr std::size_t kMaxSavedNodes = 1000;

struct DhtState {
  NodeId id;
  std::vector<NodeInfo> nodes;
};

std::string encode_dht_state(const DhtState& state);
// Strict about the id and the node list's length; at most kMaxSavedNodes are read.
Result<DhtState> parse_dht_state(std::string_view bytes);

}  // namespace btd::dht
