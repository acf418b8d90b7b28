#include "daemon/tracker/udp_tracker_socket.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "core/tracker/peer_endpoint.hpp"
#include "core/tracker/udp_protocol.hpp"
#include "core/tracker/udp_transaction.hpp"

namespace btd::daemon {

namespace {

using tracker::AddressFamily;

constexpr std::size_t kReceiveBufferSize = 64 * 1024;

struct Socket {
  uv_udp_t handle;
  UdpTrackerSocket::Impl* impl = nullptr;
  AddressFamily family = AddressFamily::ipv4;
  char buffer[kReceiveBufferSize];
};

struct TimerBox {
  uv_timer_t timer;
  UdpTrackerSocket::Impl* impl = nullptr;
};

struct Lookup {
  uv_getaddrinfo_t req;
  std::weak_ptr<UdpTrackerSocket::Impl> impl;  // the socket may be gone when DNS answers
  std::string host;
};

void on_socket_closed(uv_handle_t* handle) { delete static_cast<Socket*>(handle->data); }
void on_timer_closed(uv_handle_t* handle) { delete static_cast<TimerBox*>(handle->data); }

// "1.2.3.4:80" / "[::1]:80": how transactions, connection ids and reply sources are matched.
std::string address_key(const sockaddr* addr) {
  char ip[INET6_ADDRSTRLEN] = {};
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    uv_ip4_name(in, ip, sizeof ip);
    return std::string(ip) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    uv_ip6_name(in6, ip, sizeof ip);
    return "[" + std::string(ip) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return {};
}

void set_port(sockaddr_storage& addr, std::uint16_t port) {
  if (addr.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in&>(addr).sin_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in6&>(addr).sin6_port = htons(port);
  }
}

// A literal IP needs no lookup.
std::optional<sockaddr_storage> literal_address(const std::string& host) {
  sockaddr_storage addr{};
  if (uv_ip4_addr(host.c_str(), 0, reinterpret_cast<sockaddr_in*>(&addr)) == 0) return addr;
  addr = {};
  if (uv_ip6_addr(host.c_str(), 0, reinterpret_cast<sockaddr_in6*>(&addr)) == 0 &&
      host.find('%') == std::string::npos) {
    return addr;
  }
  return std::nullopt;
}

}  // namespace

Result<UdpTrackerUrl> parse_udp_tracker_url(std::string_view url) {
  const std::string_view scheme = "udp://";
  auto bad = [&](const std::string& why) {
    return Error(Errc::invalid_argument, "tracker URL \"" + std::string(url) + "\": " + why);
  };
  if (url.size() < scheme.size() ||
      !std::equal(scheme.begin(), scheme.end(), url.begin(),
                  [](char a, char b) { return a == (b | 0x20); })) {
    return bad("not a udp:// URL");
  }
  std::string_view rest = url.substr(scheme.size());
  rest = rest.substr(0, rest.find_first_of("/?#"));
  UdpTrackerUrl out;
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return bad("unterminated '[' in the host");
    out.host = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
    if (rest.empty() || rest.front() != ':') return bad("no port after the IPv6 address");
    port_text = rest.substr(1);
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) return bad("no port (udp trackers have no default)");
    out.host = std::string(rest.substr(0, colon));
    port_text = rest.substr(colon + 1);
  }
  if (out.host.empty()) return bad("empty host");
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    return bad("port \"" + std::string(port_text) + "\" is not in 1..65535");
  }
  out.port = static_cast<std::uint16_t>(port);
  return out;
}

struct UdpTrackerSocket::Impl : std::enable_shared_from_this<UdpTrackerSocket::Impl> {
  enum class Phase : std::uint8_t { pending, resolving, running };

  struct Transaction {
    std::uint64_t id = 0;
    std::string url;  // for messages
    UdpTrackerUrl target;
    tracker::AnnounceRequest request;
    Callback callback;
    Phase phase = Phase::pending;
    std::optional<tracker::UdpAnnounce> announce;
    sockaddr_storage addr{};
    std::string addr_key;
    std::optional<std::int64_t> wake_at_ms;
  };

