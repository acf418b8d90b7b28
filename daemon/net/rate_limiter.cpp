#include "daemon/net/rate_limiter.hpp"

#include <algorithm>
#include <map>

namespace btd::net {

void RateLimiter::set_rate(Direction d, std::uint64_t rate, TimePoint now) { global_[index(d)].set_rate(rate, now); }

void RateLimiter::set_rate(const InfoHash& torrent, Direction d, std::uint64_t rate, TimePoint now) {
  auto it = torrents_.find(torrent);
  if (it == torrents_.end()) {
    if (rate == 0) return;
    it = torrents_.emplace(torrent, Buckets{}).first;
  }
  it->second[index(d)].set_rate(rate, now);
  if (it->second[0].unlimited() && it->second[1].unlimited()) torrents_.erase(it);
}

std::uint64_t RateLimiter::rate(Direction d) const noexcept { return global_[index(d)].rate(); }

std::uint64_t RateLimiter::rate(const InfoHash& torrent, Direction d) const {
  auto it = torrents_.find(torrent);
  return it == torrents_.end() ? 0 : it->second[index(d)].rate();
}

bool RateLimiter::limited(const InfoHash& torrent, Direction d) const {
  return !global_[index(d)].unlimited() || rate(torrent, d) != 0;
}

TokenBucket* RateLimiter::torrent_bucket(const InfoHash& torrent, Direction d) {
  auto it = torrents_.find(torrent);
  if (it == torrents_.end() || it->second[index(d)].unlimited()) return nullptr;
  return &it->second[index(d)];
}

void RateLimiter::charge(const InfoHash& torrent, Direction d, std::uint64_t bytes) {
  global_[index(d)].charge(bytes);
  if (TokenBucket* b = torrent_bucket(torrent, d)) b->charge(bytes);
}

void RateLimiter::wait(SocketId socket, const InfoHash& torrent, Direction d, std::uint64_t want) {
  for (Waiter& w : waiters_) {
    if (w.socket == socket && w.direction == d) {
      w.want = want;
      w.torrent = torrent;
      return;
    }
  }
  waiters_.push_back(Waiter{socket, torrent, d, want});
}

void RateLimiter::cancel(SocketId socket, Direction d) {
  waiters_.remove_if([&](const Waiter& w) { return w.socket == socket && w.direction == d; });
}

void RateLimiter::cancel(SocketId socket) {
  waiters_.remove_if([&](const Waiter& w) { return w.socket == socket; });
}

bool RateLimiter::is_waiting(SocketId socket, Direction d) const {
  return std::any_of(waiters_.begin(), waiters_.end(),
                     [&](const Waiter& w) { return w.socket == socket && w.direction == d; });
}

std::vector<RateLimiter::Grant> RateLimiter::tick(TimePoint now) {
  for (auto& b : global_) b.refill(now);
  for (auto& [hash, buckets] : torrents_)
    for (auto& b : buckets) b.refill(now);

  // Each bucket's share per waiter is fixed before anyone takes, so the first in line gets no
  // more than the last.
  std::array<std::uint64_t, 2> global_waiters{};
  std::map<const TokenBucket*, std::uint64_t> torrent_share;  // waiters first, then the share
  for (const Waiter& w : waiters_) {
    ++global_waiters[index(w.direction)];
    if (const TokenBucket* b = torrent_bucket(w.torrent, w.direction)) ++torrent_share[b];
  }
  std::array<std::uint64_t, 2> global_share{};
  for (std::size_t i = 0; i < 2; ++i)
    global_share[i] = global_waiters[i] == 0 ? 0 : std::max<std::uint64_t>(global_[i].available() / global_waiters[i], 1);
  for (auto& [bucket, count] : torrent_share) count = std::max<std::uint64_t>(bucket->available() / count, 1);

  std::vector<Grant> grants;
  std::list<Waiter> unserved;
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    Waiter& w = *it;
    TokenBucket& global = global_[index(w.direction)];
    TokenBucket* local = torrent_bucket(w.torrent, w.direction);
    std::uint64_t share = std::min(w.want, global_share[index(w.direction)]);
    if (local) share = std::min(share, torrent_share[local]);
    share = std::min(share, global.available());
    if (local) share = std::min(share, local->available());
    if (share > 0) {
      (void)global.take(share);
      if (local) (void)local->take(share);
      grants.push_back(Grant{w.socket, w.direction, share});
    }
    // Reading sockets (kAny) got their quota and ask again once it is spent.
    if (share > 0 && (w.want == kAny || share >= w.want)) {
      it = waiters_.erase(it);
    } else {
      // The wish shrinks by what it got; whatever it still wants waits at the back.
      if (w.want != kAny) w.want -= share;
      auto next = std::next(it);
      if (share > 0) unserved.splice(unserved.end(), waiters_, it);
      it = next;
    }
  }
  waiters_.splice(waiters_.end(), unserved);
  return grants;
}

}  // namespace btd::net
