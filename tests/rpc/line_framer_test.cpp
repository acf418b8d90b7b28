#include "rpc/line_framer.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace btd::rpc;

namespace {

struct Collect {
  std::vector<std::string> lines;
  std::function<void(std::string_view)> fn() {
    return [this](std::string_view l) { lines.emplace_back(l); };
  }
};

}  // namespace

TEST_CASE("framer splits several lines in one chunk and keeps the unterminated rest") {
  LineFramer f;
  Collect c;
  CHECK(f.feed("a\nbc\n\ndef", c.fn()) == LineFramer::Status::ok);
  CHECK(c.lines == std::vector<std::string>{"a", "bc", ""});
  CHECK(f.buffered() == 3);
  CHECK(f.feed("\n", c.fn()) == LineFramer::Status::ok);
  CHECK(c.lines.back() == "def");
  CHECK(f.buffered() == 0);
}

TEST_CASE("framer joins a line split across chunks") {
  LineFramer f;
  Collect c;
  for (char ch : std::string("{\"id\":1}\n{\"id\"")) f.feed(std::string_view(&ch, 1), c.fn());
  CHECK(c.lines == std::vector<std::string>{"{\"id\":1}"});
  f.feed(":2}\n", c.fn());
  CHECK(c.lines.back() == "{\"id\":2}");
}

TEST_CASE("framer drops a carriage return before the newline, also across chunks") {
  LineFramer f;
  Collect c;
  f.feed("one\r\ntwo\r", c.fn());
  f.feed("\nthree\r\r\n", c.fn());
  CHECK(c.lines == std::vector<std::string>{"one", "two", "three\r"});
}

TEST_CASE("a line exactly at the limit passes, CRLF not counted; one byte more overflows") {
  LineFramer f(4);
  Collect c;
  CHECK(f.feed("abcd\r", c.fn()) == LineFramer::Status::ok);
  CHECK(f.feed("\nwxyz\n", c.fn()) == LineFramer::Status::ok);
  CHECK(c.lines == std::vector<std::string>{"abcd", "wxyz"});
  CHECK(f.feed("abcde\n", c.fn()) == LineFramer::Status::overflow);
  CHECK(c.lines.size() == 2);
  CHECK(f.failed());
}

TEST_CASE("over-limit line is rejected once, without being stored, and later input is ignored") {
  LineFramer f(1024);
  Collect c;
  CHECK(f.feed(std::string(600, 'x'), c.fn()) == LineFramer::Status::ok);
  CHECK(f.buffered() == 600);
  CHECK(f.feed(std::string(600, 'x'), c.fn()) == LineFramer::Status::overflow);
  CHECK(f.buffered() == 0);
  CHECK(f.feed("\n{}\n", c.fn()) == LineFramer::Status::failed);
  CHECK(c.lines.empty());
  CHECK_FALSE(f.take_partial().has_value());
}

TEST_CASE("lines before an oversized one in the same chunk are still delivered") {
  LineFramer f(8);
  Collect c;
  CHECK(f.feed("ok\n" + std::string(100, 'x'), c.fn()) == LineFramer::Status::overflow);
  CHECK(c.lines == std::vector<std::string>{"ok"});
}

TEST_CASE("an endless line never makes the buffer exceed the default limit") {
  LineFramer f;  // 64 MiB
  Collect c;
  const std::string chunk(1 << 20, 'x');
  std::size_t peak = 0;
  LineFramer::Status status = LineFramer::Status::ok;
  int fed = 0;
  while (status == LineFramer::Status::ok && fed < 1024) {  // up to 1 GiB
    status = f.feed(chunk, c.fn());
    peak = std::max(peak, f.buffered());
    ++fed;
  }
  CHECK(status == LineFramer::Status::overflow);
  CHECK(fed == 65);
  CHECK(peak == LineFramer::default_max_line);
  CHECK(f.buffered() == 0);
}

TEST_CASE("take_partial returns an unterminated last line at end of stream") {
  LineFramer f;
  Collect c;
  f.feed("{\"a\":1}\r", c.fn());
  auto rest = f.take_partial();
  REQUIRE(rest.has_value());
  CHECK(*rest == "{\"a\":1}");
  CHECK_FALSE(f.take_partial().has_value());
}
