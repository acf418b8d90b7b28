#include "core/picker/piece_picker.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string_view>
#include <vector>

using namespace btd;
using namespace std::chrono_literals;

namespace {

const PiecePicker::TimePoint t0{};

// "1101": piece i is set where the string has a '1'.
Bitfield bits(std::string_view s) {
  Bitfield b(s.size());
  for (std::size_t i = 0; i < s.size(); ++i)
    if (s[i] == '1') b.set(i);
  return b;
}

PieceGeometry geometry(std::uint32_t pieces, std::uint32_t blocks_per_piece = 1) {
  const std::uint32_t len = blocks_per_piece * kBlockSize;
  auto g = PieceGeometry::create(pieces, len, std::uint64_t{pieces} * len);
  REQUIRE(g.ok());
  return *g;
}

// Availability as in libtorrent's picker tests: "1213" means piece 0 is had by one peer,
// piece 1 by two, and so on. Digits only, so at most 9 per piece.
void set_availability(PiecePicker& picker, std::string_view avail) {
  for (std::uint32_t i = 0; i < avail.size(); ++i)
    for (int k = 0; k < avail[i] - '0'; ++k) REQUIRE(picker.peer_has(PieceIndex{i}).ok());
}

void set_have(PiecePicker& picker, std::string_view have) {
  for (std::uint32_t i = 0; i < have.size(); ++i)
    if (have[i] == '1') REQUIRE(picker.mark_have(PieceIndex{i}).ok());
}

PeerView seed(std::uint32_t id) {
  PeerView v;
  v.id = PeerKey{id};
  v.has_all = true;
  return v;
}

PeerView peer_with(std::uint32_t id, const Bitfield& pieces) {
  PeerView v;
  v.id = PeerKey{id};
  v.pieces = &pieces;
  return v;
}

std::vector<BlockRequest> pick(PiecePicker& picker, const PeerView& peer, std::size_t n,
                               PiecePicker::TimePoint now = t0) {
  std::vector<BlockRequest> out;
  const std::size_t got = picker.pick_blocks(peer, n, now, out);
  CHECK(got == out.size());
  return out;
}

std::vector<std::uint32_t> pieces_of(const std::vector<BlockRequest>& reqs) {
  std::vector<std::uint32_t> out;
  for (const auto& r : reqs) out.push_back(r.piece.get());
  return out;
}

std::set<std::uint32_t> piece_set(const std::vector<BlockRequest>& reqs) {
  auto v = pieces_of(reqs);
  return {v.begin(), v.end()};
}

BlockRequest blk(std::uint32_t piece, std::uint32_t block) {
  return BlockRequest{PieceIndex{piece}, block * kBlockSize, kBlockSize};
}

}  // namespace

TEST_CASE("rarest first with availability 1213") {
  // Pieces 4..7 are had, so the first-pieces random mode is over.
  PiecePicker picker(geometry(8), 1);
  set_availability(picker, "12130000");
  set_have(picker, "00001111");
  const auto reqs = pick(picker, seed(1), 4);
  REQUIRE(reqs.size() == 4);
  const auto order = pieces_of(reqs);
  CHECK(std::set<std::uint32_t>{order[0], order[1]} == std::set<std::uint32_t>{0, 2});
  CHECK(order[2] == 1);
  CHECK(order[3] == 3);
}

TEST_CASE("a have message changes the rarest piece") {
  PiecePicker picker(geometry(8), 1);
  set_availability(picker, "22220000");
  set_have(picker, "00001111");
  for (std::uint32_t p : {0u, 1u, 3u}) REQUIRE(picker.peer_has(PieceIndex{p}).ok());
  CHECK(picker.availability(PieceIndex{2}) == 2);
  CHECK(pieces_of(pick(picker, seed(1), 1)) == std::vector<std::uint32_t>{2});
}

TEST_CASE("seeds are counted for every piece without changing the order") {
  PiecePicker picker(geometry(8), 3);
  set_availability(picker, "31110000");
  set_have(picker, "00001111");
  picker.peer_has_all();
  picker.peer_has_all();
  CHECK(picker.availability(PieceIndex{0}) == 5);
  CHECK(picker.availability(PieceIndex{1}) == 3);
  REQUIRE(picker.peer_lost(bits("01100000")).ok());
  picker.peer_lost_all();
  CHECK(picker.availability(PieceIndex{1}) == 1);
  CHECK(picker.availability(PieceIndex{2}) == 1);
  CHECK(picker.availability(PieceIndex{3}) == 2);
  // Pieces 1 and 2 (availability 0 + one seed) are now the rarest.
  const auto reqs = pick(picker, seed(1), 2);
  CHECK(piece_set(reqs) == std::set<std::uint32_t>{1, 2});
}

