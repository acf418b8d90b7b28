// BEP 5's port message in the engine: sent to peers that set the DHT bit when our DHT runs,
// and a peer's port message handed out as a DhtNode effect; never for private torrents.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/create/torrent_builder.hpp"
#include "core/metainfo/metainfo.hpp"
#include "core/torrent/torrent.hpp"
#include "core/wire/frame_decoder.hpp"
#include "core/wire/message.hpp"

using namespace btd;

namespace {

std::shared_ptr<const Metainfo> small_torrent(bool is_private) {
  CreateOptions o;
  o.name = "f";
  o.is_private = is_private;
  o.files.push_back({{"f"}, 20000});
  o.piece_length = 16 * 1024;
  auto b = TorrentBuilder::create(o);
  REQUIRE(b.ok());
  b->update(std::string(20000, 'x'));
  auto bytes = b->finish();
  REQUIRE(bytes.ok());
  auto meta = parse_metainfo(*bytes);
  REQUIRE(meta.ok());
  return std::make_shared<const Metainfo>(std::move(*meta));
}

struct Seen {
  std::vector<std::uint16_t> ports_sent;
  std::vector<tracker::PeerEndpoint> dht_nodes;
};

Seen connect(bool is_private, std::uint16_t dht_port, bool peer_dht_bit) {
  auto meta = small_torrent(is_private);
  TorrentConfig config;
  config.dht_port = dht_port;
  auto t = Torrent::create(meta, Bitfield(meta->piece_count), config, 1);
  REQUIRE(t.ok());
  const Torrent::TimePoint now{std::chrono::hours(1)};
  wire::Handshake theirs{Torrent::our_reserved(), meta->info_hash, {}};
  theirs.reserved.set_dht(peer_dht_bit);
  REQUIRE((*t)->on_peer_connected(PeerKey{1}, {"10.0.0.7", 6881}, false, theirs, {}, now).ok());
  std::string port_msg;
  wire::encode(port_msg, wire::Message{wire::Port{7777}});
  (*t)->on_peer_data(PeerKey{1}, port_msg, now);
  Seen r;
  wire::FrameDecoder frames;
  for (TorrentEffect& e : (*t)->take_effects()) {
    if (auto* send = std::get_if<torrent_effect::Send>(&e)) {
      frames.feed(send->bytes);
      for (;;) {
        auto frame = frames.pop();
        REQUIRE(frame.ok());
        if (!*frame) break;
        auto m = wire::parse_message(**frame);
        REQUIRE(m.ok());
        if (auto* p = std::get_if<wire::Port>(&*m)) r.ports_sent.push_back(p->port);
      }
    } else if (auto* node = std::get_if<torrent_effect::DhtNode>(&e)) {
      r.dht_nodes.push_back(node->node);
    }
  }
  return r;
}

}  // namespace

TEST_CASE("DHT port message: sent when our DHT runs and the peer set the DHT bit; theirs becomes a DHT node") {
  Seen r = connect(false, 51413, true);
  CHECK(r.ports_sent == std::vector<std::uint16_t>{51413});
  REQUIRE(r.dht_nodes.size() == 1);
  CHECK(r.dht_nodes[0] == tracker::PeerEndpoint{"10.0.0.7", 7777});
  // A peer without the bit is not told; its port message still names a node.
  r = connect(false, 51413, false);
  CHECK(r.ports_sent.empty());
  CHECK(r.dht_nodes.size() == 1);
}

TEST_CASE("DHT port message: nothing while our DHT is off, nothing for private torrents") {
  Seen off = connect(false, 0, true);
  CHECK(off.ports_sent.empty());
  CHECK(off.dht_nodes.empty());
  Seen priv = connect(true, 51413, true);
  CHECK(priv.ports_sent.empty());
  CHECK(priv.dht_nodes.empty());
}
