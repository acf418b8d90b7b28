#include "daemon/socket_activation.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include <cstddef>
#include <cstring>

namespace btd::daemon {

namespace {

std::string bound_path(int fd) {
  sockaddr_un addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || addr.sun_family != AF_UNIX) return {};
  if (len <= offsetof(sockaddr_un, sun_path) || addr.sun_path[0] == '\0') return {};  // unnamed or abstract
  return std::string(addr.sun_path, strnlen(addr.sun_path, sizeof(addr.sun_path)));
}

}  // namespace

Result<std::optional<InheritedSocket>> inherited_rpc_socket() {
  // unset_environment = 1: torrents' child processes (none today) must not see them.
  const int n = sd_listen_fds(1);
  if (n < 0)
    return Error(Errc::invalid_argument,
                 std::string("cannot use the sockets systemd passed (LISTEN_FDS): ") + std::strerror(-n));
  if (n == 0) return std::optional<InheritedSocket>{};
  if (n > 1)
    return Error(Errc::invalid_argument, "systemd passed " + std::to_string(n) +
                                             " sockets (LISTEN_FDS); btd.socket must have exactly one "
                                             "ListenStream= for the RPC socket");
  const int fd = SD_LISTEN_FDS_START;
  if (sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0) <= 0)
    return Error(Errc::invalid_argument,
                 "the socket systemd passed (LISTEN_FDS) is not a listening Unix stream socket; "
                 "btd.socket needs ListenStream=/run/btd/rpc.sock");
  return std::optional<InheritedSocket>{InheritedSocket{fd, bound_path(fd)}};
}

}  // namespace btd::daemon
