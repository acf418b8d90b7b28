#pragma once
// Bencode decoder after libtorrent's bdecode: one pass over the caller's bytes produces a flat
// vector of tokens that point back into those bytes. Nothing is copied, every value keeps its
// exact raw byte range (the info-hash is the SHA-1 of the info dict's original bytes), nesting
// is tracked on an explicit bounded stack, and errors carry the byte offset.
//
// The Document does not own the input: keep the bytes alive as long as the Document and its
// Nodes are in use.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/util/result.hpp"

namespace btd::bencode {

enum class Type : std::uint8_t { integer, string, list, dict };

struct Limits {
  std::size_t max_depth = 100;
  std::size_t max_tokens = 3'000'000;
  // Dict keys must be sorted as raw bytes and unique, as BEP 3 requires. Trackers in the wild
  // are sloppier than .torrent files, so codecs for their replies may relax this.
  bool require_canonical_keys = true;
  // Accept bytes after the root value (ut_metadata pieces carry raw data after the dict).
  bool allow_trailing_data = false;
};

struct Token {
  std::uint32_t start;  // first byte of the value's encoding
  std::uint32_t end;    // one past its last byte
  std::uint32_t next;   // index of the first token after this value's subtree
  std::uint32_t aux;    // string: offset of the payload; list/dict: number of children (dict: 2 per entry)
  Type type;
};

class Node;

class Document {
 public:
  Node root() const;
  std::size_t consumed() const noexcept { return consumed_; }  // bytes of the root value
  std::size_t token_count() const noexcept { return tokens_.size(); }

 private:
  friend Result<Document> decode(std::string_view, const Limits&);
  std::string_view input_;
  std::vector<Token> tokens_;
  std::size_t consumed_ = 0;
};

// A view of one value inside a Document. A default-constructed Node is "absent": lookups that
// find nothing return it, and every accessor on it is safe.
class Node {
 public:
  Node() = default;

  explicit operator bool() const noexcept { return tokens_ != nullptr; }
  Type type() const noexcept { return tok().type; }
  bool is_int() const noexcept { return tokens_ && type() == Type::integer; }
  bool is_string() const noexcept { return tokens_ && type() == Type::string; }
  bool is_list() const noexcept { return tokens_ && type() == Type::list; }
  bool is_dict() const noexcept { return tokens_ && type() == Type::dict; }

  // The value's exact encoding in the input.
  std::string_view raw() const noexcept;
  std::size_t offset() const noexcept { return tokens_ ? tok().start : 0; }

  std::int64_t int_value() const noexcept;         // 0 unless is_int()
  std::string_view string_value() const noexcept;  // empty unless is_string()

  // Lists and dicts: number of elements (dict: number of key/value pairs).
  std::size_t size() const noexcept;
  Node list_at(std::size_t i) const noexcept;  // walks the list: O(i)

  Node dict_find(std::string_view key) const noexcept;
  Node dict_find_dict(std::string_view key) const noexcept;
  Node dict_find_list(std::string_view key) const noexcept;
  std::optional<std::string_view> dict_find_string(std::string_view key) const noexcept;
  std::optional<std::int64_t> dict_find_int(std::string_view key) const noexcept;

  // Iteration: `for (Node item : node.items())` over a list, and
  // `for (auto [key, value] : node.entries())` over a dict.
  class ListIterator;
  class DictIterator;
  struct ListRange;
  struct DictRange;
  ListRange items() const noexcept;
  DictRange entries() const noexcept;

 private:
  friend class Document;
  Node(const Token* tokens, std::string_view input, std::uint32_t index)
      : tokens_(tokens), input_(input), index_(index) {}
  const Token& tok() const noexcept { return tokens_[index_]; }
  Node at(std::uint32_t index) const noexcept { return Node(tokens_, input_, index); }

  const Token* tokens_ = nullptr;
  std::string_view input_;
  std::uint32_t index_ = 0;
};

class Node::ListIterator {
 public:
  ListIterator(const Node& parent, std::uint32_t index, std::uint32_t left)
      : parent_(parent), index_(index), left_(left) {}
  Node operator*() const noexcept { return parent_.at(index_); }
  ListIterator& operator++() noexcept {
    index_ = parent_.tokens_[index_].next;
    --left_;
    return *this;
  }
  bool operator==(const ListIterator& o) const noexcept { return left_ == o.left_; }

 private:
  Node parent_;
  std::uint32_t index_;
  std::uint32_t left_;
};

class Node::DictIterator {
 public:
  DictIterator(const Node& parent, std::uint32_t index, std::uint32_t left)
      : parent_(parent), index_(index), left_(left) {}
  std::pair<std::string_view, Node> operator*() const noexcept {
    return {parent_.at(index_).string_value(), parent_.at(index_ + 1)};
  }
  DictIterator& operator++() noexcept {
    index_ = parent_.tokens_[index_ + 1].next;
    --left_;
    return *this;
  }
  bool operator==(const DictIterator& o) const noexcept { return left_ == o.left_; }

 private:
  Node parent_;
  std::uint32_t index_;
  std::uint32_t left_;
};

struct Node::ListRange {
  ListIterator b, e;
  ListIterator begin() const noexcept { return b; }
  ListIterator end() const noexcept { return e; }
};

struct Node::DictRange {
  DictIterator b, e;
  DictIterator begin() const noexcept { return b; }
  DictIterator end() const noexcept { return e; }
};

Result<Document> decode(std::string_view input, const Limits& limits = {});

}  // namespace btd::bencode
