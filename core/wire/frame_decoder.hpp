#pragma once
// Splits the byte stream after the handshake into length-prefixed frames (BEP 3: a 4-byte
// big-endian length, then that many bytes). Sans-I/O: the owner feeds what the socket read and
// pops complete frames, whose payloads point into this decoder's buffer.
//
// The buffer is consumed through an offset and only compacted when the free tail runs out, so
// each byte is moved at most a bounded number of times however the stream is chunked. It never
// holds more than one maximal frame plus a read (a hostile peer's cost is bounded by the limit).
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "core/util/result.hpp"

namespace btd::wire {

class FrameDecoder {
 public:
  // 1 MiB: far above a 16 KiB block plus its 13-byte header, and above the bitfield of any torrent
  // with fewer than 8 million pieces.
  static constexpr std::uint32_t kDefaultMaxMessageSize = 1024 * 1024;

  explicit FrameDecoder(std::uint32_t max_message_size = kDefaultMaxMessageSize)
      : max_message_size_(max_message_size) {}

  // Copies bytes received from the peer. Invalidates views returned earlier.
  void feed(std::string_view bytes);

  // For reading straight from a socket without an extra copy: room for at least `n` bytes to be
  // written at the returned pointer, then commit() with how many were written (<= n).
  // Invalidates views returned earlier.
  char* prepare(std::size_t n);
  void commit(std::size_t n);

  // The next complete frame's payload without its length prefix (empty: a keep-alive), or
  // nullopt while the frame is incomplete. A length prefix above the limit is an error as soon as
  // its 4 bytes are in, before any of the body is awaited; after an error the decoder stays
  // failed and returns the same error. The view lives until the next feed()/prepare().
  Result<std::optional<std::string_view>> pop();

  // Bytes received but not popped. The handshake, which has no length prefix, is parsed from
  // here and then consumed, so whatever follows it in the same read is not lost.
  std::string_view unconsumed() const noexcept {
    return {buf_.get() + begin_, end_ - begin_};
  }
  void consume(std::size_t n) noexcept;

  std::size_t buffer_capacity() const noexcept { return capacity_; }
  std::uint32_t max_message_size() const noexcept { return max_message_size_; }

 private:
  void make_room(std::size_t n);
  void reallocate(std::size_t capacity);

  std::uint32_t max_message_size_;
  // Not a vector: growing must not zero-fill (and so commit) memory a peer has not sent yet.
  std::unique_ptr<char[]> buf_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;  // first unconsumed byte
  std::size_t end_ = 0;    // one past the last received byte
  std::size_t prepared_ = 0;
  std::optional<Error> failed_;
};

}  // namespace btd::wire
