#include "daemon/net/peer_socket.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace btd::net {

// The uv handles of one socket, freed when the second of them has finished closing.
struct PeerSocket::Handles {
  uv_tcp_t tcp{};
  uv_timer_t timer{};
  std::weak_ptr<SocketTable> table;
  SocketId id = 0;
  int open = 0;
};

struct PeerSocket::Resolve {
  uv_getaddrinfo_t req{};
  std::weak_ptr<SocketTable> table;
  SocketId id = 0;
};

namespace {

struct WriteReq {
  uv_write_t req{};
  std::vector<std::string> chunks;
  std::vector<uv_buf_t> bufs;
  std::size_t bytes = 0;
};

// Many peers (libtorrent among them) leave Nagle's algorithm on: the tail of a message waits in
// their kernel until everything sent before it is acknowledged, and Linux delays that ACK by up to
// 40 ms once the connection looks interactive, as ours does (a request follows each piece). An
// immediate ACK after each read releases that tail: it took 40 ms off the first piece of a
// download from a libtorrent seed. The kernel clears the flag by itself, hence once per read.
void acknowledge_at_once(uv_tcp_t* tcp) {
  uv_os_fd_t fd;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(tcp), &fd) != 0) return;
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

PeerSocket* find_socket(const std::weak_ptr<SocketTable>& weak, SocketId id) {
  auto table = weak.lock();
  return table ? table->find(id) : nullptr;
}

PeerSocket::Handles* handles_of(const void* handle) {
  return static_cast<PeerSocket::Handles*>(static_cast<const uv_handle_t*>(handle)->data);
}

std::string uv_text(int status) { return uv_strerror(status); }

// A sockaddr from an IP literal; false for anything else.
bool ip_address(const std::string& ip, std::uint16_t port, sockaddr_storage& out) {
  if (ip.find(':') != std::string::npos) {
    return uv_ip6_addr(ip.c_str(), port, reinterpret_cast<sockaddr_in6*>(&out)) == 0;
  }
  return uv_ip4_addr(ip.c_str(), port, reinterpret_cast<sockaddr_in*>(&out)) == 0;
}

tracker::PeerEndpoint endpoint_of(const sockaddr_storage& address) {
  tracker::PeerEndpoint e;
  char text[64] = {};
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    uv_ip4_name(in, text, sizeof text);
    e.port = ntohs(in->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    uv_ip6_name(in6, text, sizeof text);
    e.port = ntohs(in6->sin6_port);
  }
  e.ip = tracker::normalize_ip_literal(text).value_or(text);
  return e;
}

}  // namespace

void PeerSocket::on_handle_closed(uv_handle_t* handle) {
  auto* h = handles_of(handle);
  if (--h->open > 0) return;
  PeerSocket* socket = find_socket(h->table, h->id);
  delete h;
  if (socket) socket->on_handles_closed();
}

PeerSocket* SocketTable::find(SocketId id) const {
  auto it = live_.find(id);
  return it == live_.end() ? nullptr : it->second;
}

PeerSocket::PeerSocket(std::shared_ptr<SocketTable> table, SocketId id,
                       PeerSocketCallbacks callbacks)
    : table_(std::move(table)), id_(id), callbacks_(std::move(callbacks)) {}

Result<std::unique_ptr<PeerSocket>> PeerSocket::create(uv_loop_t* loop,
                                                       std::shared_ptr<SocketTable> table,
                                                       SocketId id,
                                                       PeerSocketCallbacks callbacks) {
  auto* h = new Handles;
  h->table = table;
  h->id = id;
  if (int rc = uv_tcp_init(loop, &h->tcp); rc < 0) {
    delete h;  // never initialised, so there is nothing to close
    return Error(Errc::io_error, "cannot create a TCP handle: " + uv_text(rc));
  }
  uv_timer_init(loop, &h->timer);
  h->open = 2;
  h->tcp.data = h;
  h->timer.data = h;

  std::unique_ptr<PeerSocket> socket(new PeerSocket(std::move(table), id, std::move(callbacks)));
  socket->handles_ = h;
  socket->table_->live_[id] = socket.get();
  return socket;
}

