#include "rpc/line_framer.hpp"

namespace btd::rpc {

// A pending (unterminated) line may hold one byte more than the limit when that byte is a '\r'
// that the next chunk's '\n' will strip.
bool LineFramer::fits(std::size_t pending_len, char last) const noexcept {
  return pending_len <= max_line_ || (pending_len == max_line_ + 1 && last == '\r');
}

LineFramer::Status LineFramer::feed(std::string_view bytes,
                                    const std::function<void(std::string_view)>& on_line) {
  if (failed_) return Status::failed;
  while (!bytes.empty()) {
    std::size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      // Check before appending, so a huge chunk never lands in buf_.
      std::size_t total = buf_.size() + bytes.size();
      if (!fits(total, bytes.back())) {
        failed_ = true;
        buf_.clear();
        buf_.shrink_to_fit();
        return Status::overflow;
      }
      buf_.append(bytes);
      return Status::ok;
    }
    std::string_view head = bytes.substr(0, nl);
    bytes.remove_prefix(nl + 1);
    std::size_t total = buf_.size() + head.size();
    char last = !head.empty() ? head.back() : (!buf_.empty() ? buf_.back() : '\0');
    if (last == '\r') --total;
    if (total > max_line_) {
      failed_ = true;
      buf_.clear();
      buf_.shrink_to_fit();
      return Status::overflow;
    }
    if (buf_.empty()) {
      // Common case: the whole line is in this chunk, no copy.
      if (!head.empty() && head.back() == '\r') head.remove_suffix(1);
      on_line(head);
    } else {
      buf_.append(head);
      if (buf_.back() == '\r') buf_.pop_back();
      std::string line = std::move(buf_);
      buf_.clear();
      on_line(line);
    }
  }
  return Status::ok;
}

std::optional<std::string> LineFramer::take_partial() {
  if (failed_ || buf_.empty()) return std::nullopt;
  std::string rest = std::move(buf_);
  buf_.clear();
  if (rest.back() == '\r') rest.pop_back();
  return rest;
}

}  // namespace btd::rpc
