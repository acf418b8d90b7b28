#include "daemon/lsd/lsd_service.hpp"

#include <netinet/in.h>

#include <random>

#include "core/lsd/lsd_message.hpp"
#include "core/util/hex.hpp"
#include "daemon/log.hpp"

namespace btd::daemon {

struct LsdService::Socket {
  uv_udp_t handle{};
  LsdService* owner = nullptr;  // null once close() ran: late callbacks do nothing
  char buffer[2048];            // above kMaxDatagram: a bigger datagram arrives truncated
};

namespace {

struct SendRequest {
  uv_udp_send_t req{};
  std::string bytes;
};

Error uv_error(const std::string& what, int code) {
  return Error(Errc::io_error, "LSD: " + what + ": " + uv_strerror(code));
}

}  // namespace

LsdService::LsdService(uv_loop_t* loop, LsdServiceConfig config, OnPeer on_peer)
    : loop_(loop), config_(std::move(config)), on_peer_(std::move(on_peer)) {
  std::random_device rd;
  std::string raw(4, '\0');
  for (auto& c : raw) c = static_cast<char>(rd());
  cookie_ = to_hex(raw);
}

LsdService::~LsdService() { close(); }

Result<void> LsdService::start() {
  if (socket_ != nullptr) return {};
  auto* s = new Socket;
  s->owner = this;
  s->handle.data = s;
  uv_udp_init(loop_, &s->handle);
  socket_ = s;
  sockaddr_in any{};
  uv_ip4_addr("0.0.0.0", config_.group_port, &any);
  // Every BitTorrent client on the host listens on 6771: the port is shared.
  if (int r = uv_udp_bind(&s->handle, reinterpret_cast<const sockaddr*>(&any), UV_UDP_REUSEADDR); r != 0) {
    close();
    return uv_error("cannot bind UDP port " + std::to_string(config_.group_port), r);
  }
  const std::string group(lsd::kMulticastIpv4);
  const char* iface = config_.interface_address.empty() ? nullptr : config_.interface_address.c_str();
  if (int r = uv_udp_set_membership(&s->handle, group.c_str(), iface, UV_JOIN_GROUP); r != 0) {
    close();
    return uv_error("cannot join multicast group " + group +
                        (iface ? " on the interface of " + config_.interface_address : std::string()),
                    r);
  }
  if (iface != nullptr) {
    if (int r = uv_udp_set_multicast_interface(&s->handle, iface); r != 0) {
      close();
      return uv_error("cannot send multicast from " + config_.interface_address, r);
    }
  }
  // Other clients on this host hear us through the loop; the LAN only, never routed beyond.
  uv_udp_set_multicast_loop(&s->handle, 1);
  uv_udp_set_multicast_ttl(&s->handle, 1);
  const int r = uv_udp_recv_start(
      &s->handle,
      [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
        auto* sock = static_cast<Socket*>(h->data);
        *buf = uv_buf_init(sock->buffer, sizeof sock->buffer);
      },
      [](uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned flags) {
        auto* sock = static_cast<Socket*>(h->data);
        if (sock->owner == nullptr || n <= 0 || from == nullptr) return;
        if (flags & UV_UDP_PARTIAL) {
          ++sock->owner->stats_.bad_announces;
          return;
        }
        sock->owner->on_datagram(std::string_view(buf->base, static_cast<std::size_t>(n)), from);
      });
  if (r != 0) {
    close();
    return uv_error("cannot receive", r);
  }
  log_info("LSD: announcing on " + group + ":" + std::to_string(config_.group_port) +
           (iface ? " from " + config_.interface_address : std::string()) + ", cookie " + cookie_);
  return {};
}

void LsdService::close() {
  if (socket_ == nullptr) return;
  socket_->owner = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&socket_->handle),
           [](uv_handle_t* h) { delete static_cast<Socket*>(h->data); });
  socket_ = nullptr;
}

void LsdService::tick(const std::vector<InfoHash>& active, std::uint16_t listen_port) {
  received_this_tick_ = 0;
  if (socket_ == nullptr || listen_port == 0) return;
  const auto now = std::chrono::steady_clock::time_point(std::chrono::milliseconds(uv_now(loop_)));
  const std::vector<InfoHash> due = schedule_.due(active, now, lsd::kMaxInfoHashesSent);
  if (due.empty()) return;
  const std::string host = std::string(lsd::kMulticastIpv4) + ":" + std::to_string(config_.group_port);
  send(lsd::encode_announce(host, listen_port, due, cookie_));
}

void LsdService::send(std::string datagram) {
  sockaddr_in to{};
  uv_ip4_addr(std::string(lsd::kMulticastIpv4).c_str(), config_.group_port, &to);
  auto* req = new SendRequest;
  req->bytes = std::move(datagram);
  uv_buf_t buf = uv_buf_init(req->bytes.data(), static_cast<unsigned>(req->bytes.size()));
  req->req.data = req;
  const int r = uv_udp_send(&req->req, &socket_->handle, &buf, 1, reinterpret_cast<const sockaddr*>(&to),
                            [](uv_udp_send_t* s, int status) {
                              if (status != 0 && status != UV_ECANCELED)
                                log_debug(std::string("LSD: announce not sent: ") + uv_strerror(status));
                              delete static_cast<SendRequest*>(s->data);
                            });
  if (r != 0) {
    log_debug(std::string("LSD: announce not sent: ") + uv_strerror(r));
    delete req;
    return;
  }
  ++stats_.announces_sent;
}

void LsdService::on_datagram(std::string_view bytes, const sockaddr* from) {
  if (from->sa_family != AF_INET) return;
  if (++received_this_tick_ > config_.max_received_per_tick) return;
  auto a = lsd::parse_announce(bytes);
  char ip[INET_ADDRSTRLEN] = {};
  uv_ip4_name(reinterpret_cast<const sockaddr_in*>(from), ip, sizeof ip);
  if (!a) {
    ++stats_.bad_announces;
    log_debug(std::string("LSD: from ") + ip + ": " + a.error().message);
    return;
  }
  if (a->cookie == cookie_) return;  // our own, looped back
  if (std::string_view(ip) == "0.0.0.0") {
    ++stats_.bad_announces;  // nobody can be dialled there
    return;
  }
  ++stats_.announces_received;
  const tracker::PeerEndpoint peer{ip, a->port};
  const auto now = std::chrono::steady_clock::time_point(std::chrono::milliseconds(uv_now(loop_)));
  for (const InfoHash& h : a->info_hashes) {
    if (!on_peer_(h, peer)) continue;
    ++stats_.peers_found;
    schedule_.answer(h, now);
  }
}

}  // namespace btd::daemon
