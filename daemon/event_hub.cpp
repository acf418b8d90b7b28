#include "daemon/event_hub.hpp"

namespace btd::daemon {

const std::set<std::string>& EventHub::default_events() {
  // piece.verified can be thousands per second: only those who name it get it.
  static const std::set<std::string> events = {"torrent.added", "torrent.completed", "torrent.error",
                                               "torrent.removed"};
  return events;
}

bool EventHub::is_known(const std::string& name) {
  return default_events().count(name) != 0 || name == "piece.verified";
}

void EventHub::subscribe(std::uint64_t connection, std::set<std::string> events) {
  subs_[connection].events = std::move(events);
}

bool EventHub::wants(const std::string& name) const {
  for (const auto& [c, s] : subs_)
    if (s.events.count(name)) return true;
  return false;
}

void EventHub::emit(const std::string& name, nlohmann::json params) {
  for (auto it = subs_.begin(); it != subs_.end();) {
    Subscription& s = it->second;
    if (!s.events.count(name)) {
      ++it;
      continue;
    }
    nlohmann::json p = params;
    p["seq"] = ++s.seq;
    if (!push_(it->first, name, std::move(p))) {
      it = subs_.erase(it);  // the connection is gone
      continue;
    }
    ++it;
  }
}

}  // namespace btd::daemon
