#pragma once
// An iterative lookup (BEP 5, Kademlia): ask the closest nodes known for the target, learn
// closer ones from their answers, ask those, until the k closest nodes heard of have all
// answered (or failed). At most `alpha` queries are in flight, not counting those already slower
// than `slow_after`, so a few dead nodes do not stall it. get_peers lookups also collect the
// tokens of the nodes that answered, for announce_peer to the closest of them.
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/dht/node_address.hpp"

namespace btd::dht {

struct LookupConfig {
  std::size_t alpha = 3;
  std::size_t k = 8;
  std::size_t max_candidates = 100;  // farthest ones beyond this are forgotten
  std::chrono::milliseconds slow_after{1500};
};

class Lookup {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  enum class Kind : std::uint8_t { find_node, get_peers };

  Lookup(Kind kind, NodeId target, LookupConfig config = {});

  Kind kind() const noexcept { return kind_; }
  const NodeId& target() const noexcept { return target_; }

  // A node heard of (routing table, a reply's "nodes"). Known addresses and ids are ignored.
  void add_candidate(const NodeInfo& node);
  // A node whose id is unknown (a bootstrap router): asked first, never counted among the closest.
  void add_bootstrap(const NodeAddress& address);

  // Addresses to query now; they count as in flight from `now`.
  std::vector<NodeAddress> next(TimePoint now);
  // The node at `from` answered: `id` is who it says it is.
  void on_response(const NodeAddress& from, const NodeId& id, const std::vector<NodeInfo>& nodes,
                   const std::optional<std::string>& token);
  void on_failure(const NodeAddress& from);

  // Nothing in flight and none of the k closest live candidates left to ask.
  bool done() const noexcept;
  std::size_t in_flight() const noexcept;
  std::size_t responded() const noexcept;
  // The k closest nodes that answered with a token, closest first.
  std::vector<std::pair<NodeAddress, std::string>> announce_targets() const;
  // The k closest nodes that answered.
  std::vector<NodeInfo> closest_responded() const;

 private:
  enum class State : std::uint8_t { fresh, in_flight, responded, failed };
  struct Candidate {
    std::optional<NodeId> id;  // unknown for bootstrap nodes until they answer
    NodeAddress address;
    State state = State::fresh;
    TimePoint sent{};
    std::string token;
    bool has_token = false;
  };
  Candidate* find(const NodeAddress& a);
  void trim();

  Kind kind_;
  NodeId target_;
  LookupConfig config_;
  std::vector<Candidate> bootstrap_;
  std::vector<Candidate> candidates_;  // sorted by distance to target
};

}  // namespace btd::dht
