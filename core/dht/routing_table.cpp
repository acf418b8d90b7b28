#include "core/dht/routing_table.hpp"

#include <algorithm>

namespace btd::dht {

RoutingTable::RoutingTable(NodeId our_id, RoutingConfig config) : our_id_(our_id), config_(config) {
  buckets_.emplace_back();
}

std::size_t RoutingTable::bucket_index(const NodeId& id) const noexcept {
  const auto prefix = static_cast<std::size_t>(common_prefix_bits(our_id_, id));
  return std::min(prefix, buckets_.size() - 1);
}

NodeStatus RoutingTable::status(const TableNode& n, TimePoint now) const noexcept {
  if (n.failures >= config_.failures_to_bad) return NodeStatus::bad;
  if (n.last_seen != TimePoint{} && now - n.last_seen < config_.questionable_after) return NodeStatus::good;
  return NodeStatus::questionable;
}

void RoutingTable::split_last() {
  // The last bucket covers every id sharing at least (size - 1) bits with ours; the new last one
  // takes those sharing more.
  const std::size_t new_index = buckets_.size();
  buckets_.emplace_back();
  Bucket& old_bucket = buckets_[new_index - 1];
  Bucket& fresh = buckets_[new_index];
  fresh.last_changed = old_bucket.last_changed;
  auto moves = [&](const TableNode& n) {
    return static_cast<std::size_t>(common_prefix_bits(our_id_, n.info.id)) >= new_index;
  };
  for (auto* list : {&old_bucket.nodes, &old_bucket.replacements}) {
    std::vector<TableNode> keep;
    for (TableNode& n : *list) {
      if (!moves(n)) keep.push_back(n);
      else if (list == &old_bucket.nodes) fresh.nodes.push_back(n);
      else fresh.replacements.push_back(n);
    }
    *list = std::move(keep);
  }
}

void RoutingTable::add_replacement(Bucket& b, const TableNode& n) {
  auto same = [&](const TableNode& r) { return r.info.id == n.info.id || r.info.address == n.info.address; };
  b.replacements.erase(std::remove_if(b.replacements.begin(), b.replacements.end(), same), b.replacements.end());
  b.replacements.push_back(n);
  if (b.replacements.size() > config_.replacements) b.replacements.erase(b.replacements.begin());
}

RoutingTable::Update RoutingTable::on_response(const NodeInfo& node, TimePoint now) {
  Update u;
  if (node.id == our_id_ || node.address.port == 0) return u;
  // The same address under a new id: the old entry goes (a restarted node, or a liar).
  for (Bucket& b : buckets_) {
    for (auto it = b.nodes.begin(); it != b.nodes.end(); ++it) {
      if (it->info.address == node.address && it->info.id != node.id) {
        b.nodes.erase(it);
        break;
      }
    }
  }
  for (;;) {
    Bucket& b = buckets_[bucket_index(node.id)];
    auto it = std::find_if(b.nodes.begin(), b.nodes.end(), [&](const TableNode& n) { return n.info.id == node.id; });
    if (it != b.nodes.end()) {
      // A known id answering from another address is not believed unless the old one is dead:
      // otherwise anyone could redirect a good node's traffic.
      if (it->info.address != node.address && status(*it, now) != NodeStatus::bad) return u;
      it->info.address = node.address;
      it->last_seen = now;
      it->failures = 0;
      b.last_changed = now;
      return u;
    }
    TableNode fresh{node, now, 0};
    if (b.nodes.size() < config_.k) {
      b.nodes.push_back(fresh);
      b.last_changed = now;
      u.added = true;
      return u;
    }
    auto bad = std::find_if(b.nodes.begin(), b.nodes.end(),
                            [&](const TableNode& n) { return status(n, now) == NodeStatus::bad; });
    if (bad != b.nodes.end()) {
      *bad = fresh;
      b.last_changed = now;
      u.added = true;
      return u;
    }
    if (&b == &buckets_.back() && buckets_.size() < 160) {
      split_last();
      continue;  // one of the two halves may have room now
    }
    add_replacement(b, fresh);
    const TableNode* oldest = nullptr;
    for (const TableNode& n : b.nodes)
      if (status(n, now) == NodeStatus::questionable && (oldest == nullptr || n.last_seen < oldest->last_seen))
        oldest = &n;
    if (oldest != nullptr) u.ping = oldest->info;
    return u;
  }
}

void RoutingTable::on_query(const NodeInfo& node, TimePoint now) {
  Bucket& b = buckets_[bucket_index(node.id)];
  for (TableNode& n : b.nodes) {
    if (n.info.id == node.id && n.info.address == node.address) {
      if (n.last_seen != TimePoint{}) n.last_seen = now;  // it has answered before: still good
      return;
    }
  }
}

void RoutingTable::on_failure(const NodeAddress& address) {
  for (Bucket& b : buckets_) {
    b.replacements.erase(std::remove_if(b.replacements.begin(), b.replacements.end(),
                                        [&](const TableNode& r) { return r.info.address == address; }),
                         b.replacements.end());
    for (auto it = b.nodes.begin(); it != b.nodes.end(); ++it) {
      if (it->info.address != address) continue;
      ++it->failures;
      if (it->failures >= config_.failures_to_bad && !b.replacements.empty()) {
        *it = b.replacements.back();
        b.replacements.pop_back();
      }
      return;
    }
  }
}

bool RoutingTable::has_room_for(const NodeId& id, TimePoint now) const {
  if (id == our_id_) return false;
  const std::size_t i = bucket_index(id);
  const Bucket& b = buckets_[i];
  if (b.nodes.size() < config_.k) return true;
  if (i == buckets_.size() - 1 && buckets_.size() < 160) return true;
  return std::any_of(b.nodes.begin(), b.nodes.end(), [&](const TableNode& n) { return status(n, now) == NodeStatus::bad; });
}

bool RoutingTable::contains(const NodeAddress& address) const {
  for (const Bucket& b : buckets_)
    for (const TableNode& n : b.nodes)
      if (n.info.address == address) return true;
  return false;
}

const TableNode* RoutingTable::find(const NodeId& id) const {
  const Bucket& b = buckets_[bucket_index(id)];
  for (const TableNode& n : b.nodes)
    if (n.info.id == id) return &n;
  return nullptr;
}

std::vector<NodeInfo> RoutingTable::closest(const NodeId& target, std::size_t n, TimePoint now) const {
  std::vector<NodeInfo> out;
  for (const Bucket& b : buckets_)
    for (const TableNode& node : b.nodes)
      if (status(node, now) != NodeStatus::bad) out.push_back(node.info);
  const std::size_t keep = std::min(n, out.size());
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(),
                    [&](const NodeInfo& a, const NodeInfo& b) { return closer(target, a.id, b.id); });
  out.resize(keep);
  return out;
}

