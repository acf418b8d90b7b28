// MseInitiator and MseResponder talking to each other in memory, and each of them against
// hand-made messages from a peer that breaks the specification.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "core/mse/mse_initiator.hpp"
#include "core/mse/mse_responder.hpp"
#include "core/wire/big_endian.hpp"

using namespace btd;
using namespace btd::mse;

namespace {

// Deterministic randomness: the same seed replays the same exchange byte for byte.
RandomSource seeded(std::uint64_t seed) {
  auto state = std::make_shared<std::uint64_t>(seed * 0x9e3779b97f4a7c15ULL + 1);
  return [state](std::uint8_t* data, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i) {
      std::uint64_t& x = *state;
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      data[i] = static_cast<std::uint8_t>(x >> 24);
    }
    return true;
  };
}

InfoHash hash_of(char c) {
  InfoHash h;
  h.bytes.fill(static_cast<std::uint8_t>(c));
  return h;
}

const InfoHash kServed = hash_of('s');

SkeyLookup serving(std::vector<InfoHash> torrents) {
  return [torrents](const Sha1Digest& req2) -> std::optional<InfoHash> {
    for (const InfoHash& h : torrents)
      if (req2_hash(h) == req2) return h;
    return std::nullopt;
  };
}

// Stands in for the 68-byte BitTorrent handshake carried as IA.
const std::string kIa = std::string("\x13") + "BitTorrent protocol" + std::string(48, 'h');

struct Side {
  std::string sent;      // every byte it wrote
  std::string received;  // plaintext it got: payload, then what its cipher decrypted
  std::optional<MseResult> result;
  std::optional<std::string> failure;
};

// Feeds `bytes` to a machine; once it completed, further bytes go through its cipher.
template <class Machine>
void deliver(Machine& m, Side& side, std::string bytes) {
  if (side.failure) return;
  if (side.result) {
    side.result->cipher.decrypt(bytes.data(), bytes.size());
    side.received += bytes;
    return;
  }
  MseStep step = m.feed(bytes);
  side.sent += step.send;
  if (step.failure) side.failure = step.failure;
  if (step.complete) {
    side.result = m.take_result();
    side.received += side.result->payload;
  }
}

struct Exchange {
  Side a;
  Side b;
};

// A full exchange with every write delivered whole.
Exchange run(std::uint32_t provide, ResponderPolicy policy, std::uint64_t seed = 1,
             const InfoHash& skey = kServed) {
  MseInitiator initiator(skey, provide, kIa, seeded(seed));
  MseResponder responder(policy, serving({hash_of('x'), kServed}), seeded(seed + 100));
  Exchange e;
  e.a.sent = initiator.start().value();
  std::size_t a_done = 0;
  std::size_t b_done = 0;
  for (int round = 0; round < 10; ++round) {
    const std::string a_new = e.a.sent.substr(a_done);
    a_done = e.a.sent.size();
    if (!a_new.empty()) deliver(responder, e.b, a_new);
    const std::string b_new = e.b.sent.substr(b_done);
    b_done = e.b.sent.size();
    if (!b_new.empty()) deliver(initiator, e.a, b_new);
    if (a_new.empty() && b_new.empty()) break;
  }
  return e;
}

// Sends `text` from one completed side to the other through both ciphers.
std::string through(Side& from, Side& to, std::string text) {
  from.result->cipher.encrypt(text.data(), text.size());
  to.result->cipher.decrypt(text.data(), text.size());
  return text;
}

