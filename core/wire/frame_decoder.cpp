#include "core/wire/frame_decoder.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "core/wire/big_endian.hpp"

namespace btd::wire {
namespace {

constexpr std::size_t kInitialCapacity = 32 * 1024;
// A buffer grown for one large frame (a big bitfield) is released once it drains, so an idle
// connection does not keep holding it.
constexpr std::size_t kReleaseAbove = 256 * 1024;
// Room for one read beyond a whole maximal frame: as large as the daemon's socket reads.
constexpr std::size_t kReadSlack = 64 * 1024;

}  // namespace

void FrameDecoder::make_room(std::size_t n) {
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (buf_.size() > kReleaseAbove && n <= kInitialCapacity) std::vector<char>().swap(buf_);
  }
  if (buf_.size() - end_ >= n) return;
  const std::size_t live = end_ - begin_;
  // Unconsumed bytes are at most one partial frame, so a buffer of one maximal frame plus a read
  // always suffices once compacted. Without this bound, doubling would give every connection
  // that sends a frame near the limit twice the limit (peers can hold 2 MiB each for free).
  const std::size_t bound = 4 + std::size_t{max_message_size_} + kReadSlack;
  // Compact when the consumed prefix is the larger part: moving `live` bytes is then paid for by
  // the more than `live` bytes consumed since the last move. Also instead of growing past the
  // bound: the frames popped since the last move, which made begin_ nonzero, were received
  // after it, along with the live bytes now moved.
  if (begin_ > live || (begin_ > 0 && end_ + n > bound)) {
    std::memmove(buf_.data(), buf_.data() + begin_, live);
    begin_ = 0;
    end_ = live;
    if (buf_.size() - end_ >= n) return;
  }
  std::size_t capacity = std::max(buf_.size(), kInitialCapacity);
  while (capacity - end_ < n) capacity *= 2;
  buf_.resize(std::min(capacity, std::max(bound, end_ + n)));
}

void FrameDecoder::feed(std::string_view bytes) {
  if (failed_ || bytes.empty()) return;
  make_room(bytes.size());
  std::memcpy(buf_.data() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
}

char* FrameDecoder::prepare(std::size_t n) {
  make_room(n);
  prepared_ = n;
  return buf_.data() + end_;
}

void FrameDecoder::commit(std::size_t n) {
  assert(n <= prepared_);
  n = std::min(n, prepared_);
  prepared_ = 0;
  if (failed_) return;
  end_ += n;
}

void FrameDecoder::consume(std::size_t n) noexcept {
  begin_ += std::min(n, end_ - begin_);
}

Result<std::optional<std::string_view>> FrameDecoder::pop() {
  if (failed_) return *failed_;
  const std::string_view live = unconsumed();
  if (live.size() < 4) return std::optional<std::string_view>{};
  const std::uint32_t length = read_u32(live, 0);
  if (length > max_message_size_) {
    failed_ = Error(Errc::protocol_error, "a message of " + std::to_string(length) +
                                              " bytes exceeds the limit of " + std::to_string(max_message_size_) +
                                              " bytes (from the peer's length prefix)");
    return *failed_;
  }
  if (live.size() - 4 < length) return std::optional<std::string_view>{};
  begin_ += 4 + static_cast<std::size_t>(length);
  return std::optional<std::string_view>{live.substr(4, length)};
}

}  // namespace btd::wire
