#pragma once
// Who is on the other end of an RPC connection, from the kernel (SO_PEERCRED, SO_PEERGROUPS),
// and whether they may control the daemon. The socket file's mode 0660 is the first gate; this
// is the second, so a socket whose mode was widened by mistake still serves only root, the
// daemon's own user and members of the socket's group.
#include <sys/types.h>

#include <string>
#include <vector>

#include "core/util/result.hpp"

namespace btd::rpc {

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups
};

// Reads the credentials of the peer of a connected Unix socket.
Result<PeerCredentials> peer_credentials(int fd);

// True for root, `daemon_uid`, and anyone whose primary or supplementary group is `socket_gid`.
bool may_control(const PeerCredentials& peer, uid_t daemon_uid, gid_t socket_gid);

// The line sent to a refused client before the connection is closed.
std::string refusal_line(const PeerCredentials& peer, gid_t socket_gid);

}  // namespace btd::rpc
