#pragma once
// systemd socket activation (sd_listen_fds(3)): the RPC socket btd.socket created and passed
// down, if any.
#include <optional>
#include <string>

#include "core/util/result.hpp"

namespace btd::daemon {

struct InheritedSocket {
  int fd = -1;
  std::string path;  // where it is bound, for the log; empty if unknown
};

// Nothing when btd was not socket-activated (LISTEN_FDS unset, or meant for another process).
// An error when systemd passed something btd cannot serve RPC on: more than one socket, or not
// a listening Unix stream socket.
Result<std::optional<InheritedSocket>> inherited_rpc_socket();

}  // namespace btd::daemon