  struct Delivery {
    std::uint64_t id;
    Callback callback;
    Result<tracker::AnnounceResponse> result;
  };

  struct DnsEntry {
    std::vector<sockaddr_storage> addrs;
    std::int64_t expires_at_ms = 0;
  };

  uv_loop_t* loop = nullptr;
  UdpTrackerOptions options;
  Socket* v4 = nullptr;
  Socket* v6 = nullptr;
  TimerBox* timer = nullptr;
  bool closed = false;
  std::map<std::uint64_t, Transaction> transactions;
  std::deque<Delivery> outbox;
  std::map<std::string, DnsEntry> dns;
  std::set<Lookup*> lookups;
  std::map<std::string, tracker::UdpConnection> connections;  // by address_key
  std::uint64_t next_id = 1;
  std::mt19937 rng{std::random_device{}()};

  std::int64_t now() const { return static_cast<std::int64_t>(uv_now(loop)); }

  static void on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf);
  static void on_receive(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf,
                         const sockaddr* addr, unsigned flags);
  static void on_timer(uv_timer_t* handle);
  static void on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* result);

  Result<void> bind(Socket*& slot, AddressFamily family);
  void close_socket(Socket*& slot);
  void process_due();
  void begin(Transaction& t);
  void resolve(Transaction& t);
  void start_with(Transaction& t, const std::vector<sockaddr_storage>& addrs);
  void apply(Transaction& t, const tracker::UdpAnnounce::Effects& effects);
  void finish(Transaction& t, Result<tracker::AnnounceResponse> result);
  void reschedule();
  void flush();
  void close();
};

void UdpTrackerSocket::Impl::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  auto* socket = static_cast<Socket*>(handle->data);
  *buf = uv_buf_init(socket->buffer, sizeof socket->buffer);
}

void UdpTrackerSocket::Impl::on_receive(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf,
                                        const sockaddr* addr, unsigned flags) {
  if (nread <= 0 || addr == nullptr || (flags & UV_UDP_PARTIAL) != 0) return;
  auto* socket = static_cast<Socket*>(handle->data);
  auto self = socket->impl->shared_from_this();  // a callback may destroy the owner
  const std::string_view packet(buf->base, static_cast<std::size_t>(nread));
  const auto header = tracker::udp::peek_reply_header(packet);
  if (!header) return;
  const std::string from = address_key(addr);
  for (auto& [id, t] : self->transactions) {
    // The source must be the tracker we asked: anyone can send us a datagram.
    if (t.phase != Phase::running || t.addr_key != from ||
        t.announce->transaction_id() != header->transaction_id) {
      continue;
    }
    self->apply(t, t.announce->on_packet(packet, self->now()));
    break;
  }
  self->reschedule();
  self->flush();
}

void UdpTrackerSocket::Impl::on_timer(uv_timer_t* handle) {
  auto self = static_cast<TimerBox*>(handle->data)->impl->shared_from_this();
  self->process_due();
  self->reschedule();
  self->flush();
}

void UdpTrackerSocket::Impl::process_due() {
  const std::int64_t now_ms = now();
  std::vector<std::uint64_t> due;
  for (const auto& [id, t] : transactions) {
    if (t.wake_at_ms && *t.wake_at_ms <= now_ms) due.push_back(id);
  }
  for (std::uint64_t id : due) {
    auto it = transactions.find(id);
    if (it == transactions.end()) continue;
    Transaction& t = it->second;
    t.wake_at_ms.reset();
    if (t.phase == Phase::pending) {
      begin(t);
    } else if (t.phase == Phase::running) {
      apply(t, t.announce->on_timer(now_ms));
    }
  }
}

void UdpTrackerSocket::Impl::begin(Transaction& t) {
  if (auto literal = literal_address(t.target.host)) {
    start_with(t, {*literal});
    return;
  }
  auto cached = dns.find(t.target.host);
  if (cached != dns.end() && cached->second.expires_at_ms > now()) {
    start_with(t, cached->second.addrs);
    return;
  }
  resolve(t);
}