bool contains(const std::optional<std::string>& s, std::string_view part) {
  return s && s->find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("MSE: initiator offering both, responder preferring plaintext: plaintext after the handshake") {
  Exchange e = run(kCryptoPlaintext | kCryptoRc4, ResponderPolicy{});
  REQUIRE_FALSE(e.a.failure);
  REQUIRE_FALSE(e.b.failure);
  REQUIRE(e.a.result);
  REQUIRE(e.b.result);
  CHECK(e.a.result->selected == kCryptoPlaintext);
  CHECK(e.b.result->selected == kCryptoPlaintext);
  CHECK(e.b.result->info_hash == kServed);
  CHECK(e.b.received == kIa);  // IA arrived decrypted
  CHECK(e.a.sent.find(kIa) == std::string::npos);  // ...but was encrypted on the wire
  CHECK_FALSE(e.a.result->cipher.encrypts());
  CHECK_FALSE(e.b.result->cipher.encrypts());
  CHECK_FALSE(e.b.result->cipher.decrypts());
  // Plaintext from here on: the ciphers leave bytes alone.
  CHECK(through(e.a, e.b, "interested") == "interested");
  CHECK(through(e.b, e.a, "unchoke") == "unchoke");
}

TEST_CASE("MSE: RC4 for the whole stream when the responder prefers it or it is all that is offered") {
  for (auto [provide, policy] : {std::pair{kCryptoRc4, ResponderPolicy{}},
                                 std::pair{kCryptoPlaintext | kCryptoRc4, ResponderPolicy{kCryptoPlaintext | kCryptoRc4, false}},
                                 std::pair{kCryptoPlaintext | kCryptoRc4, ResponderPolicy{kCryptoRc4, true}}}) {
    Exchange e = run(provide, policy, 7);
    REQUIRE(e.a.result);
    REQUIRE(e.b.result);
    CHECK(e.a.result->selected == kCryptoRc4);
    CHECK(e.b.result->selected == kCryptoRc4);
    CHECK(e.b.received == kIa);
    CHECK(e.a.result->cipher.encrypts());
    CHECK(e.b.result->cipher.decrypts());
    std::string big(100000, 'p');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i % 251);
    std::string wire_bytes = big;
    e.a.result->cipher.encrypt(wire_bytes.data(), wire_bytes.size());
    CHECK(wire_bytes != big);
    e.b.result->cipher.decrypt(wire_bytes.data(), wire_bytes.size());
    CHECK(wire_bytes == big);
    CHECK(through(e.b, e.a, "have 17") == "have 17");
    CHECK(through(e.a, e.b, "request") == "request");
  }
}

TEST_CASE("MSE: different seeds give different keys, pads and wire bytes") {
  Exchange one = run(kCryptoRc4, ResponderPolicy{}, 1);
  Exchange two = run(kCryptoRc4, ResponderPolicy{}, 2);
  REQUIRE(one.a.result);
  REQUIRE(two.a.result);
  CHECK(one.a.sent != two.a.sent);
  CHECK(one.b.sent != two.b.sent);
  Exchange again = run(kCryptoRc4, ResponderPolicy{}, 1);
  CHECK(again.a.sent == one.a.sent);  // the randomness is all injected
}

TEST_CASE("MSE: every split point of either side's stream gives the same result") {
  for (std::uint32_t provide : {kCryptoPlaintext | kCryptoRc4, kCryptoRc4}) {
    CAPTURE(provide);
    Exchange ref = run(provide, ResponderPolicy{}, 3);
    REQUIRE(ref.a.result);
    REQUIRE(ref.b.result);
    // Messages after the handshake ride on both streams, so splits inside them count too.
    const std::string a_after = "after-A";
    const std::string b_after = "after-B";
    std::string a_stream = ref.a.sent;
    std::string tail = a_after;
    ref.a.result->cipher.encrypt(tail.data(), tail.size());
    a_stream += tail;
    std::string b_stream = ref.b.sent;
    tail = b_after;
    ref.b.result->cipher.encrypt(tail.data(), tail.size());
    b_stream += tail;

    for (std::size_t cut = 0; cut <= a_stream.size(); ++cut) {
      MseResponder responder(ResponderPolicy{}, serving({kServed}), seeded(103));
      Side b;
      deliver(responder, b, a_stream.substr(0, cut));
      deliver(responder, b, a_stream.substr(cut));
      REQUIRE_MESSAGE(b.result, "responder, cut at " << cut);
      CHECK(b.sent == ref.b.sent);
      CHECK(b.received == kIa + a_after);
    }
    for (std::size_t cut = 0; cut <= b_stream.size(); ++cut) {
      MseInitiator initiator(kServed, provide, kIa, seeded(3));
      Side a;
      a.sent = initiator.start().value();
      deliver(initiator, a, b_stream.substr(0, cut));
      deliver(initiator, a, b_stream.substr(cut));
      REQUIRE_MESSAGE(a.result, "initiator, cut at " << cut);
      CHECK(a.sent == ref.a.sent);
      CHECK(a.received == b_after);
    }
  }
}

