#pragma once
// Bencode values built in memory, and the canonical encoder (BEP 3: dict keys sorted as raw
// bytes, integers without leading zeros). Used to make .torrent files and protocol messages.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace btd::bencode {

class Value;
using List = std::vector<Value>;
// std::string compares as unsigned bytes, which is the order BEP 3 asks for.
using Dict = std::map<std::string, Value, std::less<>>;

// Bytes that are already bencoded, copied verbatim (e.g. an info dict whose hash must not change).
struct Raw {
  std::string bytes;
};

class Value {
 public:
  using Variant = std::variant<std::int64_t, std::string, List, Dict, Raw>;

  Value() : v_(std::int64_t{0}) {}
  Value(std::int64_t i) : v_(i) {}                       // NOLINT: implicit by design
  Value(int i) : v_(std::int64_t{i}) {}                  // NOLINT
  Value(std::string s) : v_(std::move(s)) {}             // NOLINT
  Value(std::string_view s) : v_(std::string(s)) {}      // NOLINT
  Value(const char* s) : v_(std::string(s)) {}           // NOLINT
  Value(List l) : v_(std::move(l)) {}                    // NOLINT
  Value(Dict d) : v_(std::move(d)) {}                    // NOLINT
  Value(Raw r) : v_(std::move(r)) {}                     // NOLINT

  const Variant& variant() const noexcept { return v_; }
  Variant& variant() noexcept { return v_; }

 private:
  Variant v_;
};

void encode_to(std::string& out, const Value& value);
std::string encode(const Value& value);

// Pieces for writing messages by hand without building a Value.
void append_int(std::string& out, std::int64_t i);
void append_string(std::string& out, std::string_view s);

}  // namespace btd::bencode
