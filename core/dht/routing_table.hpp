#pragma once
// The DHT routing table (BEP 5): k-buckets covering the id space by shared prefix with our id.
// Bucket i holds nodes sharing exactly i leading bits with us; the last bucket holds everything
// closer, and it is the only one that splits when full, so the table knows our neighbourhood
// best. A node is good while it has answered us in the last 15 minutes, questionable after,
// bad after repeated failures; bad nodes give way to newcomers, and a full bucket keeps a few
// replacements for when one of its nodes goes bad. Time is handed in.
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/dht/node_address.hpp"

namespace btd::dht {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

struct RoutingConfig {
  std::size_t k = 8;
  std::size_t replacements = 8;  // per bucket
  std::chrono::seconds questionable_after{15 * 60};
  int failures_to_bad = 2;
};

enum class NodeStatus : std::uint8_t { good, questionable, bad };

struct TableNode {
  NodeInfo info;
  TimePoint last_seen{};  // the last answer to one of our queries, or query from a confirmed node
  int failures = 0;       // queries in a row that got no answer
};

class RoutingTable {
 public:
  explicit RoutingTable(NodeId our_id, RoutingConfig config = {});

  const NodeId& our_id() const noexcept { return our_id_; }

  struct Update {
    bool added = false;              // new in the table (not a refresh, not a replacement entry)
    std::optional<NodeInfo> ping;    // a questionable node of the full bucket: ping it, and if it
                                     // fails, the newcomer waiting in the replacements takes its place
  };
  // The node answered a query of ours.
  Update on_response(const NodeInfo& node, TimePoint now);
  // The node sent us a query: refreshes it if it is in the table and has answered before.
  void on_query(const NodeInfo& node, TimePoint now);
  // A query to this address got no answer.
  void on_failure(const NodeAddress& address);

  NodeStatus status(const TableNode& node, TimePoint now) const noexcept;
  // Whether a node with this id would find room (a free or bad slot, or a split).
  bool has_room_for(const NodeId& id, TimePoint now) const;
  bool contains(const NodeAddress& address) const;
  const TableNode* find(const NodeId& id) const;

  // Up to n nodes that are not bad, closest to target first.
  std::vector<NodeInfo> closest(const NodeId& target, std::size_t n, TimePoint now) const;
  // Questionable nodes not seen for the longest time, up to n.
  std::vector<NodeInfo> questionable(std::size_t n, TimePoint now) const;
  // Prefix lengths of buckets nothing was heard from for `idle`: refresh targets.
  std::vector<int> idle_buckets(std::chrono::seconds idle, TimePoint now) const;
  void mark_bucket_refreshed(int prefix, TimePoint now);

  std::size_t size() const noexcept;
  std::size_t good_count(TimePoint now) const;
  std::size_t bucket_count() const noexcept { return buckets_.size(); }
  std::size_t replacement_count() const noexcept;
  std::vector<NodeInfo> all() const;

 private:
  struct Bucket {
    std::vector<TableNode> nodes;
    std::vector<TableNode> replacements;  // newest last
    TimePoint last_changed{};
  };
  std::size_t bucket_index(const NodeId& id) const noexcept;
  void split_last();
  void add_replacement(Bucket& b, const TableNode& n);

  NodeId our_id_;
  RoutingConfig config_;
  std::vector<Bucket> buckets_;
};

}  // namespace btd::dht