TEST_CASE("MSE: one byte at a time both ways") {
  MseInitiator initiator(kServed, kCryptoRc4, kIa, seeded(5));
  MseResponder responder(ResponderPolicy{}, serving({kServed}), seeded(6));
  Side a;
  Side b;
  a.sent = initiator.start().value();
  std::size_t a_done = 0;
  std::size_t b_done = 0;
  // B completes once len(IA) is in; the rest of IA then goes through its cipher.
  while (a_done < a.sent.size() || b_done < b.sent.size()) {
    REQUIRE_FALSE(a.failure);
    REQUIRE_FALSE(b.failure);
    if (a_done < a.sent.size()) deliver(responder, b, a.sent.substr(a_done++, 1));
    if (b_done < b.sent.size()) deliver(initiator, a, b.sent.substr(b_done++, 1));
  }
  REQUIRE(a.result);
  REQUIRE(b.result);
  CHECK(b.received == kIa);
  CHECK(through(a, b, "x") == "x");
}

TEST_CASE("MSE responder: unknown torrent, refused crypto offers") {
  SUBCASE("info-hash we do not serve") {
    Exchange e = run(kCryptoRc4, ResponderPolicy{}, 1, hash_of('u'));
    CHECK(contains(e.b.failure, "torrent we do not serve"));
    CHECK_FALSE(e.a.result);
  }
  SUBCASE("plaintext offered, RC4 required") {
    Exchange e = run(kCryptoPlaintext, ResponderPolicy{kCryptoRc4, true});
    CHECK(contains(e.b.failure, "offers plaintext, we accept rc4"));
  }
  SUBCASE("RC4 offered, only plaintext accepted") {
    Exchange e = run(kCryptoRc4, ResponderPolicy{kCryptoPlaintext, true});
    CHECK(contains(e.b.failure, "offers rc4, we accept plaintext"));
  }
}

TEST_CASE("MSE responder: garbage never synchronises; the search is bounded by Ya + 512 + 20 bytes") {
  MseResponder responder(ResponderPolicy{}, serving({kServed}), seeded(9));
  std::string garbage(2000, '\0');
  seeded(77)(reinterpret_cast<std::uint8_t*>(garbage.data()), garbage.size());
  garbage[0] = 0x55;  // a valid (1 < Ya < P-1) public key
  Side b;
  const std::size_t bound = kDhKeySize + kMaxPad + Sha1Digest::kSize;
  deliver(responder, b, garbage.substr(0, bound - 1));
  CHECK_FALSE(b.failure);
  CHECK(b.sent.size() >= kDhKeySize);  // Yb went out once Ya was in
  CHECK(b.sent.size() <= kDhKeySize + kMaxPad);
  deliver(responder, b, garbage.substr(bound - 1, 1));
  CHECK(contains(b.failure, "no req1 hash within 512 bytes"));
  CHECK(responder.feed("more").failure);  // fed after it ended
}

TEST_CASE("MSE responder: a huge first read fails at once instead of waiting") {
  MseResponder responder(ResponderPolicy{}, serving({kServed}), seeded(9));
  std::string garbage(64 * 1024, '\x42');
  MseStep step = responder.feed(garbage);
  CHECK(step.failure);
}

