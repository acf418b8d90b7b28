// Two PeerNetworks on one uv loop over 127.0.0.1, plus raw POSIX sockets playing broken or
// hostile peers. Every test ends with close_all() and uv_loop_close() == 0.
#include "daemon/net/peer_network.hpp"

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "core/mse/mse_initiator.hpp"
#include "tests/daemon/net/net_test_support.hpp"

using namespace btd;
using namespace btd::net;
using namespace btd::net::test;
using namespace std::chrono_literals;

namespace {

InfoHash hash_of(char c) {
  InfoHash h;
  h.bytes.fill(static_cast<std::uint8_t>(c));
  return h;
}

wire::PeerId id_of(std::string_view text) {
  wire::PeerId id;
  REQUIRE(wire::PeerId::from_bytes(text, id));
  return id;
}

// One network and everything it reported.
struct Node {
  std::set<InfoHash> served;
  std::vector<PeerReady> ready;
  std::map<SocketId, std::string> received;
  std::map<SocketId, std::string> closed;  // id -> reason
  std::vector<SocketId> drained;
  std::unique_ptr<PeerNetwork> net;

  Node(uv_loop_t* loop, std::string_view peer_id, std::set<InfoHash> torrents,
       PeerNetworkOptions options = {})
      : served(std::move(torrents)) {
    options.peer_id = id_of(peer_id);
    PeerNetworkCallbacks cb;
    cb.lookup = [this](const InfoHash& h) -> std::optional<TorrentMatch> {
      if (served.count(h) == 0) return std::nullopt;
      return TorrentMatch{};
    };
    cb.lookup_obfuscated = [this](const Sha1Digest& req2) -> std::optional<InfoHash> {
      for (const InfoHash& h : served)
        if (mse::req2_hash(h) == req2) return h;
      return std::nullopt;
    };
    cb.on_peer_ready = [this](const PeerReady& r) { ready.push_back(r); };
    cb.on_data = [this](SocketId id, std::string_view bytes) { received[id].append(bytes); };
    cb.on_drain = [this](SocketId id) { drained.push_back(id); };
    cb.on_closed = [this](SocketId id, const std::string& reason) {
      CHECK(closed.count(id) == 0);  // exactly once
      closed[id] = reason;
    };
    net = std::make_unique<PeerNetwork>(loop, std::move(options), std::move(cb));
  }

  std::uint16_t listen() {
    auto r = net->listen("127.0.0.1", 0);
    REQUIRE(r.ok());
    REQUIRE(net->listen_port() != 0);
    return net->listen_port();
  }
  std::string reason(SocketId id) const {
    auto it = closed.find(id);
    return it == closed.end() ? std::string("<open>") : it->second;
  }
};

PeerNetworkOptions plaintext_only() {
  PeerNetworkOptions options;
  options.encryption = EncryptionMode::disabled;
  return options;
}

const std::string kIdA = "-BD0100-aaaaaaaaaaaa";
const std::string kIdB = "-BD0100-bbbbbbbbbbbb";

tracker::PeerEndpoint local(std::uint16_t port) { return {"127.0.0.1", port}; }

std::string handshake_bytes(const InfoHash& h, std::string_view peer_id) {
  std::string out;
  wire::encode(out, wire::Handshake{wire::Reserved{}, h, id_of(peer_id)});
  return out;
}

void shut_down(TestLoop& loop, std::initializer_list<Node*> nodes) {
  for (Node* n : nodes) n->net->close_all();
  CHECK(loop.run_until([&] {
    for (Node* n : nodes) {
      if (n->net->stats().connections != 0) return false;
    }
    return true;
  }));
  CHECK(loop.finish() == 0);
}

}  // namespace