TEST_CASE("bitfields of the wrong size and out-of-range haves are errors") {
  PiecePicker picker(geometry(8), 1);
  auto bad = picker.peer_has_bitfield(bits("1111"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("bitfield of 4 pieces") != std::string::npos);
  CHECK_FALSE(picker.peer_lost(bits("111")).ok());
  auto oob = picker.peer_has(PieceIndex{8});
  REQUIRE_FALSE(oob.ok());
  CHECK(oob.error().message.find("piece 8") != std::string::npos);
  CHECK_FALSE(picker.set_priority(PieceIndex{8}, Priority::high).ok());
  REQUIRE(picker.peer_has_bitfield(bits("10100000")).ok());
  CHECK(picker.availability(PieceIndex{2}) == 1);
  CHECK(picker.availability(PieceIndex{1}) == 0);
}

TEST_CASE("random among equally rare pieces") {
  std::set<std::uint32_t> first_picks;
  for (std::uint64_t s = 1; s <= 32; ++s) {
    PiecePicker picker(geometry(8), s);
    set_availability(picker, "11120000");
    set_have(picker, "00001111");
    const auto reqs = pick(picker, seed(1), 1);
    REQUIRE(reqs.size() == 1);
    first_picks.insert(reqs[0].piece.get());
  }
  CHECK(first_picks == std::set<std::uint32_t>{0, 1, 2});
}

TEST_CASE("the same seed replays the same picks") {
  auto run = [](std::uint64_t s) {
    PiecePicker picker(geometry(16), s);
    set_availability(picker, "1111111111111111");
    return pieces_of(pick(picker, seed(1), 6));
  };
  CHECK(run(42) == run(42));
}

TEST_CASE("until 4 pieces are had, new pieces are random, not rarest") {
  std::set<std::uint32_t> first_picks;
  for (std::uint64_t s = 1; s <= 32; ++s) {
    PiecePicker picker(geometry(8), s);
    set_availability(picker, "12345678");
    set_have(picker, "00000111");  // 3 pieces: still random
    first_picks.insert(pick(picker, seed(1), 1).at(0).piece.get());
  }
  CHECK(first_picks.size() > 1);
  CHECK(first_picks.count(0) == 1);

  for (std::uint64_t s = 1; s <= 32; ++s) {
    PiecePicker picker(geometry(8), s);
    set_availability(picker, "12345678");
    set_have(picker, "00001111");  // 4 pieces: rarest first
    CHECK(pick(picker, seed(1), 1).at(0).piece.get() == 0);
  }
}

TEST_CASE("high priority pieces before normal ones, skipped pieces never") {
  PiecePicker picker(geometry(8), 5);
  set_availability(picker, "11119999");
  set_have(picker, "11110000");
  REQUIRE(picker.set_priority(PieceIndex{7}, Priority::high).ok());
  REQUIRE(picker.set_priority(PieceIndex{5}, Priority::skip).ok());
  const auto order = pieces_of(pick(picker, seed(1), 8));
  REQUIRE(order.size() == 3);
  CHECK(order[0] == 7);
  CHECK(std::set<std::uint32_t>(order.begin() + 1, order.end()) == std::set<std::uint32_t>{4, 6});

  PiecePicker all_skipped(geometry(4), 5);
  for (std::uint32_t p = 0; p < 4; ++p)
    REQUIRE(all_skipped.set_priority(PieceIndex{p}, Priority::skip).ok());
  CHECK(pick(all_skipped, seed(1), 10).empty());
  CHECK(all_skipped.wanted_complete());
  CHECK_FALSE(all_skipped.in_endgame());
}

TEST_CASE("'now' pieces come first and are requested from every peer that has them") {
  PiecePicker picker(geometry(8, 2), 9);
  set_availability(picker, "11111111");
  set_have(picker, "11110000");
  REQUIRE(picker.set_priority(PieceIndex{6}, Priority::now).ok());
  const Bitfield has_6 = bits("00000011");
  const Bitfield lacks_6 = bits("00001101");

  const auto a = pick(picker, peer_with(1, has_6), 2);
  CHECK(a == std::vector<BlockRequest>{blk(6, 0), blk(6, 1)});
  // A second peer with the piece gets the very same blocks.
  const auto b = pick(picker, peer_with(2, has_6), 2);
  CHECK(b == std::vector<BlockRequest>{blk(6, 0), blk(6, 1)});
  // A peer without it gets other pieces.
  CHECK(piece_set(pick(picker, peer_with(3, lacks_6), 2)).count(6) == 0);

  const BlockReceived got = picker.on_block_received(PeerKey{2}, blk(6, 0));
  CHECK(got.accepted);
  CHECK_FALSE(got.piece_complete);
  CHECK(got.cancel == std::vector<PeerKey>{PeerKey{1}});
  CHECK(picker.outstanding(PeerKey{1}) == 1);
  CHECK(picker.outstanding(PeerKey{2}) == 1);
  // The late copy from peer 1 is not wanted any more.
  CHECK_FALSE(picker.on_block_received(PeerKey{1}, blk(6, 0)).accepted);
  const BlockReceived last = picker.on_block_received(PeerKey{1}, blk(6, 1));
  CHECK(last.piece_complete);
  CHECK(last.cancel == std::vector<PeerKey>{PeerKey{2}});
}

TEST_CASE("the number of peers asked for one 'now' block is bounded") {
  PiecePicker picker(geometry(8), 9);
  set_have(picker, "11110000");
  REQUIRE(picker.set_priority(PieceIndex{5}, Priority::now).ok());
  const Bitfield only_5 = bits("00000100");
  std::size_t asked = 0;
  for (std::uint32_t id = 1; id <= 20; ++id) asked += pick(picker, peer_with(id, only_5), 4).size();
  CHECK(asked == PiecePicker::kMaxNowRequesters);
}

TEST_CASE("partial pieces are continued by slow peers") {
  PiecePicker picker(geometry(8, 4), 11);
  set_availability(picker, "11111111");
  set_have(picker, "11110000");
  const auto a = pick(picker, seed(1), 2);
  REQUIRE(a.size() == 2);
  const std::uint32_t started = a[0].piece.get();
  CHECK(a[1] == blk(started, 1));
  const auto b = pick(picker, seed(2), 2);
  CHECK(b == std::vector<BlockRequest>{blk(started, 2), blk(started, 3)});
  CHECK(picker.downloading_count() == 1);
}

TEST_CASE("a slow peer prefers the partial piece it already started") {
  PiecePicker picker(geometry(8, 4), 11);
  set_have(picker, "11110000");
  const Bitfield only_4 = bits("00001000");
  const Bitfield only_5 = bits("00000100");
  const Bitfield both = bits("00001100");
  CHECK(pieces_of(pick(picker, peer_with(1, only_4), 1)) == std::vector<std::uint32_t>{4});
  CHECK(pieces_of(pick(picker, peer_with(2, only_5), 1)) == std::vector<std::uint32_t>{5});
  // Peer 2 may work on either partial; it continues its own first.
  CHECK(pick(picker, peer_with(2, both), 2) ==
        std::vector<BlockRequest>{blk(5, 1), blk(5, 2)});
}

TEST_CASE("fast peers get whole pieces to themselves, slow peers share") {
  PiecePicker picker(geometry(8, 4), 13);
  set_availability(picker, "11111111");
  set_have(picker, "11110000");
  PeerView fast = seed(1);
  fast.fast = true;
  const auto a = pick(picker, fast, 2);
  REQUIRE(a.size() == 2);
  const std::uint32_t owned = a[0].piece.get();
  // The slow peer starts a different piece rather than joining the fast peer's.
  const auto b = pick(picker, seed(2), 2);
  REQUIRE(b.size() == 2);
  CHECK(b[0].piece.get() != owned);
  CHECK(b[1].piece.get() != owned);
  // The fast peer finishes its own piece first.
  CHECK(pick(picker, fast, 2) == std::vector<BlockRequest>{blk(owned, 2), blk(owned, 3)});

  // Once the peer is no longer fast, its pieces are open to everyone.
  PiecePicker p2(geometry(8, 4), 13);
  set_have(p2, "11110000");
  const auto c = pick(p2, fast, 1);
  const std::uint32_t piece = c.at(0).piece.get();
  PeerView slowed = fast;
  slowed.fast = false;
  CHECK(pick(p2, slowed, 0).empty());  // a call with no room still releases ownership
  CHECK(pick(p2, seed(2), 1) == std::vector<BlockRequest>{blk(piece, 1)});
}

TEST_CASE("a fast peer's pieces are shared once it disconnects") {
  PiecePicker picker(geometry(8, 4), 13);
  set_have(picker, "11110000");
  PeerView fast = seed(1);
  fast.fast = true;
  const std::uint32_t owned = pick(picker, fast, 1).at(0).piece.get();
  REQUIRE(picker.on_block_received(PeerKey{1}, blk(owned, 0)).accepted);
  CHECK(picker.on_peer_disconnected(PeerKey{1}) == 0);
  CHECK(pick(picker, seed(2), 1) == std::vector<BlockRequest>{blk(owned, 1)});
}

TEST_CASE("endgame: duplicates when every block is requested, then cancels") {
  PiecePicker picker(geometry(2), 17);
  set_availability(picker, "11");
  CHECK_FALSE(picker.in_endgame());
  CHECK(pick(picker, seed(1), 1).size() == 1);
  CHECK_FALSE(picker.in_endgame());  // one block still missing
  CHECK(pick(picker, seed(1), 5).size() == 1);
  CHECK(picker.in_endgame());

  const auto b = pick(picker, seed(2), 5);
  CHECK(piece_set(b) == std::set<std::uint32_t>{0, 1});
  CHECK(b.size() == 2);
  CHECK(pick(picker, seed(3), 5).size() == 2);
  // At most kMaxEndgameRequesters peers per block.
  CHECK(pick(picker, seed(4), 5).empty());
  // Peer 1 cannot be given a block it already has in flight.
  CHECK(pick(picker, seed(1), 5).empty());

  const BlockReceived r = picker.on_block_received(PeerKey{3}, blk(0, 0));
  CHECK(r.accepted);
  CHECK(r.piece_complete);
  CHECK(std::set<PeerKey>(r.cancel.begin(), r.cancel.end()) ==
        std::set<PeerKey>{PeerKey{1}, PeerKey{2}});
  CHECK(picker.outstanding(PeerKey{1}) == 1);
  CHECK(picker.outstanding(PeerKey{3}) == 1);
}

TEST_CASE("endgame spreads one duplicate per block before a second") {
  PiecePicker picker(geometry(1, 2), 17);
  CHECK(pick(picker, seed(1), 1) == std::vector<BlockRequest>{blk(0, 0)});
  CHECK(pick(picker, seed(2), 1) == std::vector<BlockRequest>{blk(0, 1)});
  CHECK(picker.in_endgame());
  // Block 0 and block 1 each have one requester; peer 3 duplicates both before anything else.
  CHECK(pick(picker, seed(3), 2) == std::vector<BlockRequest>{blk(0, 0), blk(0, 1)});
  // Peer 1 duplicates block 1 (it already has block 0 in flight).
  CHECK(pick(picker, seed(1), 2) == std::vector<BlockRequest>{blk(0, 1)});
}

TEST_CASE("a failed hash returns the piece's blocks and names the senders") {
  PiecePicker picker(geometry(8, 2), 19);
  set_have(picker, "11110000");
  const Bitfield only_6 = bits("00000010");
  REQUIRE(pick(picker, peer_with(1, only_6), 1) == std::vector<BlockRequest>{blk(6, 0)});
  REQUIRE(pick(picker, peer_with(2, only_6), 1) == std::vector<BlockRequest>{blk(6, 1)});
  CHECK_FALSE(picker.on_block_received(PeerKey{1}, blk(6, 0)).piece_complete);
  CHECK(picker.on_block_received(PeerKey{2}, blk(6, 1)).piece_complete);
  CHECK(pick(picker, peer_with(3, only_6), 2).empty());  // complete, waiting for its hash

  auto senders = picker.mark_failed(PieceIndex{6});
  REQUIRE(senders.ok());
  CHECK(*senders == std::vector<PeerKey>{PeerKey{1}, PeerKey{2}});
  CHECK_FALSE(picker.is_have(PieceIndex{6}));
  CHECK(pick(picker, peer_with(3, only_6), 2) ==
        std::vector<BlockRequest>{blk(6, 0), blk(6, 1)});
}

TEST_CASE("a verified piece is never picked again nor failed") {
  PiecePicker picker(geometry(8), 19);
  set_have(picker, "11110000");
  const Bitfield only_5 = bits("00000100");
  REQUIRE(pick(picker, peer_with(1, only_5), 1).size() == 1);
  CHECK(picker.on_block_received(PeerKey{1}, blk(5, 0)).piece_complete);
  REQUIRE(picker.mark_have(PieceIndex{5}).ok());
  CHECK(picker.is_have(PieceIndex{5}));
  CHECK(picker.have_count() == 5);
  CHECK(pick(picker, peer_with(2, only_5), 1).empty());
  CHECK_FALSE(picker.on_block_received(PeerKey{2}, blk(5, 0)).accepted);
  auto failed = picker.mark_failed(PieceIndex{5});
  REQUIRE_FALSE(failed.ok());
  CHECK(failed.error().message.find("piece 5") != std::string::npos);
}

TEST_CASE("a disconnected peer's requests go back to the pool") {
  PiecePicker picker(geometry(8, 4), 23);
  set_have(picker, "11110000");
  const Bitfield only_4 = bits("00001000");
  REQUIRE(pick(picker, peer_with(1, only_4), 3).size() == 3);
  CHECK(picker.outstanding(PeerKey{1}) == 3);
  CHECK(picker.on_peer_disconnected(PeerKey{1}) == 3);
  CHECK(picker.outstanding(PeerKey{1}) == 0);
  CHECK(picker.downloading_count() == 0);
  CHECK(pick(picker, peer_with(2, only_4), 4) ==
        std::vector<BlockRequest>{blk(4, 0), blk(4, 1), blk(4, 2), blk(4, 3)});
}

TEST_CASE("a rejected request frees the block") {
  PiecePicker picker(geometry(8), 23);
  set_have(picker, "11110000");
  const Bitfield only_7 = bits("00000001");
  REQUIRE(pick(picker, peer_with(1, only_7), 1) == std::vector<BlockRequest>{blk(7, 0)});
  CHECK_FALSE(picker.on_request_rejected(PeerKey{2}, blk(7, 0)));  // never asked peer 2
  CHECK(picker.on_request_rejected(PeerKey{1}, blk(7, 0)));
  CHECK(picker.outstanding(PeerKey{1}) == 0);
  CHECK(pick(picker, peer_with(2, only_7), 1) == std::vector<BlockRequest>{blk(7, 0)});
}

TEST_CASE("request time-outs free the blocks of old requests only") {
  PiecePicker picker(geometry(8), 29);
  set_have(picker, "11110000");
  const Bitfield only_4 = bits("00001000");
  const Bitfield only_5 = bits("00000100");
  REQUIRE(pick(picker, peer_with(1, only_4), 1, t0).size() == 1);
  REQUIRE(pick(picker, peer_with(2, only_5), 1, t0 + 5s).size() == 1);
  const auto expired = picker.timed_out_requests(t0 + 10s, 8s);
  REQUIRE(expired.size() == 1);
  CHECK(expired[0].peer == PeerKey{1});
  CHECK(expired[0].block == blk(4, 0));
  CHECK(picker.outstanding(PeerKey{1}) == 0);
  CHECK(picker.outstanding(PeerKey{2}) == 1);
  CHECK(picker.timed_out_requests(t0 + 10s, 8s).empty());
  CHECK(pick(picker, peer_with(3, only_4), 1) == std::vector<BlockRequest>{blk(4, 0)});
  // A late answer from the timed-out peer is still welcome.
  const BlockReceived late = picker.on_block_received(PeerKey{1}, blk(4, 0));
  CHECK(late.accepted);
  CHECK(late.cancel == std::vector<PeerKey>{PeerKey{3}});
}

TEST_CASE("the last block of the last piece is short") {
  // 3 pieces of 2 blocks; the last piece holds 20000 bytes.
  auto g = PieceGeometry::create(3, 2 * kBlockSize, 4 * kBlockSize + 20000);
  REQUIRE(g.ok());
  PiecePicker picker(*g, 31);
  const Bitfield only_2 = bits("001");
  const auto reqs = pick(picker, peer_with(1, only_2), 4);
  CHECK(reqs == std::vector<BlockRequest>{{PieceIndex{2}, 0, kBlockSize},
                                          {PieceIndex{2}, kBlockSize, 20000 - kBlockSize}});
  // A full-length block at that offset is not what we asked for.
  const BlockRequest too_long{PieceIndex{2}, kBlockSize, kBlockSize};
  CHECK_FALSE(picker.on_block_received(PeerKey{1}, too_long).accepted);
  CHECK(picker.on_block_received(PeerKey{1}, {PieceIndex{2}, 0, kBlockSize}).accepted);
  CHECK(picker.on_block_received(PeerKey{1}, {PieceIndex{2}, kBlockSize, 3616}).piece_complete);
}

TEST_CASE("a choking peer is asked only for its allowed-fast pieces") {
  PiecePicker picker(geometry(8), 37);
  set_availability(picker, "11111119");
  set_have(picker, "11110000");
  const Bitfield has = bits("00001111");
  PeerView v = peer_with(1, has);
  v.choking_us = true;
  const std::vector<PieceIndex> allowed{PieceIndex{7}, PieceIndex{2}, PieceIndex{5}};
  v.allowed_fast = allowed;
  // Piece 2 is had already, so 5 (rarer) then 7.
  CHECK(pieces_of(pick(picker, v, 5)) == std::vector<std::uint32_t>{5, 7});
  CHECK(pick(picker, v, 5).empty());

  PeerView none = peer_with(2, has);
  none.choking_us = true;
  CHECK(pick(picker, none, 5).empty());
}

TEST_CASE("a snubbed peer gets one block at a time and no whole pieces") {
  PiecePicker picker(geometry(8, 4), 41);
  set_availability(picker, "11111111");
  set_have(picker, "11110000");
  PeerView v = seed(1);
  v.snubbed = true;
  v.fast = true;  // fast but snubbed: still no ownership
  const auto first = pick(picker, v, 10);
  REQUIRE(first.size() == 1);
  CHECK(pick(picker, v, 10).empty());  // one outstanding already
  // The snubbed peer's piece stays open to others.
  CHECK(pick(picker, seed(2), 1) == std::vector<BlockRequest>{blk(first[0].piece.get(), 1)});
}

TEST_CASE("a snubbed peer leaves 'now' pieces to others unless nothing else is left") {
  PiecePicker picker(geometry(8), 43);
  set_have(picker, "11110000");
  REQUIRE(picker.set_priority(PieceIndex{4}, Priority::now).ok());
  const Bitfield b = bits("00001100");
  PeerView v = peer_with(1, b);
  v.snubbed = true;
  CHECK(pieces_of(pick(picker, v, 4)) == std::vector<std::uint32_t>{5});
  REQUIRE(picker.on_block_received(PeerKey{1}, blk(5, 0)).accepted);
  CHECK(pieces_of(pick(picker, v, 4)) == std::vector<std::uint32_t>{4});
}

TEST_CASE("blocks for pieces nobody started are refused") {
  PiecePicker picker(geometry(8), 47);
  CHECK_FALSE(picker.on_block_received(PeerKey{1}, blk(2, 0)).accepted);
  CHECK(picker.downloading_count() == 0);
  // The piece is still there to be picked normally.
  CHECK(pick(picker, peer_with(2, bits("00100000")), 1) == std::vector<BlockRequest>{blk(2, 0)});
}

TEST_CASE("a late block is taken while its piece is still in progress") {
  PiecePicker picker(geometry(8, 2), 53);
  set_have(picker, "11110000");
  const Bitfield only_4 = bits("00001000");
  REQUIRE(pick(picker, peer_with(1, only_4), 2, t0).size() == 2);
  REQUIRE(picker.on_block_received(PeerKey{1}, blk(4, 0)).accepted);
  REQUIRE(picker.timed_out_requests(t0 + 30s, 20s).size() == 1);  // block 1 is missing again
  const BlockReceived late = picker.on_block_received(PeerKey{1}, blk(4, 1));
  CHECK(late.accepted);
  CHECK(late.piece_complete);
  CHECK(late.cancel.empty());
  CHECK(picker.outstanding(PeerKey{1}) == 0);
}
