#pragma once
// events.subscribe: which connection wants which events, and the per-subscription sequence
// number (rises by one for every event that matches the subscription, so a client that sees
// a gap knows it missed something).
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

namespace btd::daemon {

class EventHub {
 public:
  // Events sent to a subscription that names none.
  static const std::set<std::string>& default_events();
  static bool is_known(const std::string& name);

  // `push` delivers a notification to a connection; false when it is gone or too far behind.
  explicit EventHub(std::function<bool(std::uint64_t, const std::string&, nlohmann::json)> push)
      : push_(std::move(push)) {}

  void subscribe(std::uint64_t connection, std::set<std::string> events);
  void unsubscribe(std::uint64_t connection) { subs_.erase(connection); }
  void emit(const std::string& name, nlohmann::json params);
  bool wants(const std::string& name) const;

 private:
  struct Subscription {
    std::set<std::string> events;
    std::uint64_t seq = 0;
  };
  std::function<bool(std::uint64_t, const std::string&, nlohmann::json)> push_;
  std::map<std::uint64_t, Subscription> subs_;
};

}  // namespace btd::daemon