TEST_CASE("MSE responder: a public key outside 2..P-2 is refused") {
  MseResponder responder(ResponderPolicy{}, serving({kServed}), seeded(9));
  MseStep step = responder.feed(std::string(kDhKeySize, '\0'));
  CHECK(contains(step.failure, "outside 2..P-2"));
  CHECK(step.send.empty());
}

namespace {

// A hand-made initiator: real keys, but every field of the third message chosen by the test.
struct Crafted {
  DhKey key{std::array<std::uint8_t, kPrivateKeySize>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}};
  MseResponder responder{ResponderPolicy{}, serving({kServed}), seeded(11)};
  Side b;
  DhBytes secret{};

  Crafted() {
    deliver(responder, b, std::string(as_view(key.public_key())));
    REQUIRE(b.sent.size() >= kDhKeySize);
    secret = *key.shared_secret(std::string_view(b.sent).substr(0, kDhKeySize));
  }

  // req1, req2^req3, then ENCRYPT(vc, provide, len(PadC), PadC, len(IA), IA).
  std::string third(std::string vc, std::uint32_t provide, std::size_t pad_c, const std::string& ia) {
    std::string out(req1_hash(secret).view());
    const Sha1Digest r2 = req2_hash(kServed);
    const Sha1Digest r3 = req3_hash(secret);
    for (std::size_t i = 0; i < 20; ++i) out.push_back(static_cast<char>(r2.bytes[i] ^ r3.bytes[i]));
    std::string plain = std::move(vc);
    wire::append_u32(plain, provide);
    wire::append_u16(plain, static_cast<std::uint16_t>(pad_c));
    plain += std::string(pad_c, 'c');
    wire::append_u16(plain, static_cast<std::uint16_t>(ia.size()));
    plain += ia;
    auto rc4 = Rc4::create(key_a(secret, kServed).view());
    REQUIRE(rc4.ok());
    rc4->apply(plain);
    return out + plain;
  }
};

}  // namespace

TEST_CASE("MSE responder: hand-made third messages") {
  SUBCASE("accepted when well formed, with padding before req1 and PadC") {
    Crafted c;
    deliver(c.responder, c.b, std::string(kMaxPad, 'p') + c.third(std::string(8, '\0'), kCryptoRc4, kMaxPad, kIa));
    REQUIRE(c.b.result);
    CHECK(c.b.received == kIa);
    CHECK(c.b.result->selected == kCryptoRc4);
  }
  SUBCASE("wrong verification constant") {
    Crafted c;
    deliver(c.responder, c.b, c.third(std::string(7, '\0') + "\x01", kCryptoRc4, 0, kIa));
    CHECK(contains(c.b.failure, "wrong verification constant"));
  }
  SUBCASE("PadC longer than 512 bytes") {
    Crafted c;
    deliver(c.responder, c.b, c.third(std::string(8, '\0'), kCryptoRc4, kMaxPad + 1, kIa));
    CHECK(contains(c.b.failure, "PadC of 513 bytes exceeds 512"));
  }
  SUBCASE("nothing offered") {
    Crafted c;
    deliver(c.responder, c.b, c.third(std::string(8, '\0'), 0, 0, kIa));
    CHECK(contains(c.b.failure, "offers none"));
  }
  SUBCASE("IA split by the plaintext switch: its rest is still decrypted, what follows is not") {
    Crafted c;
    const std::string message = c.third(std::string(8, '\0'), kCryptoPlaintext, 0, kIa);
    const std::size_t ia_start = message.size() - kIa.size();
    deliver(c.responder, c.b, message.substr(0, ia_start + 10));
    REQUIRE(c.b.result);
    CHECK(c.b.result->selected == kCryptoPlaintext);
    CHECK(c.b.result->cipher.decrypts());
    deliver(c.responder, c.b, message.substr(ia_start + 10) + "plain message");
    CHECK(c.b.received == kIa + "plain message");
    CHECK_FALSE(c.b.result->cipher.decrypts());
  }
}