PeerSocket::~PeerSocket() {
  table_->live_.erase(id_);
  cancel_resolve();
  if (handles_ && !closing_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&handles_->tcp), on_handle_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&handles_->timer), on_handle_closed);
  }
}

Result<void> PeerSocket::connect(const tracker::PeerEndpoint& endpoint) {
  endpoint_ = endpoint;
  if (closing_) return Error(Errc::invalid_argument, "socket is closing");
  if (endpoint.port == 0) {
    return Error(Errc::invalid_argument, "cannot connect to " + to_string(endpoint) + ": port 0");
  }
  sockaddr_storage address{};
  if (ip_address(endpoint.ip, endpoint.port, address)) {
    if (int rc = start_connect(reinterpret_cast<const sockaddr*>(&address)); rc < 0) {
      return Error(Errc::io_error, "cannot connect to " + to_string(endpoint) + ": " + uv_text(rc));
    }
    return {};
  }

  // Not an IP literal: a host name, resolved off the loop thread.
  auto* resolve = new PeerSocket::Resolve;
  resolve->table = table_;
  resolve->id = id_;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rc = uv_getaddrinfo(
      handles_->tcp.loop, &resolve->req,
      [](uv_getaddrinfo_t* req, int status, addrinfo* result) {
        auto* r = reinterpret_cast<PeerSocket::Resolve*>(req);
        PeerSocket* s = find_socket(r->table, r->id);
        delete r;
        if (s) {
          s->resolve_ = nullptr;
          s->on_resolved(status, result);
        }
        uv_freeaddrinfo(result);
      },
      endpoint.ip.c_str(), nullptr, &hints);
  if (rc < 0) {
    delete resolve;
    return Error(Errc::io_error, "cannot resolve " + endpoint.ip + ": " + uv_text(rc));
  }
  resolve_ = resolve;
  return {};
}

void PeerSocket::on_resolved(int status, addrinfo* result) {
  if (closing_) return;
  if (status < 0 || result == nullptr) {
    close("cannot resolve " + endpoint_.ip + ": " + uv_text(status < 0 ? status : UV_EAI_NONAME));
    return;
  }
  // The first IPv4 address, else the first IPv6 one: a host name from a tracker or a user is
  // far more often reachable over IPv4, and "localhost" must not depend on IPv6 being up.
  sockaddr_storage address{};
  for (int family : {AF_INET, AF_INET6}) {
    for (addrinfo* ai = result; ai && address.ss_family == AF_UNSPEC; ai = ai->ai_next) {
      if (ai->ai_family == family && ai->ai_addrlen <= sizeof address) {
        std::memcpy(&address, ai->ai_addr, ai->ai_addrlen);
      }
    }
  }
  if (address.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&address)->sin_port = htons(endpoint_.port);
  } else if (address.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&address)->sin6_port = htons(endpoint_.port);
  } else {
    close("cannot resolve " + endpoint_.ip + ": no IPv4 or IPv6 address");
    return;
  }
  if (int rc = start_connect(reinterpret_cast<const sockaddr*>(&address)); rc < 0) {
    close("cannot connect to " + to_string(endpoint_) + ": " + uv_text(rc));
  }
}

int PeerSocket::start_connect(const sockaddr* address) {
  auto* req = new uv_connect_t;
  int rc = uv_tcp_connect(req, &handles_->tcp, address, [](uv_connect_t* r, int status) {
    PeerSocket::Handles* h = handles_of(r->handle);
    delete r;
    if (PeerSocket* s = find_socket(h->table, h->id)) s->on_connect(status);
  });
  if (rc < 0) delete req;
  return rc;
}

