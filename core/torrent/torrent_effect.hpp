#pragma once
// What the torrent engine asks the outside world to do. The daemon drains these after every
// input it hands the engine (Torrent::take_effects) and turns them into libuv calls; tests
// inspect them directly.
#include <string>
#include <variant>

#include "core/picker/peer_key.hpp"
#include "core/picker/piece_geometry.hpp"
#include "core/tracker/peer_endpoint.hpp"

namespace btd {
namespace torrent_effect {

struct Send { PeerKey peer; std::string bytes; };         // write these bytes to the peer's socket
struct Close { PeerKey peer; std::string reason; };       // close the connection (already forgotten)
struct Connect { tracker::PeerEndpoint endpoint; };       // open an outgoing connection
struct VerifyAndWrite { PieceIndex piece; std::string data; };  // hash off the loop; write only if it matches
struct ReadBlock { PeerKey peer; BlockRequest block; };   // read for seeding, then on_block_read
struct PieceVerified { PieceIndex piece; };               // for notifications and get-piece waiters
struct PieceFailed { PieceIndex piece; };
struct Completed {};                                       // every piece verified
struct Failed { std::string message; };                   // the torrent is in state error
struct DhtNode { tracker::PeerEndpoint node; };           // a peer's DHT node (BEP 5 port message)

}  // namespace torrent_effect

using TorrentEffect = std::variant<torrent_effect::Send, torrent_effect::Close, torrent_effect::Connect,
                                   torrent_effect::VerifyAndWrite, torrent_effect::ReadBlock,
                                   torrent_effect::PieceVerified, torrent_effect::PieceFailed,
                                   torrent_effect::Completed, torrent_effect::Failed,
                                   torrent_effect::DhtNode>;

}  // namespace btd