TEST_CASE("two networks handshake and exchange bytes both ways") {
  TestLoop loop;
  const InfoHash h = hash_of('h');
  Node a(loop.get(), kIdA, {h});
  Node b(loop.get(), kIdB, {h});
  const std::uint16_t port = a.listen();

  auto id = b.net->connect(local(port), h);
  REQUIRE(id.ok());
  CHECK_FALSE(b.net->send(*id, "too early"));  // no bytes before the handshake
  REQUIRE(loop.run_until([&] { return a.ready.size() == 1 && b.ready.size() == 1; }));

  const PeerReady& at_a = a.ready[0];
  const PeerReady& at_b = b.ready[0];
  CHECK(at_a.incoming);
  CHECK_FALSE(at_b.incoming);
  CHECK(at_b.id == *id);
  CHECK(at_a.info_hash == h);
  CHECK(at_b.info_hash == h);
  CHECK(at_a.theirs.peer_id == id_of(kIdB));
  CHECK(at_b.theirs.peer_id == id_of(kIdA));
  CHECK(at_a.theirs.reserved.fast_extension());
  CHECK(at_a.theirs.reserved.extension_protocol());
  CHECK_FALSE(at_a.theirs.reserved.dht());
  CHECK(at_a.endpoint.ip == "127.0.0.1");
  CHECK(at_b.endpoint == local(port));
  CHECK(at_a.leftover.empty());

  auto sa = a.net->stats();
  CHECK(sa.connections == 1);
  CHECK(sa.ready == 1);
  CHECK(sa.incoming == 1);
  CHECK(b.net->stats().outgoing == 1);

  CHECK(b.net->send(at_b.id, "hello from b"));
  CHECK(a.net->send(at_a.id, "hello from a"));
  // Many small writes queued in one turn go out in order.
  std::string many;
  for (int i = 0; i < 1000; ++i) {
    std::string piece = std::to_string(i) + ",";
    many += piece;
    CHECK(a.net->send(at_a.id, piece));
  }
  REQUIRE(loop.run_until([&] {
    return a.received[at_a.id].size() == 12 && b.received[at_b.id].size() == 12 + many.size();
  }));
  CHECK(a.received[at_a.id] == "hello from b");
  CHECK(b.received[at_b.id] == "hello from a" + many);

  shut_down(loop, {&a, &b});
  CHECK(a.reason(at_a.id) == "shutting down");
  CHECK(b.reason(at_b.id) == "shutting down");
}