void PeerSocket::on_connect(int status) {
  if (closing_) return;
  if (status < 0) {
    close("connect to " + to_string(endpoint_) + " failed: " + uv_text(status));
    return;
  }
  connected_ = true;
  // Small protocol messages (have, request) must not wait for Nagle's timer.
  uv_tcp_nodelay(&handles_->tcp, 1);
  start_reading();
  flush();
  if (!closing_ && callbacks_.on_connected) callbacks_.on_connected(id_);
}

Result<void> PeerSocket::accept(uv_stream_t* server) {
  if (closing_) return Error(Errc::invalid_argument, "socket is closing");
  if (int rc = uv_accept(server, reinterpret_cast<uv_stream_t*>(&handles_->tcp)); rc < 0) {
    return Error(Errc::io_error, "accept failed: " + uv_text(rc));
  }
  sockaddr_storage address{};
  int length = sizeof address;
  if (uv_tcp_getpeername(&handles_->tcp, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    endpoint_ = endpoint_of(address);
  }
  connected_ = true;
  uv_tcp_nodelay(&handles_->tcp, 1);
  start_reading();
  return {};
}

void PeerSocket::start_reading() {
  if (!connected_ || paused_ || closing_ || reading_ || (read_quota_ && *read_quota_ == 0)) return;
  int rc = uv_read_start(
      reinterpret_cast<uv_stream_t*>(&handles_->tcp),
      [](uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
        PeerSocket::Handles* h = handles_of(handle);
        auto table = h->table.lock();
        std::size_t size = SocketTable::kReadBufferSize;
        // A limited socket reads no more than its quota: the kernel keeps the rest, and TCP
        // flow control slows the sender.
        if (PeerSocket* s = table ? table->find(h->id) : nullptr; s && s->read_quota_)
          size = static_cast<std::size_t>(std::min<std::uint64_t>(size, *s->read_quota_));
        *buf = table && size > 0 ? uv_buf_init(table->read_buffer(), static_cast<unsigned>(size))
                                 : uv_buf_init(nullptr, 0);
      },
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        PeerSocket::Handles* h = handles_of(stream);
        if (PeerSocket* s = find_socket(h->table, h->id)) s->on_read(nread, buf);
      });
  if (rc < 0) {
    close("cannot read: " + uv_text(rc));
    return;
  }
  reading_ = true;
}

void PeerSocket::pause_reading() {
  paused_ = true;
  if (reading_ && !closing_) uv_read_stop(reinterpret_cast<uv_stream_t*>(&handles_->tcp));
  reading_ = false;
}

void PeerSocket::resume_reading() {
  paused_ = false;
  start_reading();
}

void PeerSocket::set_read_quota(std::optional<std::uint64_t> bytes) {
  read_quota_ = bytes;
  if (read_quota_ && *read_quota_ == 0) {
    if (reading_ && !closing_) uv_read_stop(reinterpret_cast<uv_stream_t*>(&handles_->tcp));
    reading_ = false;
  } else {
    start_reading();
  }
}

void PeerSocket::on_read(ssize_t nread, const uv_buf_t* buf) {
  if (closing_) return;
  if (nread > 0) {
    acknowledge_at_once(&handles_->tcp);
    if (read_quota_) *read_quota_ -= std::min<std::uint64_t>(*read_quota_, static_cast<std::uint64_t>(nread));
    // The shared read buffer is ours until the callback returns: decrypted in place.
    if (cipher_.decrypts()) cipher_.decrypt(buf->base, static_cast<std::size_t>(nread));
    if (callbacks_.on_data) {
      callbacks_.on_data(id_, std::string_view(buf->base, static_cast<std::size_t>(nread)));
    }
    if (!closing_ && read_quota_ && *read_quota_ == 0) {
      set_read_quota(0);  // stops reading
      if (callbacks_.on_read_quota_spent) callbacks_.on_read_quota_spent(id_);
    }
  } else if (nread == UV_ENOBUFS) {
    // A zero-byte buffer: the quota ran out between the allocation and the read.
    set_read_quota(read_quota_);
  } else if (nread == UV_EOF) {
    closed_by_peer_ = true;
    close("connection closed by peer");
  } else if (nread < 0) {
    closed_by_peer_ = true;
    close("read error: " + uv_text(static_cast<int>(nread)));
  }
}