void UdpTrackerSocket::Impl::resolve(Transaction& t) {
  t.phase = Phase::resolving;
  // One lookup per host at a time; later transactions for it wait for the same answer.
  for (const Lookup* lookup : lookups) {
    if (lookup->host == t.target.host) return;
  }
  auto* lookup = new Lookup{};
  lookup->impl = weak_from_this();
  lookup->host = t.target.host;
  lookup->req.data = lookup;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  const int rc = uv_getaddrinfo(loop, &lookup->req, on_resolved, lookup->host.c_str(), nullptr,
                                &hints);
  if (rc != 0) {
    delete lookup;
    finish(t, Error(Errc::io_error, t.url + ": cannot resolve \"" + t.target.host +
                                        "\": " + uv_strerror(rc)));
    return;
  }
  lookups.insert(lookup);
}

void UdpTrackerSocket::Impl::on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* result) {
  std::unique_ptr<Lookup> lookup(static_cast<Lookup*>(req->data));
  std::vector<sockaddr_storage> addrs;
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
        ai->ai_addrlen > sizeof(sockaddr_storage)) {
      continue;
    }
    sockaddr_storage addr{};
    std::memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
    addrs.push_back(addr);
  }
  uv_freeaddrinfo(result);
  auto self = lookup->impl.lock();
  if (!self || self->closed) return;
  self->lookups.erase(lookup.get());
  if (status == 0 && !addrs.empty()) {
    self->dns[lookup->host] = DnsEntry{addrs, self->now() + self->options.dns_cache_ms};
  }
  std::vector<std::uint64_t> waiting;
  for (const auto& [id, t] : self->transactions) {
    if (t.phase == Phase::resolving && t.target.host == lookup->host) waiting.push_back(id);
  }
  for (std::uint64_t id : waiting) {
    auto it = self->transactions.find(id);
    if (it == self->transactions.end()) continue;
    Transaction& t = it->second;
    if (addrs.empty()) {
      const std::string why = status != 0 ? uv_strerror(status) : "no IPv4 or IPv6 address";
      self->finish(t, Error(Errc::io_error, t.url + ": cannot resolve \"" + lookup->host +
                                                "\": " + why));
    } else {
      self->start_with(t, addrs);
    }
  }
  self->reschedule();
  self->flush();
}

void UdpTrackerSocket::Impl::start_with(Transaction& t, const std::vector<sockaddr_storage>& addrs) {
  // getaddrinfo's order is the system's preference (RFC 6724); take the first we can reach.
  const sockaddr_storage* chosen = nullptr;
  for (const auto& addr : addrs) {
    if ((addr.ss_family == AF_INET && v4 != nullptr) ||
        (addr.ss_family == AF_INET6 && v6 != nullptr)) {
      chosen = &addr;
      break;
    }
  }
  if (chosen == nullptr) {
    finish(t, Error(Errc::io_error, t.url + ": no open UDP socket of the address family of \"" +
                                        t.target.host + "\""));
    return;
  }
  t.addr = *chosen;
  set_port(t.addr, t.target.port);
  t.addr_key = address_key(reinterpret_cast<const sockaddr*>(&t.addr));
  tracker::UdpAnnounce::Config config;
  config.family = t.addr.ss_family == AF_INET ? AddressFamily::ipv4 : AddressFamily::ipv6;
  config.limits = options.limits;
  config.max_retransmits = options.max_retransmits;
  config.base_timeout_ms = options.base_timeout_ms;
  std::optional<tracker::UdpConnection> cached;
  if (auto it = connections.find(t.addr_key); it != connections.end()) {
    if (it->second.expires_at_ms > now()) {
      cached = it->second;
    } else {
      connections.erase(it);
    }
  }
  t.announce.emplace(t.request, config, [this] { return static_cast<std::uint32_t>(rng()); },
                     cached);
  t.phase = Phase::running;
  apply(t, t.announce->start(now()));
}

