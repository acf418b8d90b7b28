#include "core/dht/lookup.hpp"

#include <algorithm>

namespace btd::dht {

Lookup::Lookup(Kind kind, NodeId target, LookupConfig config) : kind_(kind), target_(target), config_(config) {}

Lookup::Candidate* Lookup::find(const NodeAddress& a) {
  for (auto* list : {&candidates_, &bootstrap_})
    for (Candidate& c : *list)
      if (c.address == a) return &c;
  return nullptr;
}

void Lookup::add_candidate(const NodeInfo& node) {
  if (node.address.port == 0 || find(node.address) != nullptr) return;
  auto pos = std::lower_bound(candidates_.begin(), candidates_.end(), node.id,
                              [&](const Candidate& c, const NodeId& id) { return closer(target_, *c.id, id); });
  if (pos != candidates_.end() && *pos->id == node.id) return;  // the same id at another address: first one wins
  Candidate c;
  c.id = node.id;
  c.address = node.address;
  candidates_.insert(pos, c);
  trim();
}

void Lookup::add_bootstrap(const NodeAddress& address) {
  if (address.port == 0 || find(address) != nullptr) return;
  Candidate c;
  c.address = address;
  bootstrap_.push_back(c);
}

void Lookup::trim() {
  // Only the farthest fresh or finished candidates go: one in flight is waited for.
  while (candidates_.size() > config_.max_candidates) {
    auto it = std::find_if(candidates_.rbegin(), candidates_.rend(),
                           [](const Candidate& c) { return c.state != State::in_flight; });
    if (it == candidates_.rend()) return;
    candidates_.erase(std::next(it).base());
  }
}

std::vector<NodeAddress> Lookup::next(TimePoint now) {
  std::vector<NodeAddress> out;
  std::size_t busy = 0;
  for (auto* list : {&bootstrap_, &candidates_})
    for (const Candidate& c : *list)
      if (c.state == State::in_flight && now - c.sent < config_.slow_after) ++busy;
  auto send = [&](Candidate& c) {
    c.state = State::in_flight;
    c.sent = now;
    out.push_back(c.address);
    ++busy;
  };
  for (Candidate& c : bootstrap_) {
    if (busy >= config_.alpha) return out;
    if (c.state == State::fresh) send(c);
  }
  // Only the k closest live candidates are worth asking: farther ones cannot improve the result.
  std::size_t live = 0;
  for (Candidate& c : candidates_) {
    if (busy >= config_.alpha || live >= config_.k) break;
    if (c.state == State::failed) continue;
    ++live;
    if (c.state == State::fresh) send(c);
  }
  return out;
}

void Lookup::on_response(const NodeAddress& from, const NodeId& id, const std::vector<NodeInfo>& nodes,
                         const std::optional<std::string>& token) {
  Candidate* c = find(from);
  // A late answer (after its time-out) still counts: the node is alive and its nodes are real.
  if (c == nullptr || (c->state != State::in_flight && c->state != State::failed)) return;
  if (!c->id) {
    // A bootstrap node answered: from now on it is a candidate like any other.
    c->state = State::responded;
    Candidate known = *c;
    known.id = id;
    bootstrap_.erase(bootstrap_.begin() + (c - bootstrap_.data()));
    if (find(from) == nullptr) {
      auto pos = std::lower_bound(candidates_.begin(), candidates_.end(), id,
                                  [&](const Candidate& x, const NodeId& y) { return closer(target_, *x.id, y); });
      c = &*candidates_.insert(pos, known);
    } else {
      c = nullptr;
    }
  } else if (*c->id != id) {
    // It answered under another id than it was listed with: the answer stands, the listing not.
    c->state = State::failed;
    c = nullptr;
  }
  if (c != nullptr) {
    c->state = State::responded;
    if (token) {
      c->token = *token;
      c->has_token = true;
    }
  }
  for (const NodeInfo& n : nodes) add_candidate(n);
}

void Lookup::on_failure(const NodeAddress& from) {
  Candidate* c = find(from);
  if (c != nullptr && c->state == State::in_flight) c->state = State::failed;
}

bool Lookup::done() const noexcept {
  for (const Candidate& c : bootstrap_)
    if (c.state == State::fresh || c.state == State::in_flight) return false;
  std::size_t live = 0;
  for (const Candidate& c : candidates_) {
    if (c.state == State::in_flight) return false;
    if (c.state == State::failed) continue;
    if (live++ >= config_.k) continue;
    if (c.state == State::fresh) return false;
  }
  return true;
}

std::size_t Lookup::in_flight() const noexcept {
  std::size_t n = 0;
  for (auto* list : {&bootstrap_, &candidates_})
    for (const Candidate& c : *list) n += c.state == State::in_flight ? 1 : 0;
  return n;
}

std::size_t Lookup::responded() const noexcept {
  std::size_t n = 0;
  for (const Candidate& c : candidates_) n += c.state == State::responded ? 1 : 0;
  return n;
}

std::vector<std::pair<NodeAddress, std::string>> Lookup::announce_targets() const {
  std::vector<std::pair<NodeAddress, std::string>> out;
  for (const Candidate& c : candidates_) {
    if (out.size() >= config_.k) break;
    if (c.state == State::responded && c.has_token) out.emplace_back(c.address, c.token);
  }
  return out;
}

std::vector<NodeInfo> Lookup::closest_responded() const {
  std::vector<NodeInfo> out;
  for (const Candidate& c : candidates_) {
    if (out.size() >= config_.k) break;
    if (c.state == State::responded) out.push_back({*c.id, c.address});
  }
  return out;
}

}  // namespace btd::dht
