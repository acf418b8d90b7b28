#pragma once
// The pure parts of `btctl add`, exposed for tests.
#include <string>
#include <string_view>

namespace btd::cli {

// A magnet URI ("magnet:?xt=..."), in any letter case, rather than a file name.
bool is_magnet(std::string_view source);
// "host:port" or "[v6]:port" with a port of 1..65535: catches typos before the daemon sees them.
bool is_peer_address(std::string_view text);
// --dir as the absolute, lexically normalized path the daemon needs (it does not share btctl's
// working directory). `cwd` must be absolute.
std::string absolute_dir(const std::string& dir, const std::string& cwd);

}  // namespace btd::cli
