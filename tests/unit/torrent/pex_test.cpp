// Peer exchange in the engine (BEP 11): what a torrent advertises, learns and tells, with the test
// playing the remote peers byte for byte on a clock it moves by hand.
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/create/torrent_builder.hpp"
#include "core/metainfo/metainfo.hpp"
#include "core/torrent/torrent.hpp"
#include "core/wire/frame_decoder.hpp"
#include "core/wire/message.hpp"
#include "core/wire/ut_pex.hpp"

using namespace btd;
using namespace std::chrono_literals;

namespace {

constexpr std::uint8_t kPeerUtPexId = 9;  // the id the remote peers ask us to use

std::shared_ptr<const Metainfo> small_metainfo(bool is_private) {
  CreateOptions o;
  o.name = "pex.bin";
  o.is_private = is_private;
  o.files.push_back({{}, 64 * 1024});
  o.piece_length = 16 * 1024;
  auto b = TorrentBuilder::create(o);
  REQUIRE(b.ok());
  b->update(std::string(64 * 1024, 'x'));
  auto bytes = b->finish();
  REQUIRE(bytes.ok());
  auto meta = parse_metainfo(*bytes);
  REQUIRE(meta.ok());
  return std::make_shared<const Metainfo>(std::move(*meta));
}

struct Remote {
  wire::FrameDecoder frames;
  std::vector<wire::ExtensionHandshake> handshakes;
  std::vector<wire::PexMessage> pex;  // decoded ut_pex messages sent to this peer
};

// A leecher engine (nothing on disk) and the remote peers connected to it.
struct Leecher {
  std::shared_ptr<const Metainfo> meta;
  std::unique_ptr<Torrent> t;
  Torrent::TimePoint now{std::chrono::hours(3)};
  std::map<std::uint32_t, Remote> remotes;
  std::vector<tracker::PeerEndpoint> connects;
  std::vector<std::pair<std::uint32_t, std::string>> closed;

  explicit Leecher(bool is_private = false, TorrentConfig config = {}) : meta(small_metainfo(is_private)) {
    auto created = Torrent::create(meta, Bitfield(meta->piece_count), config, 1);
    REQUIRE(created.ok());
    t = std::move(*created);
  }

  void connect(std::uint32_t key, tracker::PeerEndpoint ep, bool incoming) {
    wire::Handshake theirs{Torrent::our_reserved(), meta->info_hash, {}};
    REQUIRE(t->on_peer_connected(PeerKey{key}, ep, incoming, theirs, {}, now).ok());
    remotes[key];
  }
  // The remote's BEP 10 handshake, offering ut_pex (id != 0) and naming its listen port.
  void handshake(std::uint32_t key, std::uint8_t ut_pex_id, std::optional<std::uint16_t> port = std::nullopt) {
    wire::ExtensionHandshake h;
    if (ut_pex_id != 0) h.m.emplace("ut_pex", ut_pex_id);
    h.p = port;
    std::string bytes;
    wire::encode(bytes, h);
    t->on_peer_data(PeerKey{key}, bytes, now);
  }
  void send_pex(std::uint32_t key, const std::string& payload) {
    std::string bytes;
    wire::encode(bytes, wire::Message{wire::Extended{wire::kOurUtPexId, payload}});
    t->on_peer_data(PeerKey{key}, bytes, now);
  }
  void tick(std::chrono::seconds by) {
    now += by;
    t->tick(now);
    pump();
  }

  void pump() {
    for (TorrentEffect& e : t->take_effects()) {
      if (auto* send = std::get_if<torrent_effect::Send>(&e)) {
        Remote& r = remotes[send->peer.get()];
        r.frames.feed(send->bytes);
        for (;;) {
          auto frame = r.frames.pop();
          REQUIRE(frame.ok());
          if (!frame->has_value()) break;
          auto msg = wire::parse_message(**frame);
          REQUIRE(msg.ok());
          auto* ext = std::get_if<wire::Extended>(&*msg);
          if (ext == nullptr) continue;
          if (ext->id == 0) {
            auto h = wire::parse_extension_handshake(ext->payload);
            REQUIRE(h.ok());
            r.handshakes.push_back(*h);
          } else {
            CHECK(ext->id == kPeerUtPexId);  // always under the id the peer chose
            auto m = wire::parse_ut_pex(ext->payload);
            REQUIRE(m.ok());
            r.pex.push_back(*m);
          }
        }
        t->on_peer_drained(send->peer);
      } else if (auto* c = std::get_if<torrent_effect::Connect>(&e)) {
        connects.push_back(c->endpoint);
      } else if (auto* close = std::get_if<torrent_effect::Close>(&e)) {
        closed.emplace_back(close->peer.get(), close->reason);
      }
    }
  }
};

std::string pex_payload(const std::vector<tracker::PeerEndpoint>& added) {
  wire::PexMessage m;
  for (const auto& ep : added) m.added.push_back({ep, 0});
  return wire::encode_ut_pex(m);
}

}  // namespace

