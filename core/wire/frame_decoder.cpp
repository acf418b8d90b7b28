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
// Room for one read beyond a whole frame: as large as the daemon's socket reads.
constexpr std::size_t kReadSlack = 64 * 1024;

}  // namespace

void FrameDecoder::reallocate(std::size_t capacity) {
  std::unique_ptr<char[]> bigger(capacity == 0 ? nullptr : new char[capacity]);
  if (end_ > begin_) std::memcpy(bigger.get(), buf_.get() + begin_, end_ - begin_);
  end_ -= begin_;
  begin_ = 0;
  buf_ = std::move(bigger);
  capacity_ = capacity;
}

void FrameDecoder::make_room(std::size_t n) {
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (capacity_ > kReleaseAbove && n <= kInitialCapacity) reallocate(0);
  }
  if (capacity_ - end_ >= n) return;
  const std::size_t live = end_ - begin_;
  // Before growing, move the live bytes to the front. They are at most one partial frame, and
  // the frames popped since the last move (which made begin_ nonzero) came after that move, with
  // every live byte: each byte is moved a bounded number of times.
  if (begin_ > 0) {
    std::memmove(buf_.get(), buf_.get() + begin_, live);
    begin_ = 0;
    end_ = live;
    if (capacity_ - end_ >= n) return;
  }
  // One maximal frame plus a read is all a connection ever needs: doubling past it would let a
  // peer parking a frame near the limit cost twice the limit. Once the frame in progress has
  // its length in, the buffer grows once to hold it whole instead of doubling its way there,
  // which would leave the freed steps behind in the heap.
  const std::size_t bound = 4 + std::size_t{max_message_size_} + kReadSlack;
  std::size_t want = std::min(std::max(capacity_ * 2, kInitialCapacity), bound);
  if (live >= 4) {
    const std::uint32_t length = read_u32(std::string_view(buf_.get(), live), 0);
    if (length <= max_message_size_) want = std::max(want, 4 + std::size_t{length} + kReadSlack);
  }
  reallocate(std::max(want, end_ + n));
}

void FrameDecoder::feed(std::string_view bytes) {
  if (failed_ || bytes.empty()) return;
  make_room(bytes.size());
  std::memcpy(buf_.get() + end_, bytes.data(), bytes.size());
  end_ += bytes.size();
}

char* FrameDecoder::prepare(std::size_t n) {
  make_room(n);
  prepared_ = n;
  return buf_.get() + end_;
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
