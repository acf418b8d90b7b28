#pragma once
// The UDP side of tracker announces (BEP 15): one IPv4 and one IPv6 uv_udp_t shared by every
// announce of the session. Each announce is a core UdpAnnounce; this class turns its effects
// into datagrams and one shared timer, routes replies to it by source address and transaction
// id, resolves tracker host names with uv_getaddrinfo (cached), and keeps each tracker's
// connection id for the next announce to it, as BEP 15 allows for a minute.
//
// Lifetimes follow libuv's rule: handle memory is freed in close callbacks. A callback never
// runs after cancel(), close() or destruction. Single-threaded: call on the loop's thread.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <uv.h>

#include "core/tracker/announce_request.hpp"
#include "core/tracker/announce_response.hpp"
#include "core/util/result.hpp"

namespace btd::daemon {

struct UdpTrackerOptions {
  // BEP 15's schedule (15 s * 2^n, n up to 8); tests shorten it.
  std::int64_t base_timeout_ms = 15'000;
  int max_retransmits = 8;
  std::int64_t dns_cache_ms = 5 * 60'000;
  tracker::ResponseLimits limits;
};

// host, port of a "udp://host:port[/path]" URL; host without IPv6 brackets.
struct UdpTrackerUrl {
  std::string host;
  std::uint16_t port = 0;
};
Result<UdpTrackerUrl> parse_udp_tracker_url(std::string_view url);

class UdpTrackerSocket {
 public:
  using Callback = std::function<void(Result<tracker::AnnounceResponse>)>;

  explicit UdpTrackerSocket(uv_loop_t* loop, UdpTrackerOptions options = {});
  // Calls close(); run the loop afterwards so the close callbacks free the handles.
  ~UdpTrackerSocket();
  UdpTrackerSocket(const UdpTrackerSocket&) = delete;
  UdpTrackerSocket& operator=(const UdpTrackerSocket&) = delete;

  // Binds an IPv4 socket to 0.0.0.0 and an IPv6 one (IPv6 only) to [::], both on ephemeral
  // ports. Fails only when neither could be bound; a host without IPv6 keeps the IPv4 one.
  Result<void> open();

  // Announces `request` to the tracker at `url` (udp://host:port/...). The callback runs later,
  // never from inside announce(), with the decoded reply (which may carry the tracker's failure
  // text as an error) or why there is none: DNS, no socket of the address's family, send
  // failure, or no answer after the retransmissions. Returns an id for cancel(), or an error
  // when the URL is unusable or the socket is not open.
  Result<std::uint64_t> announce(std::string_view url, tracker::AnnounceRequest request,
                                 Callback callback);

  // Drops an announce; its callback will not run. Unknown or finished ids are ignored.
  void cancel(std::uint64_t id);
  // Cancels everything and closes the sockets and the timer. Idempotent.
  void close();

  std::size_t active_announces() const;
  // Local ports, 0 when that family's socket is not open (for tests and logs).
  std::uint16_t ipv4_port() const;
  std::uint16_t ipv6_port() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace btd::daemon
