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

}  // namespace

void FrameDecoder::make_room(std::size_t n) {
  if (begin_ == end_) {
    begin_ = end_ = 0;
    if (buf_.size() > kReleaseAbove && n <= kInitialCapacity) std::vector<char>().swap(buf_);
  }
  if (buf_.size() - end_ >= n) return;
  const std::size_t live = end_ - begin_;
  // Compact only when the consumed prefix is the larger part: moving `live` bytes is then paid
  // for by the more than `live` bytes consumed since the last move.
  if (begin_ > live) {
    std::memmove(buf_.data(), buf_.data() + begin_, live);
    begin_ = 0;
    end_ = live;
    if (buf_.size() - end_ >= n) return;
  }
  std::size_t capacity = std::max(buf_.size(), kInitialCapacity);
  while (capacity - end_ < n) capacity *= 2;
  buf_.resize(capacity);
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