bool PeerSocket::write(std::string bytes) {
  if (closing_) return false;
  if (bytes.empty()) return true;
  if (cipher_.encrypts()) cipher_.encrypt(bytes.data(), bytes.size());
  queued_bytes_ += bytes.size();
  pending_.push_back(std::move(bytes));
  flush();
  return true;
}

void PeerSocket::flush() {
  if (!connected_ || closing_ || write_in_flight_ || pending_.empty()) return;
  // Everything queued while the previous write was in flight goes out in one writev.
  auto* w = new WriteReq;
  w->req.data = w;
  w->chunks = std::move(pending_);
  pending_.clear();
  w->bufs.reserve(w->chunks.size());
  for (std::string& chunk : w->chunks) {
    w->bufs.push_back(uv_buf_init(chunk.data(), static_cast<unsigned>(chunk.size())));
    w->bytes += chunk.size();
  }
  int rc = uv_write(&w->req, reinterpret_cast<uv_stream_t*>(&handles_->tcp), w->bufs.data(),
                    static_cast<unsigned>(w->bufs.size()), [](uv_write_t* req, int status) {
                      auto* done = static_cast<WriteReq*>(req->data);
                      PeerSocket::Handles* h = handles_of(req->handle);
                      std::size_t bytes = done->bytes;
                      delete done;
                      if (PeerSocket* s = find_socket(h->table, h->id)) {
                        s->on_write_done(bytes, status);
                      }
                    });
  if (rc < 0) {
    queued_bytes_ -= w->bytes;
    delete w;
    closed_by_peer_ = true;
    close("write error: " + uv_text(rc));
    return;
  }
  write_in_flight_ = true;
}

void PeerSocket::on_write_done(std::size_t bytes, int status) {
  write_in_flight_ = false;
  queued_bytes_ -= bytes;
  if (closing_) return;
  if (status < 0) {
    closed_by_peer_ = true;
    close("write error: " + uv_text(status));
    return;
  }
  if (!pending_.empty()) {
    flush();
  } else if (callbacks_.on_drain) {
    callbacks_.on_drain(id_);
  }
}

void PeerSocket::set_deadline(std::chrono::milliseconds timeout, std::string reason) {
  if (closing_) return;
  deadline_reason_ = std::move(reason);
  uv_timer_start(
      &handles_->timer,
      [](uv_timer_t* timer) {
        PeerSocket::Handles* h = handles_of(timer);
        if (PeerSocket* s = find_socket(h->table, h->id)) s->on_deadline();
      },
      static_cast<std::uint64_t>(timeout.count() < 0 ? 0 : timeout.count()), 0);
}

void PeerSocket::clear_deadline() {
  if (!closing_) uv_timer_stop(&handles_->timer);
}

void PeerSocket::cancel_resolve() {
  // Its callback still runs (with UV_EAI_CANCELED unless it had started) and frees it; forgetting
  // it here keeps us from cancelling the same request twice.
  if (resolve_) uv_cancel(reinterpret_cast<uv_req_t*>(&resolve_->req));
  resolve_ = nullptr;
}

void PeerSocket::on_deadline() { close(deadline_reason_); }

void PeerSocket::close(std::string reason) {
  if (closing_) return;
  closing_ = true;
  close_reason_ = std::move(reason);
  pending_.clear();
  cancel_resolve();
  uv_close(reinterpret_cast<uv_handle_t*>(&handles_->tcp), on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&handles_->timer), on_handle_closed);
}

void PeerSocket::on_handles_closed() {
  handles_ = nullptr;
  // Moved out first: the owner may destroy this socket inside the callback.
  auto on_closed = std::move(callbacks_.on_closed);
  std::string reason = std::move(close_reason_);
  SocketId id = id_;
  if (on_closed) on_closed(id, reason);
}

}  // namespace btd::net
