#include "daemon/net/upload_queue.hpp"

#include <algorithm>

namespace btd::net {

namespace {

constexpr char kPieceId = 7;

std::uint32_t be32(std::string_view b) {
  return (std::uint32_t{static_cast<unsigned char>(b[0])} << 24) |
         (std::uint32_t{static_cast<unsigned char>(b[1])} << 16) |
         (std::uint32_t{static_cast<unsigned char>(b[2])} << 8) | std::uint32_t{static_cast<unsigned char>(b[3])};
}

}  // namespace

bool UploadQueue::pass_through(std::string_view bytes, bool hold_pieces) {
  if (!held_.empty() || !head_.empty() || hold_pieces) return false;
  // Only the headers are read: whole message bodies are skipped. Bytes ending inside a header
  // take the slow path, which keeps that header until the rest arrives.
  std::uint64_t left = left_;
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (left > 0) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, bytes.size() - i));
      left -= n;
      i += n;
      continue;
    }
    if (bytes.size() - i < 4) return false;
    left = be32(bytes.substr(i, 4));
    i += 4;
  }
  left_ = left;
  return true;
}

void UploadQueue::emit(std::string_view bytes, std::string& now) {
  if (!current_held_) {
    now.append(bytes);
    return;
  }
  held_.back().append(bytes);
  if (left_ == 0) {
    ++ready_count_;
    ready_bytes_ += held_.back().size();
  }
}

void UploadQueue::push(std::string_view bytes, bool hold_pieces, std::string& now) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    if (left_ > 0) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left_, bytes.size() - i));
      left_ -= n;
      emit(bytes.substr(i, n), now);
      i += n;
      continue;
    }
    // A new message: its kind is known once the length and id are in.
    const std::size_t take = std::min<std::size_t>(5 - head_.size(), bytes.size() - i);
    head_.append(bytes.substr(i, take));
    i += take;
    if (head_.size() >= 4 && be32(head_) == 0) {
      // A keep-alive: four bytes, no id. Any fifth byte taken starts the next message.
      current_held_ = false;
      now.append(head_.substr(0, 4));
      const std::size_t extra = head_.size() - 4;
      head_.clear();
      i -= extra;
      continue;
    }
    if (head_.size() < 5) break;  // the rest comes with the next send
    const std::uint32_t length = be32(head_);
    current_held_ = hold_pieces && head_[4] == kPieceId;
    if (current_held_) held_.emplace_back();
    left_ = length - 1;
    const std::string start = std::move(head_);
    head_.clear();
    emit(start, now);
  }
}

std::string UploadQueue::pop_front() {
  if (ready_count_ == 0) return {};
  std::string front = std::move(held_.front());
  held_.pop_front();
  --ready_count_;
  ready_bytes_ -= front.size();
  return front;
}

}  // namespace btd::net