TEST_CASE("a public torrent offers ut_pex in its extension handshake, a private one does not") {
  Leecher pub;
  pub.connect(1, {"10.0.0.1", 6881}, false);
  pub.pump();
  REQUIRE(pub.remotes[1].handshakes.size() == 1);
  CHECK(pub.remotes[1].handshakes[0].id_of("ut_pex") == wire::kOurUtPexId);

  Leecher priv(true);
  priv.connect(1, {"10.0.0.1", 6881}, false);
  priv.pump();
  REQUIRE(priv.remotes[1].handshakes.size() == 1);
  CHECK(priv.remotes[1].handshakes[0].id_of("ut_pex") == 0);

  TorrentConfig off;
  off.pex = false;
  Leecher disabled(false, off);
  disabled.connect(1, {"10.0.0.1", 6881}, false);
  disabled.pump();
  CHECK(disabled.remotes[1].handshakes.at(0).id_of("ut_pex") == 0);
}

TEST_CASE("peers learned through ut_pex are dialled") {
  Leecher l;
  l.connect(1, {"10.0.0.1", 6881}, false);
  l.handshake(1, kPeerUtPexId);
  l.pump();
  l.send_pex(1, pex_payload({{"10.0.0.7", 7000}, {"2001:db8::2", 51413}}));
  l.pump();
  CHECK(l.connects == std::vector<tracker::PeerEndpoint>{{"10.0.0.7", 7000}, {"2001:db8::2", 51413}});
  CHECK(l.closed.empty());
}

TEST_CASE("one ut_pex message yields at most max_pex_candidates new peers") {
  TorrentConfig config;
  config.max_peers = 1000;
  config.max_connecting = 1000;
  config.max_pex_candidates = 50;
  Leecher l(false, config);
  l.connect(1, {"10.0.0.1", 6881}, false);
  l.handshake(1, kPeerUtPexId);
  std::vector<tracker::PeerEndpoint> many;
  for (int i = 0; i < 150; ++i) many.push_back({"10.1." + std::to_string(i / 200) + "." + std::to_string(i % 200), 6881});
  l.send_pex(1, pex_payload(many));
  l.pump();
  CHECK(l.connects.size() == 50);
  CHECK(l.connects.front() == many.front());
}

TEST_CASE("a peer sending ut_pex more than 3 times a minute is dropped; once a minute is fine") {
  Leecher l;
  l.connect(1, {"10.0.0.1", 6881}, false);
  l.connect(2, {"10.0.0.2", 6881}, false);
  l.handshake(1, kPeerUtPexId);
  l.handshake(2, kPeerUtPexId);
  for (int i = 0; i < 5; ++i) {
    l.send_pex(2, pex_payload({{"10.0.2." + std::to_string(i + 1), 6881}}));
    l.now += 60s;
  }
  l.pump();
  for (int i = 0; i < 4; ++i) {
    l.send_pex(1, pex_payload({{"10.0.1." + std::to_string(i + 1), 6881}}));
    l.now += 5s;
  }
  l.pump();
  REQUIRE(l.closed.size() == 1);
  CHECK(l.closed[0].first == 1);
  CHECK(l.closed[0].second.find("ut_pex") != std::string::npos);
  CHECK(l.t->peer_count() == 1);
}

TEST_CASE("a malformed ut_pex message drops the peer, naming the fault") {
  Leecher l;
  l.connect(1, {"10.0.0.1", 6881}, false);
  l.handshake(1, kPeerUtPexId);
  l.send_pex(1, "d5:added5:12345e");
  l.pump();
  REQUIRE(l.closed.size() == 1);
  CHECK(l.closed[0].second.find("not a multiple of 6") != std::string::npos);
  CHECK(l.connects.empty());
}

TEST_CASE("a private torrent ignores ut_pex messages and sends none") {
  Leecher l(true);
  l.connect(1, {"10.0.0.1", 6881}, false);
  l.connect(2, {"10.0.0.2", 6881}, false);
  l.handshake(1, kPeerUtPexId);
  l.handshake(2, kPeerUtPexId);
  l.send_pex(1, pex_payload({{"10.0.0.7", 7000}}));
  l.tick(1s);
  l.tick(60s);
  CHECK(l.connects.empty());
  CHECK(l.closed.empty());
  CHECK(l.remotes[1].pex.empty());
  CHECK(l.remotes[2].pex.empty());
}

