#pragma once
// Splits a byte stream into '\n'-terminated lines (a '\r' before the '\n' is dropped), sans I/O.
// Memory is bounded by the line limit: an endless line is rejected as soon as it passes the
// limit, before it is stored.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace btd::rpc {

class LineFramer {
 public:
  static constexpr std::size_t default_max_line = std::size_t{64} << 20;  // rpc.max_request_bytes

  enum class Status {
    ok,
    overflow,  // returned once, by the feed() that crossed the limit
    failed,    // every later feed(): input is ignored
  };

  explicit LineFramer(std::size_t max_line = default_max_line) : max_line_(max_line) {}

  // Calls on_line for each complete line, without its terminator. The view is valid only during
  // the call. Lines completed before an overflow in the same chunk are still delivered.
  Status feed(std::string_view bytes, const std::function<void(std::string_view)>& on_line);

  // At end of stream: the unterminated rest, if any (a peer may close without a final '\n').
  std::optional<std::string> take_partial();

  std::size_t max_line() const noexcept { return max_line_; }
  std::size_t buffered() const noexcept { return buf_.size(); }
  bool failed() const noexcept { return failed_; }

 private:
  bool fits(std::size_t pending_len, char last) const noexcept;

  std::size_t max_line_;
  std::string buf_;
  bool failed_ = false;
};

}  // namespace btd::rpc
