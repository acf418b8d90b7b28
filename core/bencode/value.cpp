#include "core/bencode/value.hpp"

#include <charconv>

namespace btd::bencode {

void append_int(std::string& out, std::int64_t i) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), i);
  (void)ec;
  out.push_back('i');
  out.append(buf, end);
  out.push_back('e');
}

void append_string(std::string& out, std::string_view s) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), s.size());
  (void)ec;
  out.append(buf, end);
  out.push_back(':');
  out.append(s);
}

void encode_to(std::string& out, const Value& value) {
  // Recursion depth is bounded by the structures our own code builds, never by input.
  struct Visitor {
    std::string& out;
    void operator()(std::int64_t i) const { append_int(out, i); }
    void operator()(const std::string& s) const { append_string(out, s); }
    void operator()(const List& l) const {
      out.push_back('l');
      for (const Value& v : l) encode_to(out, v);
      out.push_back('e');
    }
    void operator()(const Dict& d) const {
      out.push_back('d');
      for (const auto& [k, v] : d) {
        append_string(out, k);
        encode_to(out, v);
      }
      out.push_back('e');
    }
    void operator()(const Raw& r) const { out.append(r.bytes); }
  };
  std::visit(Visitor{out}, value.variant());
}

std::string encode(const Value& value) {
  std::string out;
  encode_to(out, value);
  return out;
}

}  // namespace btd::bencode