TEST_CASE("ut_pex to a peer: listen endpoints only, never itself, the diff a minute later") {
  Leecher l;
  l.connect(1, {"10.0.0.1", 6881}, false);   // we dialled it: its listen endpoint is known
  l.connect(2, {"10.0.0.2", 50000}, true);   // incoming, names its listen port 7000
  l.connect(3, {"10.0.0.3", 50001}, true);   // incoming without a port: cannot be named
  l.handshake(1, kPeerUtPexId);
  l.handshake(2, kPeerUtPexId, 7000);
  l.handshake(3, 0);
  l.pump();
  CHECK(l.remotes[1].pex.empty());  // nothing before the tick
  l.tick(1s);
  REQUIRE(l.remotes[1].pex.size() == 1);
  const wire::PexMessage& to1 = l.remotes[1].pex[0];
  REQUIRE(to1.added.size() == 1);
  CHECK(to1.added[0].endpoint == tracker::PeerEndpoint{"10.0.0.2", 7000});
  CHECK(to1.added[0].flags == 0);
  REQUIRE(l.remotes[2].pex.size() == 1);
  REQUIRE(l.remotes[2].pex[0].added.size() == 1);
  CHECK(l.remotes[2].pex[0].added[0].endpoint == tracker::PeerEndpoint{"10.0.0.1", 6881});
  CHECK(l.remotes[2].pex[0].added[0].flags == wire::kPexFlagReachable);
  CHECK(l.remotes[3].pex.empty());  // it offered no ut_pex

  // Peer 2 goes; peer 4 (dialled) comes. Nothing is said before a minute has passed.
  l.t->on_peer_closed(PeerKey{2}, "gone", l.now);
  l.connect(4, {"10.0.0.4", 6881}, false);
  l.tick(30s);
  CHECK(l.remotes[1].pex.size() == 1);
  l.tick(30s);
  REQUIRE(l.remotes[1].pex.size() == 2);
  const wire::PexMessage& diff = l.remotes[1].pex[1];
  CHECK(diff.added == std::vector<wire::PexPeer>{{{"10.0.0.4", 6881}, wire::kPexFlagReachable}});
  CHECK(diff.dropped == std::vector<tracker::PeerEndpoint>{{"10.0.0.2", 7000}});
  // Nothing changed since: no more messages.
  l.tick(60s);
  CHECK(l.remotes[1].pex.size() == 2);
}

TEST_CASE("set_pex withdraws ut_pex from connected peers (a handshake with id 0) and offers it again") {
  Leecher l;
  l.connect(1, {"10.0.0.1", 6881}, false);
  l.connect(2, {"10.0.0.2", 6881}, false);
  l.handshake(1, kPeerUtPexId);
  l.handshake(2, kPeerUtPexId);
  l.pump();
  l.t->set_pex(false, l.now);
  l.pump();
  for (std::uint32_t k : {1u, 2u}) {
    REQUIRE(l.remotes[k].handshakes.size() == 2);  // BEP 10: the second updates the first
    CHECK(l.remotes[k].handshakes[1].m.at("ut_pex") == 0);
  }
  l.send_pex(1, pex_payload({{"10.0.0.7", 7000}}));  // read no more
  l.tick(1s);
  l.tick(60s);
  CHECK(l.connects.empty());
  CHECK(l.closed.empty());  // a peer that still sends ut_pex is not at fault
  CHECK(l.remotes[1].pex.empty());
  CHECK(l.remotes[2].pex.empty());

  l.t->set_pex(true, l.now);
  l.t->set_pex(true, l.now);  // no change: nothing sent
  l.pump();
  CHECK(l.remotes[1].handshakes.size() == 3);
  CHECK(l.remotes[1].handshakes[2].id_of("ut_pex") == wire::kOurUtPexId);
  l.connect(3, {"10.0.0.3", 6881}, false);
  l.pump();
  CHECK(l.remotes[3].handshakes.at(0).id_of("ut_pex") == wire::kOurUtPexId);
  l.send_pex(1, pex_payload({{"10.0.0.8", 7000}}));
  l.pump();
  CHECK(l.connects == std::vector<tracker::PeerEndpoint>{{"10.0.0.8", 7000}});
  l.tick(60s);
  CHECK_FALSE(l.remotes[1].pex.empty());  // told about peers again
}
