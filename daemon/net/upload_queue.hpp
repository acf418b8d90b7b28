#pragma once
// The outgoing side of a peer connection under an upload limit: what the engine sends is split
// at BitTorrent message boundaries (4-byte length, 1-byte id) into piece messages, which wait
// here for upload tokens, and everything else (have, keep-alive, request, choke...), which goes
// at once so that protocol traffic is never starved. Sends may split messages anywhere.
// Without a limit it only follows message boundaries, so that a limit set mid-stream starts at
// a boundary. Pieces may thus overtake nothing but be overtaken by small messages, which the
// protocol allows.
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace btd::net {

class UploadQueue {
 public:
  // True when `bytes` may be written as they are: nothing is held and pieces need not be. The
  // framing is followed either way.
  bool pass_through(std::string_view bytes, bool hold_pieces);
  // Appends to `now` what may be written at once and holds the piece messages.
  void push(std::string_view bytes, bool hold_pieces, std::string& now);

  // Complete held piece messages, oldest first.
  bool has_ready() const noexcept { return ready_count_ > 0; }
  std::uint64_t ready_bytes() const noexcept { return ready_bytes_; }
  std::size_t front_size() const noexcept { return ready_count_ > 0 ? held_.front().size() : 0; }
  std::string pop_front();
  std::size_t held_count() const noexcept { return held_.size(); }

 private:
  void emit(std::string_view bytes, std::string& now);

  std::string head_;          // the start of a message whose length or id is still unknown
  std::uint64_t left_ = 0;    // bytes of the current message still to come
  bool current_held_ = false;
  std::deque<std::string> held_;
  std::size_t ready_count_ = 0;  // the first ready_count_ of held_ are complete
  std::uint64_t ready_bytes_ = 0;
};

}  // namespace btd::net
