#pragma once
// Shares download and upload bandwidth among peer sockets, sans-I/O: time is handed in and the
// owner applies the grants (resumes reading, sends held piece data). A byte needs tokens from
// the global bucket and from its torrent's bucket, whichever are limited. Sockets that want
// bandwidth wait in line; each tick refills the buckets and gives every waiting socket an equal
// part of each bucket it draws from, so one fast peer cannot take it all. Those not fully
// served go to the back of the line. With no limits nothing waits and nothing needs a tick.
#include <array>
#include <cstdint>
#include <list>
#include <unordered_map>
#include <vector>

#include "core/util/sha1.hpp"
#include "core/util/token_bucket.hpp"

namespace btd::net {

using SocketId = std::uint64_t;
enum class Direction : std::size_t { down = 0, up = 1 };

class RateLimiter {
 public:
  using TimePoint = TokenBucket::TimePoint;
  static constexpr std::uint64_t kAny = TokenBucket::kUnlimited;

  struct Grant {
    SocketId socket = 0;
    Direction direction = Direction::down;
    std::uint64_t bytes = 0;
  };

  // 0 = unlimited.
  void set_rate(Direction d, std::uint64_t rate, TimePoint now);
  void set_rate(const InfoHash& torrent, Direction d, std::uint64_t rate, TimePoint now);
  std::uint64_t rate(Direction d) const noexcept;
  std::uint64_t rate(const InfoHash& torrent, Direction d) const;
  // Whether bytes of this torrent in this direction need tokens at all.
  bool limited(const InfoHash& torrent, Direction d) const;

  // Bytes that went out without waiting (protocol messages): they count, into debt if need be.
  void charge(const InfoHash& torrent, Direction d, std::uint64_t bytes);

  // The socket wants `want` more bytes (kAny: as many as it may get). Replaces its earlier wish
  // in that direction, keeping its place in line.
  void wait(SocketId socket, const InfoHash& torrent, Direction d, std::uint64_t want);
  void cancel(SocketId socket, Direction d);
  void cancel(SocketId socket);
  bool waiting() const noexcept { return !waiters_.empty(); }
  bool is_waiting(SocketId socket, Direction d) const;

  // Refills and shares out. Grants are never larger than the wish and never overdraw a bucket.
  std::vector<Grant> tick(TimePoint now);

 private:
  struct Waiter {
    SocketId socket;
    InfoHash torrent;
    Direction direction;
    std::uint64_t want;
  };
  using Buckets = std::array<TokenBucket, 2>;
  static std::size_t index(Direction d) { return static_cast<std::size_t>(d); }
  TokenBucket* torrent_bucket(const InfoHash& torrent, Direction d);

  Buckets global_;
  std::unordered_map<InfoHash, Buckets> torrents_;
  std::list<Waiter> waiters_;
};

}  // namespace btd::net
