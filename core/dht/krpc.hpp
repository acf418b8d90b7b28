#pragma once
// KRPC (BEP 5): the DHT's bencoded messages over UDP. One flat struct carries a query, a
// response or an error; which fields matter depends on `type` and `method`. Parsing is strict
// about what the node acts on (sizes of ids, tokens, compact lists) and bounded everywhere, so
// a hostile packet costs at most its own size in memory.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dht/node_address.hpp"
#include "core/util/result.hpp"
#include "core/util/sha1.hpp"

namespace btd::dht {

inline constexpr std::size_t kMaxPacketSize = 4096;     // larger datagrams are dropped unread
inline constexpr std::size_t kMaxTransactionSize = 16;  // echoed back, so bounded
inline constexpr std::size_t kMaxTokenSize = 64;        // echoed back in announce_peer
inline constexpr std::size_t kMaxNodesPerMessage = 16;  // compact nodes read from one reply
inline constexpr std::size_t kMaxValuesPerMessage = 200;
inline constexpr std::size_t kMaxErrorMessage = 200;

enum class KrpcType : std::uint8_t { query, response, error };
enum class Method : std::uint8_t { ping, find_node, get_peers, announce_peer, unknown };

// BEP 5 error codes.
inline constexpr int kErrorGeneric = 201;
inline constexpr int kErrorServer = 202;
inline constexpr int kErrorProtocol = 203;
inline constexpr int kErrorMethodUnknown = 204;

std::string_view method_name(Method m) noexcept;

struct KrpcMessage {
  KrpcType type = KrpcType::query;
  std::string transaction;  // "t"
  // Queries and responses: the sender's id ("a"/"r" -> "id").
  NodeId id;
  bool read_only = false;  // BEP 43 "ro": do not add the sender to routing tables
  // BEP 42 "ip": the address the responder saw us at.
  std::optional<NodeAddress> your_ip;

  // query
  Method method = Method::unknown;
  std::string method_text;            // as received, for the 204 error
  NodeId target;                      // find_node
  InfoHash info_hash;                 // get_peers, announce_peer
  std::uint16_t port = 0;             // announce_peer
  bool implied_port = false;          // announce_peer: use the UDP source port
  std::string token;                  // announce_peer (query), get_peers (response)

  // response
  std::vector<NodeInfo> nodes;
  std::vector<NodeAddress> values;
  bool has_token = false;

  // error
  int error_code = 0;
  std::string error_message;
};

// Strict where it matters: "y" must be q/r/e, "t" a string of at most 16 bytes, ids exactly 20
// bytes, the arguments of a known method present and well typed, "nodes" a multiple of 26
// bytes. Unknown keys are ignored (BEP 5 allows extensions). Lists longer than the limits above
// are read up to the limit.
Result<KrpcMessage> parse_krpc(std::string_view packet);

// The canonical encoding of `m` (keys sorted), fields chosen by type and method.
std::string encode_krpc(const KrpcMessage& m);

// Shorthands.
KrpcMessage make_query(Method method, std::string transaction, const NodeId& our_id);
KrpcMessage make_response(const std::string& transaction, const NodeId& our_id);
KrpcMessage make_error(const std::string& transaction, int code, std::string message);

}  // namespace btd::dht
