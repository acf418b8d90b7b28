#include "core/dht/dht_state.hpp"

#include "core/bencode/decoder.hpp"
#include "core/bencode/value.hpp"

namespace btd::dht {

std::string encode_dht_state(const DhtState& state) {
  std::string nodes;
  for (std::size_t i = 0; i < state.nodes.size() && i < kMaxSavedNodes; ++i) append_compact(nodes, state.nodes[i]);
  bencode::Dict d;
  d.emplace("id", std::string(state.id.view()));
  d.emplace("nodes", std::move(nodes));
  return bencode::encode(bencode::Value(std::move(d)));
}

Result<DhtState> parse_dht_state(std::string_view bytes) {
  bencode::Limits limits;
  limits.max_depth = 2;
  limits.max_tokens = 16;
  auto doc = bencode::decode(bytes, limits);
  if (!doc) return Error(Errc::invalid_argument, "DHT state: " + doc.error().message);
  const bencode::Node root = doc->root();
  auto id = root.dict_find_string("id");
  auto nodes = root.dict_find_string("nodes");
  if (!id || !NodeId::from_bytes(*id)) return Error(Errc::invalid_argument, "DHT state: no 20-byte \"id\"");
  if (!nodes || nodes->size() % kCompactNodeSize != 0)
    return Error(Errc::invalid_argument, "DHT state: \"nodes\" is not a list of 26-byte node infos");
  DhtState s;
  s.id = *NodeId::from_bytes(*id);
  for (std::size_t at = 0; at < nodes->size() && s.nodes.size() < kMaxSavedNodes; at += kCompactNodeSize) {
    NodeInfo n{*NodeId::from_bytes(nodes->substr(at, 20)), *parse_compact_peer(nodes->substr(at + 20, 6))};
    if (n.address.port != 0) s.nodes.push_back(n);
  }
  return s;
}

}  // namespace btd::dht