std::vector<NodeInfo> RoutingTable::questionable(std::size_t n, TimePoint now) const {
  std::vector<const TableNode*> found;
  for (const Bucket& b : buckets_)
    for (const TableNode& node : b.nodes)
      if (status(node, now) == NodeStatus::questionable) found.push_back(&node);
  std::sort(found.begin(), found.end(), [](const TableNode* a, const TableNode* b) { return a->last_seen < b->last_seen; });
  std::vector<NodeInfo> out;
  for (std::size_t i = 0; i < found.size() && i < n; ++i) out.push_back(found[i]->info);
  return out;
}

std::vector<int> RoutingTable::idle_buckets(std::chrono::seconds idle, TimePoint now) const {
  std::vector<int> out;
  for (std::size_t i = 0; i < buckets_.size(); ++i)
    if (now - buckets_[i].last_changed >= idle) out.push_back(static_cast<int>(i));
  return out;
}

void RoutingTable::mark_bucket_refreshed(int prefix, TimePoint now) {
  if (prefix >= 0 && static_cast<std::size_t>(prefix) < buckets_.size())
    buckets_[static_cast<std::size_t>(prefix)].last_changed = now;
}

std::size_t RoutingTable::size() const noexcept {
  std::size_t n = 0;
  for (const Bucket& b : buckets_) n += b.nodes.size();
  return n;
}

std::size_t RoutingTable::good_count(TimePoint now) const {
  std::size_t n = 0;
  for (const Bucket& b : buckets_)
    for (const TableNode& node : b.nodes) n += status(node, now) == NodeStatus::good ? 1 : 0;
  return n;
}

std::size_t RoutingTable::replacement_count() const noexcept {
  std::size_t n = 0;
  for (const Bucket& b : buckets_) n += b.replacements.size();
  return n;
}

std::vector<NodeInfo> RoutingTable::all() const {
  std::vector<NodeInfo> out;
  for (const Bucket& b : buckets_)
    for (const TableNode& node : b.nodes) out.push_back(node.info);
  return out;
}

}  // namespace btd::dht
