#include "rpc/peer_credentials.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "rpc/message.hpp"
#include "rpc/rpc_error.hpp"

namespace btd::rpc {

Result<PeerCredentials> peer_credentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return Error(Errc::io_error, std::string("cannot read the RPC client's credentials: ") + std::strerror(errno));
  PeerCredentials out;
  out.pid = cred.pid;
  out.uid = cred.uid;
  out.gid = cred.gid;
  // SO_PEERGROUPS (Linux 4.13) gives the supplementary groups as they were at connect().
  std::vector<gid_t> groups(64);
  for (int attempt = 0; attempt < 4; ++attempt) {
    socklen_t bytes = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &bytes) == 0) {
      groups.resize(bytes / sizeof(gid_t));
      out.groups = std::move(groups);
      return out;
    }
    if (errno != ERANGE) break;
    // The kernel says how much it needs in `bytes`; it is bounded by NGROUPS_MAX (65536).
    groups.resize(std::min<std::size_t>(bytes / sizeof(gid_t) + 1, 65536));
  }
  return out;  // without supplementary groups: only the primary group can grant access
}

bool may_control(const PeerCredentials& peer, uid_t daemon_uid, gid_t socket_gid) {
  if (peer.uid == 0 || peer.uid == daemon_uid) return true;
  if (peer.gid == socket_gid) return true;
  return std::find(peer.groups.begin(), peer.groups.end(), socket_gid) != peer.groups.end();
}

std::string refusal_line(const PeerCredentials& peer, gid_t socket_gid) {
  return error_response_line(nullptr, RpcError(-32600, "permission denied: uid " + std::to_string(peer.uid) +
                                                           " is not root, the daemon's user, or in the socket's "
                                                           "group (gid " + std::to_string(socket_gid) + ")"));
}

}  // namespace btd::rpc
