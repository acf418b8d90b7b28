#include "daemon/net/upload_queue.hpp"

#include <doctest/doctest.h>

using namespace btd::net;

namespace {

std::string message(char id, std::size_t payload) {
  const auto length = static_cast<std::uint32_t>(payload + 1);
  std::string m;
  for (int shift : {24, 16, 8, 0}) m.push_back(static_cast<char>((length >> shift) & 0xff));
  m.push_back(id);
  m.append(payload, 'x');
  return m;
}

const std::string kHave = message(4, 4);
const std::string kPiece = message(7, 8 + 100);
const std::string kKeepAlive(4, '\0');

}  // namespace

TEST_CASE("upload queue: without a limit bytes pass through untouched") {
  UploadQueue q;
  CHECK(q.pass_through(kHave + kPiece + kKeepAlive, false));
  CHECK(q.pass_through(kPiece.substr(0, 50), false));  // ends inside a body: fine
  CHECK(q.pass_through(kPiece.substr(50), false));
  CHECK_FALSE(q.pass_through(kHave.substr(0, 2), false));  // ends inside a header: slow path
  std::string now;
  q.push(kHave.substr(0, 2), false, now);
  q.push(kHave.substr(2), false, now);
  CHECK(now == kHave);
  CHECK_FALSE(q.has_ready());
  CHECK_FALSE(q.pass_through(kHave, true));
}

TEST_CASE("upload queue: pieces are held, everything else goes now, in order") {
  UploadQueue q;
  std::string now;
  q.push(kHave + kPiece + kKeepAlive + kPiece + kHave, true, now);
  CHECK(now == kHave + kKeepAlive + kHave);
  REQUIRE(q.has_ready());
  CHECK(q.held_count() == 2);
  CHECK(q.ready_bytes() == 2 * kPiece.size());
  CHECK(q.front_size() == kPiece.size());
  CHECK(q.pop_front() == kPiece);
  CHECK(q.pop_front() == kPiece);
  CHECK_FALSE(q.has_ready());
}

TEST_CASE("upload queue: messages split anywhere are reassembled") {
  const std::string stream = kPiece + kHave + kKeepAlive + kPiece;
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    UploadQueue q;
    std::string now;
    q.push(stream.substr(0, cut), true, now);
    q.push(stream.substr(cut), true, now);
    CHECK_MESSAGE(now == kHave + kKeepAlive, cut);
    REQUIRE(q.held_count() == 2);
    CHECK(q.pop_front() == kPiece);
    CHECK(q.pop_front() == kPiece);
  }
}

TEST_CASE("upload queue: a piece half-held stays held until complete, even if the limit goes") {
  UploadQueue q;
  std::string now;
  q.push(kPiece.substr(0, 30), true, now);
  CHECK_FALSE(q.has_ready());
  CHECK_FALSE(q.pass_through(kPiece.substr(30), false));
  q.push(kPiece.substr(30) + kHave, false, now);
  CHECK(now == kHave);
  REQUIRE(q.has_ready());
  CHECK(q.pop_front() == kPiece);
}
