#include "core/torrent/peer_exchange.hpp"

#include <set>

namespace btd {

bool PeerExchange::on_received(TimePoint now) {
  if (received_count_ == kReceiveBurst && now - received_.front() < kInterval) return false;
  for (std::size_t i = 0; i + 1 < kReceiveBurst; ++i) received_[i] = received_[i + 1];
  received_.back() = now;
  if (received_count_ < kReceiveBurst) ++received_count_;
  return true;
}

std::optional<wire::PexMessage> PeerExchange::next_message(const std::vector<wire::PexPeer>& current,
                                                           TimePoint now) {
  if (!may_send(now)) return std::nullopt;
  wire::PexMessage m;
  std::set<std::string> present;
  for (const wire::PexPeer& p : current) {
    std::string key = tracker::to_string(p.endpoint);
    if (told_.count(key) == 0 && m.added.size() < kMaxAdded) {
      m.added.push_back(p);
      told_.emplace(key, p.endpoint);
    }
    present.insert(std::move(key));
  }
  for (auto it = told_.begin(); it != told_.end();) {
    if (present.count(it->first) == 0 && m.dropped.size() < kMaxDropped) {
      m.dropped.push_back(it->second);
      it = told_.erase(it);
    } else {
      ++it;
    }
  }
  if (m.added.empty() && m.dropped.empty()) return std::nullopt;
  sent_at_ = now;
  return m;
}

}  // namespace btd