namespace {

// A hand-made responder: answers a real initiator with chosen fields.
struct CraftedB {
  MseInitiator initiator{kServed, kCryptoPlaintext, kIa, seeded(21)};
  DhKey key{std::array<std::uint8_t, kPrivateKeySize>{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}};
  Side a;
  std::optional<Rc4> out;

  CraftedB() {
    const std::string ya = initiator.start().value().substr(0, kDhKeySize);
    const DhBytes secret = *key.shared_secret(ya);
    out.emplace(Rc4::create(key_b(secret, kServed).view()).value());
  }
  std::string reply(std::uint32_t select, std::size_t pad_d) {
    std::string plain(8, '\0');
    wire::append_u32(plain, select);
    wire::append_u16(plain, static_cast<std::uint16_t>(pad_d));
    plain += std::string(pad_d, 'd');
    out->apply(plain);
    return plain;
  }
};

}  // namespace

TEST_CASE("MSE initiator: hand-made answers") {
  SUBCASE("well formed, after the longest PadB") {
    CraftedB c;
    deliver(c.initiator, c.a, std::string(as_view(c.key.public_key())) + std::string(kMaxPad, 'b') +
                                  c.reply(kCryptoPlaintext, kMaxPad) + "plain");
    REQUIRE(c.a.result);
    CHECK(c.a.result->selected == kCryptoPlaintext);
    CHECK(c.a.received == "plain");
  }
  SUBCASE("a method we did not offer") {
    CraftedB c;
    deliver(c.initiator, c.a, std::string(as_view(c.key.public_key())) + c.reply(kCryptoRc4, 0));
    CHECK(contains(c.a.failure, "peer selected rc4, we offered plaintext"));
  }
  SUBCASE("both methods at once") {
    CraftedB c;
    deliver(c.initiator, c.a, std::string(as_view(c.key.public_key())) + c.reply(kCryptoRc4 | kCryptoPlaintext, 0));
    CHECK(contains(c.a.failure, "peer selected plaintext or rc4"));
  }
  SUBCASE("PadD longer than 512 bytes") {
    CraftedB c;
    deliver(c.initiator, c.a, std::string(as_view(c.key.public_key())) + c.reply(kCryptoPlaintext, kMaxPad + 1));
    CHECK(contains(c.a.failure, "PadD of 513 bytes exceeds 512"));
  }
  SUBCASE("no verification constant within Yb + 512 + 8 bytes") {
    CraftedB c;
    const std::string yb(as_view(c.key.public_key()));
    deliver(c.initiator, c.a, yb + std::string(kMaxPad + kVcSize - 1, 'g'));
    CHECK_FALSE(c.a.failure);
    deliver(c.initiator, c.a, "g");
    CHECK(contains(c.a.failure, "no verification constant within 512 bytes"));
  }
  SUBCASE("a public key outside 2..P-2") {
    CraftedB c;
    deliver(c.initiator, c.a, std::string(kDhKeySize, '\xff'));
    CHECK(contains(c.a.failure, "outside 2..P-2"));
  }
}

TEST_CASE("MSE: without random bytes neither side starts, and both say why") {
  const RandomSource none = [](std::uint8_t*, std::size_t) { return false; };
  MseInitiator initiator(kServed, kCryptoRc4, kIa, none);
  auto start = initiator.start();
  REQUIRE_FALSE(start.ok());
  CHECK(start.error().message.find("no random bytes") != std::string::npos);
  CHECK(initiator.feed("x").failure);

  MseResponder responder(ResponderPolicy{}, serving({kServed}), none);
  DhKey a(std::array<std::uint8_t, kPrivateKeySize>{7, 7, 7});
  MseStep step = responder.feed(std::string(as_view(a.public_key())));
  CHECK(contains(step.failure, "no random bytes"));
  CHECK(step.send.empty());
}
