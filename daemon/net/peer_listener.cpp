#include "daemon/net/peer_listener.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <utility>

#include "daemon/log.hpp"

namespace btd::net {

// The listening handle and a back pointer that the listener clears when it goes away, so the
// connection callback never reaches a destroyed listener.
struct PeerListener::Handle {
  uv_tcp_t tcp{};
  PeerListener* owner = nullptr;
};

namespace {

void free_handle(uv_handle_t* handle) { delete static_cast<PeerListener::Handle*>(handle->data); }

std::string listen_error(const std::string& address, std::uint16_t port, const char* step, int rc) {
  return "cannot listen on " + address + " port " + std::to_string(port) + ": " + step + ": " +
         uv_strerror(rc);
}

}  // namespace

PeerListener::PeerListener(uv_loop_t* loop, AcceptFn accept)
    : loop_(loop), accept_(std::move(accept)) {}

PeerListener::~PeerListener() { close(); }

Result<void> PeerListener::listen(const std::string& address, std::uint16_t port, int backlog) {
  if (handle_) return Error(Errc::invalid_argument, "already listening on port " + std::to_string(port_));
  sockaddr_storage bind_address{};
  int rc = address.find(':') != std::string::npos
               ? uv_ip6_addr(address.c_str(), port, reinterpret_cast<sockaddr_in6*>(&bind_address))
               : uv_ip4_addr(address.c_str(), port, reinterpret_cast<sockaddr_in*>(&bind_address));
  if (rc < 0) {
    return Error(Errc::invalid_argument,
                 "listen address '" + address + "' is not an IPv4 or IPv6 address");
  }

  auto* h = new Handle;
  if (rc = uv_tcp_init(loop_, &h->tcp); rc < 0) {
    delete h;
    return Error(Errc::io_error, listen_error(address, port, "socket", rc));
  }
  h->tcp.data = h;
  h->owner = this;
  auto fail = [&](const char* step, int code) -> Result<void> {
    h->owner = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&h->tcp), free_handle);
    return Error(Errc::io_error, listen_error(address, port, step, code));
  };
  if (rc = uv_tcp_bind(&h->tcp, reinterpret_cast<const sockaddr*>(&bind_address), 0); rc < 0) {
    return fail("bind", rc);
  }
  rc = uv_listen(reinterpret_cast<uv_stream_t*>(&h->tcp), backlog, [](uv_stream_t* server, int status) {
    auto* handle = static_cast<Handle*>(server->data);
    if (handle->owner) handle->owner->on_connection(status);
  });
  // Linux reports EADDRINUSE from listen(), not bind(), for TCP.
  if (rc < 0) return fail("listen", rc);

  sockaddr_storage bound{};
  int length = sizeof bound;
  if (rc = uv_tcp_getsockname(&h->tcp, reinterpret_cast<sockaddr*>(&bound), &length); rc < 0) {
    return fail("getsockname", rc);
  }
  port_ = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  handle_ = h;
  return {};
}

void PeerListener::on_connection(int status) {
  if (status < 0) {
    // E.g. EMFILE: libuv keeps listening; the connection waits in the backlog.
    daemon::log_warning(std::string("peer listener: accept failed: ") + uv_strerror(status));
    return;
  }
  if (accept_ && accept_(reinterpret_cast<uv_stream_t*>(&handle_->tcp))) return;
  refuse();
}

void PeerListener::refuse() {
  if (!handle_) return;  // the owner closed the listener from its accept callback
  ++refused_;
  auto* drop = new uv_tcp_t;
  if (uv_tcp_init(loop_, drop) < 0) {
    delete drop;
    return;
  }
  drop->data = nullptr;
  uv_accept(reinterpret_cast<uv_stream_t*>(&handle_->tcp), reinterpret_cast<uv_stream_t*>(drop));
  uv_close(reinterpret_cast<uv_handle_t*>(drop),
           [](uv_handle_t* handle) { delete reinterpret_cast<uv_tcp_t*>(handle); });
}

void PeerListener::close() {
  if (!handle_) return;
  handle_->owner = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_->tcp), free_handle);
  handle_ = nullptr;
  port_ = 0;
}

}  // namespace btd::net
