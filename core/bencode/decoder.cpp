#include "core/bencode/decoder.hpp"

#include <limits>
#include <string>

namespace btd::bencode {
namespace {

struct OpenContainer {
  std::uint32_t token;
  std::uint32_t last_key = std::numeric_limits<std::uint32_t>::max();  // token of the previous key
};

Error syntax_error(const std::string& what, std::size_t offset) {
  return Error(Errc::bencode_syntax, "bencode: " + what + " at byte " + std::to_string(offset));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Parses the digits of a non-negative decimal in [pos, stop); rejects leading zeros and
// overflow past `max`. Returns the position after the digits or nullopt.
std::optional<std::size_t> parse_digits(std::string_view in, std::size_t pos, char stop,
                                        std::uint64_t max, std::uint64_t& out) {
  const std::size_t first = pos;
  std::uint64_t value = 0;
  while (pos < in.size() && is_digit(in[pos])) {
    const auto d = static_cast<std::uint64_t>(in[pos] - '0');
    if (value > (max - d) / 10) return std::nullopt;
    value = value * 10 + d;
    ++pos;
  }
  if (pos == first || pos >= in.size() || in[pos] != stop) return std::nullopt;
  if (in[first] == '0' && pos - first > 1) return std::nullopt;
  out = value;
  return pos;
}

}  // namespace

Result<Document> decode(std::string_view in, const Limits& limits) {
  if (in.size() >= std::numeric_limits<std::uint32_t>::max())
    return Error(Errc::bencode_limit, "bencode: input of " + std::to_string(in.size()) +
                                          " bytes is too large");
  if (in.empty()) return syntax_error("empty input", 0);

  Document doc;
  doc.input_ = in;
  std::vector<Token>& tokens = doc.tokens_;
  std::vector<OpenContainer> stack;
  std::size_t pos = 0;

  auto add_token = [&](Type type, std::size_t start, std::size_t end, std::uint32_t aux) -> bool {
    if (tokens.size() >= limits.max_tokens) return false;
    tokens.push_back(Token{static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(end), 0,
                           aux, type});
    tokens.back().next = static_cast<std::uint32_t>(tokens.size());
    return true;
  };
  const auto too_many_tokens = [&] {
    return Error(Errc::bencode_limit, "bencode: more than " + std::to_string(limits.max_tokens) +
                                          " values at byte " + std::to_string(pos));
  };

  do {
    if (pos >= in.size()) {
      return syntax_error(stack.empty() ? "unexpected end of input"
                                        : "unterminated " +
                                              std::string(tokens[stack.back().token].type ==
                                                                  Type::dict
                                                              ? "dict"
                                                              : "list") +
                                              " opened at byte " +
                                              std::to_string(tokens[stack.back().token].start) +
                                              ", input ends",
                          pos);
    }
    const char c = in[pos];
    OpenContainer* parent = stack.empty() ? nullptr : &stack.back();
    const bool expecting_key = parent != nullptr && tokens[parent->token].type == Type::dict &&
                               tokens[parent->token].aux % 2 == 0;

    if (c == 'e') {
      if (parent == nullptr) return syntax_error("unexpected 'e'", pos);
      Token& t = tokens[parent->token];
      if (t.type == Type::dict && t.aux % 2 != 0)
        return syntax_error("dict key without a value", pos);
      t.end = static_cast<std::uint32_t>(pos + 1);
      t.next = static_cast<std::uint32_t>(tokens.size());
      stack.pop_back();
      ++pos;
      if (!stack.empty()) ++tokens[stack.back().token].aux;
      continue;
    }

    if (expecting_key && !is_digit(c)) return syntax_error("dict key is not a string", pos);

    if (c == 'i') {
      std::size_t p = pos + 1;
      const bool negative = p < in.size() && in[p] == '-';
      if (negative) ++p;
      std::uint64_t magnitude = 0;
      const std::uint64_t max = negative
                                    ? std::uint64_t{std::numeric_limits<std::int64_t>::max()} + 1
                                    : std::uint64_t{std::numeric_limits<std::int64_t>::max()};
      const auto after = parse_digits(in, p, 'e', max, magnitude);
      if (!after) {
        // Say which rule was broken: it is the first thing a user asks.
        std::size_t q = p;
        while (q < in.size() && is_digit(in[q])) ++q;
        if (q >= in.size()) return syntax_error("unterminated integer", pos);
        if (q == p) return syntax_error("integer without digits", pos);
        if (in[q] != 'e') return syntax_error("invalid character in integer", q);
        if (in[p] == '0' && q - p > 1) return syntax_error("integer with a leading zero", pos);
        return syntax_error("integer does not fit in 64 bits", pos);
      }
      if (negative && magnitude == 0) return syntax_error("negative zero integer", pos);
      if (!add_token(Type::integer, pos, *after + 1, 0)) return too_many_tokens();
      pos = *after + 1;
    } else if (is_digit(c)) {
      std::uint64_t length = 0;
      const auto colon = parse_digits(in, pos, ':', std::numeric_limits<std::uint32_t>::max(), length);
      if (!colon) {
        std::size_t q = pos;
        while (q < in.size() && is_digit(in[q])) ++q;
        if (q >= in.size()) return syntax_error("unterminated string length", pos);
        if (in[q] != ':') return syntax_error("expected ':' after string length", q);
        if (in[pos] == '0') return syntax_error("string length with a leading zero", pos);
        return syntax_error("string length too large", pos);
      }
      const std::size_t payload = *colon + 1;
      if (length > in.size() - payload)
        return syntax_error("string of " + std::to_string(length) + " bytes runs past the end of input",
                            pos);
      const std::size_t end = payload + static_cast<std::size_t>(length);
      if (expecting_key && limits.require_canonical_keys &&
          parent->last_key != std::numeric_limits<std::uint32_t>::max()) {
        const Token& prev = tokens[parent->last_key];
        const std::string_view prev_key = in.substr(prev.aux, prev.end - prev.aux);
        const std::string_view key = in.substr(payload, end - payload);
        if (key == prev_key)
          return syntax_error("duplicate dict key \"" + std::string(key) + "\"", pos);
        if (key < prev_key)
          return syntax_error("dict keys not sorted: \"" + std::string(key) + "\" after \"" +
                                  std::string(prev_key) + "\"",
                              pos);
      }
      if (expecting_key) parent->last_key = static_cast<std::uint32_t>(tokens.size());
      if (!add_token(Type::string, pos, end, static_cast<std::uint32_t>(payload)))
        return too_many_tokens();
      pos = end;
    } else if (c == 'l' || c == 'd') {
      if (stack.size() >= limits.max_depth)
        return Error(Errc::bencode_limit, "bencode: nesting deeper than " +
                                              std::to_string(limits.max_depth) + " at byte " +
                                              std::to_string(pos));
      if (!add_token(c == 'l' ? Type::list : Type::dict, pos, pos, 0)) return too_many_tokens();
      stack.push_back(OpenContainer{static_cast<std::uint32_t>(tokens.size() - 1)});
      ++pos;
      continue;  // the container counts toward its parent when it closes
    } else {
      return syntax_error(std::string("unexpected character '") +
                              (c >= 0x20 && c < 0x7f ? std::string(1, c) : "\\x" + std::to_string(static_cast<unsigned char>(c))) +
                              "'",
                          pos);
    }
    if (!stack.empty()) ++tokens[stack.back().token].aux;
  } while (!stack.empty());

  if (pos != in.size() && !limits.allow_trailing_data)
    return syntax_error(std::to_string(in.size() - pos) + " bytes of trailing data", pos);
  doc.consumed_ = pos;
  return doc;
}

Node Document::root() const {
  if (tokens_.empty()) return {};
  return Node(tokens_.data(), input_, 0);
}

std::string_view Node::raw() const noexcept {
  if (!tokens_) return {};
  return input_.substr(tok().start, tok().end - tok().start);
}

std::int64_t Node::int_value() const noexcept {
  if (!is_int()) return 0;
  // Validated by the decoder: digits fit in 64 bits, so accumulate as negative to reach INT64_MIN.
  std::string_view digits = input_.substr(tok().start + 1, tok().end - tok().start - 2);
  const bool negative = !digits.empty() && digits.front() == '-';
  if (negative) digits.remove_prefix(1);
  std::int64_t v = 0;
  for (char c : digits) v = v * 10 - (c - '0');
  return negative ? v : -v;
}

std::string_view Node::string_value() const noexcept {
  if (!is_string()) return {};
  return input_.substr(tok().aux, tok().end - tok().aux);
}

std::size_t Node::size() const noexcept {
  if (is_list()) return tok().aux;
  if (is_dict()) return tok().aux / 2;
  return 0;
}

Node Node::list_at(std::size_t i) const noexcept {
  if (!is_list() || i >= size()) return {};
  std::uint32_t idx = index_ + 1;
  for (std::size_t k = 0; k < i; ++k) idx = tokens_[idx].next;
  return at(idx);
}

Node Node::dict_find(std::string_view key) const noexcept {
  if (!is_dict()) return {};
  for (auto [k, v] : entries())
    if (k == key) return v;
  return {};
}

Node Node::dict_find_dict(std::string_view key) const noexcept {
  Node n = dict_find(key);
  return n.is_dict() ? n : Node{};
}

Node Node::dict_find_list(std::string_view key) const noexcept {
  Node n = dict_find(key);
  return n.is_list() ? n : Node{};
}

std::optional<std::string_view> Node::dict_find_string(std::string_view key) const noexcept {
  Node n = dict_find(key);
  if (!n.is_string()) return std::nullopt;
  return n.string_value();
}

std::optional<std::int64_t> Node::dict_find_int(std::string_view key) const noexcept {
  Node n = dict_find(key);
  if (!n.is_int()) return std::nullopt;
  return n.int_value();
}

Node::ListRange Node::items() const noexcept {
  const auto n = static_cast<std::uint32_t>(is_list() ? size() : 0);
  return {ListIterator(*this, index_ + 1, n), ListIterator(*this, 0, 0)};
}

Node::DictRange Node::entries() const noexcept {
  const auto n = static_cast<std::uint32_t>(is_dict() ? size() : 0);
  return {DictIterator(*this, index_ + 1, n), DictIterator(*this, 0, 0)};
}

}  // namespace btd::bencode