void UdpTrackerSocket::Impl::apply(Transaction& t, const tracker::UdpAnnounce::Effects& effects) {
  if (effects.send) {
    Socket* socket = t.addr.ss_family == AF_INET ? v4 : v6;
    uv_buf_t buf = uv_buf_init(const_cast<char*>(effects.send->data()),
                               static_cast<unsigned>(effects.send->size()));
    const int rc = socket == nullptr ? UV_EBADF
                                     : uv_udp_try_send(&socket->handle, &buf, 1,
                                                       reinterpret_cast<const sockaddr*>(&t.addr));
    // EAGAIN: the kernel's buffer is full; the retransmission schedule covers a lost datagram.
    if (rc < 0 && rc != UV_EAGAIN) {
      finish(t, Error(Errc::io_error, t.url + ": sending to " + t.addr_key + " failed: " +
                                          uv_strerror(rc)));
      return;
    }
  }
  t.wake_at_ms = effects.wake_at_ms;
  if (auto connection = t.announce->connection()) connections[t.addr_key] = *connection;
  if (t.announce->state() == tracker::UdpAnnounce::State::done) {
    finish(t, t.announce->response());
  } else if (t.announce->state() == tracker::UdpAnnounce::State::failed) {
    finish(t, Error(t.announce->error().code, t.url + ": " + t.announce->error().message));
  }
}

void UdpTrackerSocket::Impl::finish(Transaction& t, Result<tracker::AnnounceResponse> result) {
  outbox.push_back(Delivery{t.id, std::move(t.callback), std::move(result)});
  transactions.erase(t.id);  // `t` dangles from here on
}

void UdpTrackerSocket::Impl::reschedule() {
  if (timer == nullptr) return;
  std::optional<std::int64_t> earliest;
  for (const auto& [id, t] : transactions) {
    if (t.wake_at_ms && (!earliest || *t.wake_at_ms < *earliest)) earliest = t.wake_at_ms;
  }
  if (!earliest) {
    uv_timer_stop(&timer->timer);
    return;
  }
  const std::int64_t delay = std::max<std::int64_t>(0, *earliest - now());
  uv_timer_start(&timer->timer, on_timer, static_cast<std::uint64_t>(delay), 0);
}

void UdpTrackerSocket::Impl::flush() {
  // One at a time: a callback may announce, cancel (removing later deliveries) or close.
  while (!closed && !outbox.empty()) {
    Delivery delivery = std::move(outbox.front());
    outbox.pop_front();
    if (delivery.callback) delivery.callback(std::move(delivery.result));
  }
}

Result<void> UdpTrackerSocket::Impl::bind(Socket*& slot, AddressFamily family) {
  auto* socket = new Socket{};
  socket->impl = this;
  socket->family = family;
  socket->handle.data = socket;
  const bool v6only = family == AddressFamily::ipv6;
  int rc = uv_udp_init_ex(loop, &socket->handle, v6only ? AF_INET6 : AF_INET);
  if (rc != 0) {
    delete socket;
    return Error(Errc::io_error, std::string("creating a UDP socket: ") + uv_strerror(rc));
  }
  sockaddr_storage addr{};
  if (v6only) {
    uv_ip6_addr("::", 0, reinterpret_cast<sockaddr_in6*>(&addr));
  } else {
    uv_ip4_addr("0.0.0.0", 0, reinterpret_cast<sockaddr_in*>(&addr));
  }
  rc = uv_udp_bind(&socket->handle, reinterpret_cast<const sockaddr*>(&addr),
                   v6only ? UV_UDP_IPV6ONLY : 0);
  if (rc == 0) rc = uv_udp_recv_start(&socket->handle, on_alloc, on_receive);
  slot = socket;
  if (rc != 0) {
    close_socket(slot);
    return Error(Errc::io_error, std::string("binding the UDP tracker socket (") +
                                     (v6only ? "IPv6" : "IPv4") + "): " + uv_strerror(rc));
  }
  return {};
}

