#pragma once
// Bytes a peer sent, made safe to put in an error message, a log line or `torrent.peers` output.
#include <string>
#include <string_view>

namespace btd::wire {

// Printable ASCII stays as is (a backslash is doubled); every other byte becomes \xNN.
std::string escape_bytes(std::string_view bytes);

}  // namespace btd::wire