TEST_CASE("8 MiB with back-pressure: the queue holds while the reader pauses, then drains") {
  TestLoop loop;
  const InfoHash h = hash_of('h');
  Node a(loop.get(), kIdA, {h});
  Node b(loop.get(), kIdB, {h});
  auto id = b.net->connect(local(a.listen()), h);
  REQUIRE(id.ok());
  REQUIRE(loop.run_until([&] { return a.ready.size() == 1 && b.ready.size() == 1; }));
  const SocketId at_a = a.ready[0].id;
  const SocketId at_b = b.ready[0].id;

  std::string payload(std::size_t{8} << 20, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>((i * 131) >> 7);
  b.net->pause_reading(at_b);
  loop.run_for(20ms);  // lets the write of our handshake finish (and report its drain)
  a.drained.clear();
  CHECK(a.net->send(at_a, payload));
  CHECK(a.net->queued_bytes(at_a) == payload.size());

  // The kernel takes a few MiB at most while nobody reads; the rest stays queued.
  loop.run_for(300ms);
  CHECK(a.net->queued_bytes(at_a) > 0);
  CHECK(a.drained.empty());
  CHECK(b.received[at_b].size() == 0);

  b.net->resume_reading(at_b);
  REQUIRE(loop.run_until([&] { return b.received[at_b].size() == payload.size(); }));
  CHECK(b.received[at_b] == payload);
  REQUIRE(loop.run_until([&] { return !a.drained.empty(); }));
  CHECK(a.drained == std::vector<SocketId>{at_a});
  CHECK(a.net->queued_bytes(at_a) == 0);

  shut_down(loop, {&a, &b});
}

TEST_CASE("an incoming peer asking for a torrent we do not serve is refused with the info-hash") {
  TestLoop loop;
  Node a(loop.get(), kIdA, {hash_of('h')});
  Node b(loop.get(), kIdB, {hash_of('u')}, plaintext_only());  // no encrypted retry
  auto id = b.net->connect(local(a.listen()), hash_of('u'));
  REQUIRE(id.ok());
  REQUIRE(loop.run_until([&] { return a.closed.size() == 1 && b.closed.size() == 1; }));
  CHECK(a.closed.begin()->second == "unknown info-hash " + hash_of('u').hex());
  CHECK(b.closed.count(*id) == 1);
  CHECK(a.ready.empty());
  CHECK(b.ready.empty());
  shut_down(loop, {&a, &b});
}

TEST_CASE("an outgoing connection answered for another torrent is refused") {
  TestLoop loop;
  Node b(loop.get(), kIdB, {hash_of('h')});

  // A raw peer that accepts and answers for torrent 'w' whatever we ask for.
  int server = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(server >= 0);
  sockaddr_in addr = loopback(0);
  REQUIRE(::bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(server, 4) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(server, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const std::string wrong = handshake_bytes(hash_of('w'), "-XX0000-wrongtorrent");
  std::string what_we_sent;
  std::thread peer([&] {
    pollfd p{server, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) return;
    int c = ::accept(server, nullptr, nullptr);
    if (c < 0) return;
    raw_send(c, wrong);
    bool eof = false;
    what_we_sent = raw_read_all(c, eof, 5000);
    ::close(c);
  });

  auto id = b.net->connect(local(ntohs(addr.sin_port)), hash_of('h'));
  REQUIRE(id.ok());
  REQUIRE(loop.run_until([&] { return b.closed.count(*id) == 1; }));
  peer.join();
  ::close(server);
  CHECK(b.reason(*id) == "peer answered for info-hash " + hash_of('w').hex() +
                             ", we asked for " + hash_of('h').hex());
  CHECK(b.ready.empty());
  // We spoke first, with our own handshake for our torrent.
  CHECK(what_we_sent.substr(0, 68) == [&] {
    std::string ours;
    wire::encode(ours, wire::Handshake{default_reserved(), hash_of('h'), id_of(kIdB)});
    return ours;
  }());
  shut_down(loop, {&b});
}

TEST_CASE("a peer that connects and says nothing is closed by the handshake timeout") {
  TestLoop loop;
  PeerNetworkOptions options;
  options.handshake_timeout = 100ms;
  Node a(loop.get(), kIdA, {hash_of('h')}, options);
  int fd = raw_connect(a.listen());
  REQUIRE(loop.run_until([&] { return a.closed.size() == 1; }));
  CHECK(a.closed.begin()->second == "handshake timed out after 100 ms");
  bool eof = false;
  CHECK(raw_read_all(fd, eof).empty());
  CHECK(eof);
  ::close(fd);
  shut_down(loop, {&a});
}

TEST_CASE("an HTTP request instead of a handshake is closed with a reason") {
  TestLoop loop;
  // With encryption on it would be taken for the start of a DH key (see the MSE tests).
  Node a(loop.get(), kIdA, {hash_of('h')}, plaintext_only());
  int fd = raw_connect(a.listen());
  REQUIRE(raw_send(fd, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  REQUIRE(loop.run_until([&] { return a.closed.size() == 1; }));
  CHECK(a.closed.begin()->second.rfind("bad handshake: ", 0) == 0);
  CHECK(a.ready.empty());
  bool eof = false;
  CHECK(raw_read_all(fd, eof).empty());  // not a byte of ours to a non-BitTorrent client
  CHECK(eof);
  ::close(fd);
  shut_down(loop, {&a});
}

TEST_CASE("bytes sent right behind the handshake reach on_peer_ready as leftover") {
  TestLoop loop;
  const InfoHash h = hash_of('h');
  Node a(loop.get(), kIdA, {h});
  int fd = raw_connect(a.listen());
  const std::string first_messages("\0\0\0\x01\x02\0\0\0\0", 9);  // interested, keep-alive
  REQUIRE(raw_send(fd, handshake_bytes(h, "-XX0000-rawclient123") + first_messages));
  REQUIRE(loop.run_until([&] { return a.ready.size() == 1; }));
  CHECK(a.ready[0].leftover == first_messages);
  CHECK(a.ready[0].theirs.peer_id == id_of("-XX0000-rawclient123"));
  CHECK(a.net->send(a.ready[0].id, "after"));
  loop.run_for(50ms);
  bool eof = false;
  std::string got = raw_read_all(fd, eof, 500);
  REQUIRE(got.size() == 68 + 5);
  CHECK(got.substr(28, 20) == h.view());
  CHECK(got.substr(48, 20) == kIdA);
  CHECK(got.substr(68) == "after");
  ::close(fd);
  shut_down(loop, {&a});
}

TEST_CASE("connecting to a closed port reports the error") {
  TestLoop loop;
  Node b(loop.get(), kIdB, {hash_of('h')});
  const std::uint16_t port = closed_port();
  auto id = b.net->connect(local(port), hash_of('h'));
  REQUIRE(id.ok());
  REQUIRE(loop.run_until([&] { return b.closed.count(*id) == 1; }));
  CHECK(b.reason(*id) == "connect to 127.0.0.1:" + std::to_string(port) + " failed: connection refused");
  // The endpoint is free again for this torrent.
  auto again = b.net->connect(local(port), hash_of('h'));
  CHECK(again.ok());
  shut_down(loop, {&b});
}

TEST_CASE("connecting to ourselves is detected on both ends") {
  TestLoop loop;
  Node a(loop.get(), kIdA, {hash_of('h')});
  auto id = a.net->connect(local(a.listen()), hash_of('h'));
  REQUIRE(id.ok());
  REQUIRE(loop.run_until([&] { return a.closed.size() == 2; }));
  CHECK(a.reason(*id) == "connected to ourselves");
  for (const auto& [closed_id, reason] : a.closed) CHECK(reason == "connected to ourselves");
  CHECK(a.ready.empty());
  shut_down(loop, {&a});
}

TEST_CASE("a duplicate outgoing connection to the same endpoint and torrent is refused") {
  TestLoop loop;
  Node a(loop.get(), kIdA, {hash_of('h'), hash_of('i')});
  Node b(loop.get(), kIdB, {hash_of('h'), hash_of('i')});
  const std::uint16_t port = a.listen();
  auto first = b.net->connect(local(port), hash_of('h'));
  REQUIRE(first.ok());
  auto second = b.net->connect(local(port), hash_of('h'));
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().message ==
        "already connecting or connected to 127.0.0.1:" + std::to_string(port) + " for torrent " +
            hash_of('h').hex());
  // Another torrent on the same peer is a different connection.
  CHECK(b.net->connect(local(port), hash_of('i')).ok());
  REQUIRE(loop.run_until([&] { return b.ready.size() == 2; }));
  CHECK_FALSE(b.net->connect(local(port), hash_of('h')).ok());  // still open
  shut_down(loop, {&a, &b});
}

TEST_CASE("global limit: the connection beyond it is accepted and closed at once") {
  TestLoop loop;
  PeerNetworkOptions options;
  options.max_connections = 2;
  Node a(loop.get(), kIdA, {hash_of('1'), hash_of('2'), hash_of('3')}, options);
  Node b(loop.get(), kIdB, {hash_of('1'), hash_of('2'), hash_of('3')}, plaintext_only());
  const std::uint16_t port = a.listen();
  for (char c : {'1', '2', '3'}) REQUIRE(b.net->connect(local(port), hash_of(c)).ok());
  REQUIRE(loop.run_until([&] { return b.ready.size() == 2 && b.closed.size() == 1; }));
  loop.run_for(50ms);
  CHECK(a.ready.size() == 2);
  CHECK(a.closed.empty());  // refused at accept: never a connection of A's
  CHECK(a.net->stats().connections == 2);
  CHECK(a.net->stats().refused_incoming == 1);
  CHECK(b.ready.size() == 2);

  // Outgoing connections count against the limit too.
  auto over = a.net->connect(local(closed_port()), hash_of('1'));
  REQUIRE_FALSE(over.ok());
  CHECK(over.error().is(Errc::limit_exceeded));
  shut_down(loop, {&a, &b});
}

TEST_CASE("per-torrent limit: a handshake beyond it is closed with the torrent and the limit") {
  TestLoop loop;
  PeerNetworkOptions options;
  options.max_connections_per_torrent = 1;
  const InfoHash h = hash_of('h');
  Node a(loop.get(), kIdA, {h}, options);
  const std::uint16_t port = a.listen();
  int first = raw_connect(port);
  int second = raw_connect(port);
  REQUIRE(raw_send(first, handshake_bytes(h, "-XX0000-rawclient001")));
  REQUIRE(loop.run_until([&] { return a.ready.size() == 1; }));
  REQUIRE(raw_send(second, handshake_bytes(h, "-XX0000-rawclient002")));
  REQUIRE(loop.run_until([&] { return a.closed.size() == 1; }));
  CHECK(a.closed.begin()->second == "too many connections for torrent " + h.hex() + " (limit 1)");
  ::close(first);
  ::close(second);
  // The first peer left: its slot is free again.
  REQUIRE(loop.run_until([&] { return a.closed.size() == 2; }));
  int third = raw_connect(port);
  REQUIRE(raw_send(third, handshake_bytes(h, "-XX0000-rawclient003")));
  REQUIRE(loop.run_until([&] { return a.ready.size() == 2; }));
  ::close(third);
  shut_down(loop, {&a});
}

TEST_CASE("close(id) reports the reason given, and close_all ends listening and connecting") {
  TestLoop loop;
  const InfoHash h = hash_of('h');
  Node a(loop.get(), kIdA, {h});
  Node b(loop.get(), kIdB, {h});
  const std::uint16_t port = a.listen();
  REQUIRE(b.net->connect(local(port), h).ok());
  REQUIRE(loop.run_until([&] { return a.ready.size() == 1 && b.ready.size() == 1; }));
  b.net->close(b.ready[0].id, "choked too long");
  b.net->close(b.ready[0].id, "second reason is ignored");
  CHECK_FALSE(b.net->send(b.ready[0].id, "x"));
  REQUIRE(loop.run_until([&] { return a.closed.size() == 1 && b.closed.size() == 1; }));
  CHECK(b.reason(b.ready[0].id) == "choked too long");
  CHECK(a.reason(a.ready[0].id) == "connection closed by peer");

  a.net->close_all();
  CHECK(a.net->listen_port() == 0);
  CHECK_FALSE(a.net->connect(local(port), h).ok());
  shut_down(loop, {&a, &b});
}

TEST_CASE("a network destroyed with open connections leaves no handle behind") {
  TestLoop loop;
  const InfoHash h = hash_of('h');
  auto a = std::make_unique<Node>(loop.get(), kIdA, std::set<InfoHash>{h});
  Node b(loop.get(), kIdB, {h});
  REQUIRE(b.net->connect(local(a->listen()), h).ok());
  REQUIRE(loop.run_until([&] { return a->ready.size() == 1 && b.ready.size() == 1; }));
  a.reset();  // no callbacks into the destroyed node
  REQUIRE(loop.run_until([&] { return b.closed.size() == 1; }));
  shut_down(loop, {&b});
}

// ---- Message Stream Encryption ---------------------------------------------------------------

namespace {

PeerNetworkOptions with_encryption(EncryptionMode mode) {
  PeerNetworkOptions options;
  options.encryption = mode;
  return options;
}

bool fill_random(std::uint8_t* data, std::size_t size) {
  static std::uint64_t x = 0x2545f4914f6cdd1dULL;
  for (std::size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    data[i] = static_cast<std::uint8_t>(x >> 32);
  }
  return true;
}

}  // namespace

TEST_CASE("MSE: two networks requiring encryption exchange RC4 streams, 2 MiB both ways") {
  TestLoop loop;
  const InfoHash h = hash_of('h');
  Node a(loop.get(), kIdA, {h}, with_encryption(EncryptionMode::required));
  Node b(loop.get(), kIdB, {h}, with_encryption(EncryptionMode::required));
  auto id = b.net->connect(local(a.listen()), h);
  REQUIRE(id.ok());
  REQUIRE(loop.run_until([&] { return a.ready.size() == 1 && b.ready.size() == 1; }));
  CHECK(a.ready[0].mse_crypto == mse::kCryptoRc4);
  CHECK(b.ready[0].mse_crypto == mse::kCryptoRc4);
  CHECK(a.ready[0].theirs.peer_id == id_of(kIdB));
  CHECK(a.net->stats().encrypted == 1);

  std::string big(2 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131) >> 3);
  const SocketId at_a = a.ready[0].id;
  // In pieces, so writes queue while one is in flight and the stream order is what counts.
  for (std::size_t at = 0; at < big.size(); at += 100'000) {
    CHECK(b.net->send(*id, big.substr(at, 100'000)));
    CHECK(a.net->send(at_a, big.substr(at, 100'000)));
  }
  REQUIRE(loop.run_until([&] { return a.received[at_a].size() == big.size() && b.received[*id].size() == big.size(); }));
  CHECK(a.received[at_a] == big);
  CHECK(b.received[*id] == big);
  shut_down(loop, {&a, &b});
}

TEST_CASE("MSE: a plaintext dialer hung up on by a peer requiring encryption retries encrypted") {
  TestLoop loop;
  const InfoHash h = hash_of('h');
  Node a(loop.get(), kIdA, {h}, with_encryption(EncryptionMode::required));
  Node b(loop.get(), kIdB, {h});  // prefer_plaintext, the default
  auto id = b.net->connect(local(a.listen()), h);
  REQUIRE(id.ok());
  REQUIRE(loop.run_until([&] { return a.ready.size() == 1 && b.ready.size() == 1; }));
  CHECK(b.ready[0].id == *id);  // the same connection, as far as the owner can tell
  CHECK(b.ready[0].mse_crypto == mse::kCryptoRc4);
  CHECK(b.closed.empty());
  CHECK(b.net->stats().retried == 1);
  REQUIRE(a.closed.size() == 1);
  CHECK(a.closed.begin()->second == "plaintext handshake refused: the \"encryption\" setting is \"required\"");
  CHECK(b.net->send(*id, "after retry"));
  REQUIRE(loop.run_until([&] { return a.received[a.ready[0].id] == "after retry"; }));
  shut_down(loop, {&a, &b});
}

TEST_CASE("MSE: an encrypted dialer hung up on by a plaintext-only peer retries plaintext") {
  TestLoop loop;
  const InfoHash h = hash_of('h');
  Node a(loop.get(), kIdA, {h}, with_encryption(EncryptionMode::disabled));
  Node b(loop.get(), kIdB, {h}, with_encryption(EncryptionMode::prefer_encrypted));
  auto id = b.net->connect(local(a.listen()), h);
  REQUIRE(id.ok());
  REQUIRE(loop.run_until([&] { return a.ready.size() == 1 && b.ready.size() == 1; }));
  CHECK(b.ready[0].mse_crypto == 0);
  CHECK(a.ready[0].mse_crypto == 0);
  CHECK(b.net->stats().retried == 1);
  REQUIRE(a.closed.size() == 1);
  CHECK(a.closed.begin()->second.find("encrypted handshakes are off") != std::string::npos);
  shut_down(loop, {&a, &b});
}

TEST_CASE("MSE: required dialer and plaintext-only listener: refused once, no retry") {
  TestLoop loop;
  const InfoHash h = hash_of('h');
  Node a(loop.get(), kIdA, {h}, with_encryption(EncryptionMode::disabled));
  Node b(loop.get(), kIdB, {h}, with_encryption(EncryptionMode::required));
  auto id = b.net->connect(local(a.listen()), h);
  REQUIRE(id.ok());
  REQUIRE(loop.run_until([&] { return b.closed.size() == 1; }));
  loop.run_for(100ms);
  CHECK(a.closed.size() == 1);
  CHECK(b.net->stats().retried == 0);
  CHECK(a.ready.empty());
  CHECK(b.ready.empty());
  shut_down(loop, {&a, &b});
}

TEST_CASE("MSE: an encrypted handshake for a torrent we do not serve is refused") {
  TestLoop loop;
  Node a(loop.get(), kIdA, {hash_of('h')});
  Node b(loop.get(), kIdB, {hash_of('u')}, with_encryption(EncryptionMode::required));
  REQUIRE(b.net->connect(local(a.listen()), hash_of('u')).ok());
  REQUIRE(loop.run_until([&] { return a.closed.size() == 1 && b.closed.size() == 1; }));
  CHECK(a.closed.begin()->second == "encrypted handshake: the peer asks for a torrent we do not serve");
  shut_down(loop, {&a, &b});
}

TEST_CASE("MSE: a raw initiator offering both gets plaintext after the handshake, as aria2 does") {
  TestLoop loop;
  const InfoHash h = hash_of('h');
  Node a(loop.get(), kIdA, {h});
  const std::uint16_t port = a.listen();
  std::string theirs_seen;  // a's BitTorrent handshake, as the raw peer read it
  std::optional<std::string> failure;
  std::thread peer([&] {
    int fd = raw_connect(port);
    std::string ia = handshake_bytes(h, "-AR1360-rawinitiator");
    mse::MseInitiator initiator(h, mse::kCryptoPlaintext | mse::kCryptoRc4, ia, fill_random);
    raw_send(fd, initiator.start().value());
    std::string rest;
    for (bool done = false; !done && !failure;) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) { failure = "silence"; break; }
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) { failure = "closed"; break; }
      mse::MseStep step = initiator.feed(std::string_view(buf, static_cast<std::size_t>(n)));
      raw_send(fd, step.send);
      if (step.failure) failure = step.failure;
      if (step.complete) {
        mse::MseResult r = initiator.take_result();
        if (r.selected != mse::kCryptoPlaintext) failure = "selected " + std::to_string(r.selected);
        rest = r.payload;
        done = true;
      }
    }
    // Plaintext from here: a's handshake, then our "interested" goes unencrypted.
    bool eof = false;
    while (!failure && rest.size() < 68 && !eof) rest += raw_read_all(fd, eof, 300);
    theirs_seen = rest;
    raw_send(fd, std::string("\0\0\0\x01\x02", 5));
    raw_read_all(fd, eof, 500);
    ::close(fd);
  });
  REQUIRE(loop.run_until([&] { return a.ready.size() == 1 && !a.received[a.ready[0].id].empty(); }));
  peer.join();
  CHECK_FALSE(failure);
  CHECK(a.ready[0].mse_crypto == mse::kCryptoPlaintext);
  CHECK(a.ready[0].theirs.peer_id == id_of("-AR1360-rawinitiator"));
  CHECK(theirs_seen.substr(0, 20) == std::string(wire::kProtocolString));
  CHECK(a.received[a.ready[0].id] == std::string("\0\0\0\x01\x02", 5));
  shut_down(loop, {&a});
}

TEST_CASE("MSE: an HTTP request with encryption on waits for a whole DH key and times out silently") {
  TestLoop loop;
  PeerNetworkOptions options;
  options.handshake_timeout = 200ms;
  Node a(loop.get(), kIdA, {hash_of('h')}, options);
  int fd = raw_connect(a.listen());
  REQUIRE(raw_send(fd, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
  REQUIRE(loop.run_until([&] { return a.closed.size() == 1; }));
  CHECK(a.closed.begin()->second == "handshake timed out after 200 ms");
  bool eof = false;
  CHECK(raw_read_all(fd, eof).empty());
  CHECK(eof);
  ::close(fd);
  shut_down(loop, {&a});
}

TEST_CASE("MSE: random bytes are answered with one Yb and closed once req1 cannot be in them") {
  TestLoop loop;
  Node a(loop.get(), kIdA, {hash_of('h')});
  int fd = raw_connect(a.listen());
  std::string garbage(4096, '\0');
  fill_random(reinterpret_cast<std::uint8_t*>(garbage.data()), garbage.size());
  garbage[0] = 0x13;  // even starting like a handshake: the second byte decides
  REQUIRE(raw_send(fd, garbage));
  REQUIRE(loop.run_until([&] { return a.closed.size() == 1; }));
  CHECK(a.closed.begin()->second == "encrypted handshake: no req1 hash within 512 bytes of padding (not MSE, or a different secret)");
  bool eof = false;
  const std::string answer = raw_read_all(fd, eof);
  CHECK(answer.size() >= mse::kDhKeySize);
  CHECK(answer.size() <= mse::kDhKeySize + mse::kMaxPad);
  ::close(fd);
  shut_down(loop, {&a});
}
