#include "core/picker/downloading_piece.hpp"

#include <doctest/doctest.h>

using namespace btd;

namespace {
const std::chrono::steady_clock::time_point t0{};
const PeerKey a{1}, b{2}, c{3};
}  // namespace

TEST_CASE("block states and counts") {
  DownloadingPiece dp(PieceIndex{7}, 3);
  CHECK(dp.idle());
  dp.add_request(0, a, t0);
  dp.add_request(0, b, t0);
  CHECK(dp.missing() == 2);
  CHECK(dp.is_requester(0, b));
  CHECK(dp.involves(a));
  CHECK_FALSE(dp.involves(c));

  std::vector<PeerKey> others;
  CHECK(dp.receive(0, a, others));
  CHECK(others == std::vector<PeerKey>{b});
  CHECK(dp.block(0).requesters.empty());
  CHECK(dp.received() == 1);
  others.clear();
  CHECK_FALSE(dp.receive(0, b, others));  // already held
  CHECK(dp.received() == 1);
}

TEST_CASE("dropping the last requester makes the block missing again") {
  DownloadingPiece dp(PieceIndex{0}, 2);
  dp.add_request(1, a, t0);
  dp.add_request(1, b, t0);
  CHECK(dp.drop_request(1, a));
  CHECK(dp.block(1).status == BlockStatus::requested);
  CHECK_FALSE(dp.drop_request(1, a));
  CHECK(dp.drop_request(1, b));
  CHECK(dp.block(1).status == BlockStatus::missing);
  CHECK(dp.idle());
}

TEST_CASE("reset returns each sender once") {
  DownloadingPiece dp(PieceIndex{0}, 3);
  std::vector<PeerKey> others;
  dp.receive(0, a, others);
  dp.receive(1, b, others);
  dp.receive(2, a, others);
  CHECK(dp.complete());
  dp.owner = a;
  CHECK(dp.reset() == std::vector<PeerKey>{a, b});
  CHECK(dp.idle());
  CHECK_FALSE(dp.owner.has_value());
}