void UdpTrackerSocket::Impl::close_socket(Socket*& slot) {
  if (slot == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(&slot->handle), on_socket_closed);
  slot = nullptr;
}

void UdpTrackerSocket::Impl::close() {
  if (closed) return;
  closed = true;
  transactions.clear();
  outbox.clear();
  // A lookup already running on the thread pool cannot be cancelled; its callback finds the
  // socket closed (or gone) and only frees itself.
  for (Lookup* lookup : lookups) uv_cancel(reinterpret_cast<uv_req_t*>(&lookup->req));
  lookups.clear();
  close_socket(v4);
  close_socket(v6);
  if (timer != nullptr) {
    uv_close(reinterpret_cast<uv_handle_t*>(&timer->timer), on_timer_closed);
    timer = nullptr;
  }
}

UdpTrackerSocket::UdpTrackerSocket(uv_loop_t* loop, UdpTrackerOptions options)
    : impl_(std::make_shared<Impl>()) {
  impl_->loop = loop;
  impl_->options = std::move(options);
}

UdpTrackerSocket::~UdpTrackerSocket() { close(); }

Result<void> UdpTrackerSocket::open() {
  Impl& self = *impl_;
  if (self.closed) return Error(Errc::invalid_argument, "the UDP tracker socket is closed");
  if (self.timer == nullptr) {
    self.timer = new TimerBox{};
    self.timer->impl = &self;
    self.timer->timer.data = self.timer;
    uv_timer_init(self.loop, &self.timer->timer);
  }
  Result<void> v4 = self.v4 != nullptr ? Result<void>{} : self.bind(self.v4, AddressFamily::ipv4);
  Result<void> v6 = self.v6 != nullptr ? Result<void>{} : self.bind(self.v6, AddressFamily::ipv6);
  if (!v4 && !v6) return v4.error();
  return {};
}

Result<std::uint64_t> UdpTrackerSocket::announce(std::string_view url,
                                                 tracker::AnnounceRequest request,
                                                 Callback callback) {
  Impl& self = *impl_;
  auto target = parse_udp_tracker_url(url);
  if (!target) return target.error();
  if (self.closed || self.timer == nullptr || (self.v4 == nullptr && self.v6 == nullptr)) {
    return Error(Errc::invalid_argument, std::string(url) + ": the UDP tracker socket is not open");
  }
  Impl::Transaction t;
  t.id = self.next_id++;
  t.url = std::string(url);
  t.target = std::move(*target);
  t.request = std::move(request);
  t.callback = std::move(callback);
  // Started from the timer, so the callback never runs inside announce().
  t.wake_at_ms = self.now();
  const std::uint64_t id = t.id;
  self.transactions.emplace(id, std::move(t));
  self.reschedule();
  return id;
}

void UdpTrackerSocket::cancel(std::uint64_t id) {
  impl_->transactions.erase(id);
  auto& outbox = impl_->outbox;
  outbox.erase(std::remove_if(outbox.begin(), outbox.end(),
                              [id](const Impl::Delivery& d) { return d.id == id; }),
               outbox.end());
}

void UdpTrackerSocket::close() { impl_->close(); }

std::size_t UdpTrackerSocket::active_announces() const { return impl_->transactions.size(); }

namespace {
std::uint16_t local_port(const uv_udp_t* handle) {
  sockaddr_storage addr{};
  int len = sizeof addr;
  if (uv_udp_getsockname(handle, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in&>(addr).sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6&>(addr).sin6_port);
}
}  // namespace

std::uint16_t UdpTrackerSocket::ipv4_port() const {
  return impl_->v4 == nullptr ? 0 : local_port(&impl_->v4->handle);
}

std::uint16_t UdpTrackerSocket::ipv6_port() const {
  return impl_->v6 == nullptr ? 0 : local_port(&impl_->v6->handle);
}

}  // namespace btd::daemon
