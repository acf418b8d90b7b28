// libFuzzer target: core/bencode decode. A document the strict decoder accepts is canonical by
// definition (sorted unique keys, no leading zeros, no trailing bytes), so re-encoding the
// decoded tree must give back exactly the input. The relaxed decoder (as trackers and the
// extension handshake use it) must accept whatever the strict one does, and every value's raw
// range must decode on its own.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/bencode/decoder.hpp"
#include "core/bencode/value.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

using btd::bencode::Node;
using btd::bencode::Type;

// Rebuilds the tree as Values, checking the accessors agree with one another on the way.
btd::bencode::Value to_value(const Node& n, bool canonical) {
  FUZZ_CHECK(n);
  switch (n.type()) {
    case Type::integer: {
      std::string text;
      btd::bencode::append_int(text, n.int_value());
      FUZZ_CHECK(text == n.raw());  // the decoder rejects every other spelling of an integer
      return n.int_value();
    }
    case Type::string: {
      FUZZ_CHECK(n.raw().ends_with(n.string_value()));
      FUZZ_CHECK(n.string_value().size() < n.raw().size());
      return n.string_value();
    }
    case Type::list: {
      btd::bencode::List list;
      std::size_t i = 0;
      for (Node item : n.items()) {
        FUZZ_CHECK(i < n.size());
        if (i < 4) FUZZ_CHECK(n.list_at(i).raw().data() == item.raw().data());
        list.push_back(to_value(item, canonical));
        ++i;
      }
      FUZZ_CHECK(i == n.size());
      FUZZ_CHECK(!n.list_at(n.size()));
      return list;
    }
    case Type::dict: {
      btd::bencode::Dict dict;
      std::size_t i = 0;
      std::string_view previous;
      for (auto [key, value] : n.entries()) {
        if (canonical && i > 0) FUZZ_CHECK(previous < key);
        previous = key;
        // dict_find returns the first entry with the key: with unique keys, this one.
        if (canonical) FUZZ_CHECK(n.dict_find(key).raw().data() == value.raw().data());
        dict.emplace(std::string(key), to_value(value, canonical));
        ++i;
      }
      FUZZ_CHECK(i == n.size());
      return dict;
    }
  }
  FUZZ_CHECK(false);
  return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in = btd::fuzz::as_view(data, size);

  btd::bencode::Limits relaxed;
  relaxed.require_canonical_keys = false;
  relaxed.allow_trailing_data = true;
  auto loose = btd::bencode::decode(in, relaxed);

  auto strict = btd::bencode::decode(in);
  if (strict) {
    FUZZ_CHECK(strict->consumed() == in.size());
    const Node root = strict->root();
    FUZZ_CHECK(root.raw() == in);
    FUZZ_CHECK(btd::bencode::encode(to_value(root, true)) == in);
    FUZZ_CHECK(loose);
    FUZZ_CHECK(loose->token_count() == strict->token_count());
  }

  if (loose) {
    FUZZ_CHECK(loose->consumed() > 0 && loose->consumed() <= in.size());
    const Node root = loose->root();
    FUZZ_CHECK(root.raw() == in.substr(0, loose->consumed()));
    // The root's own bytes, without what trails them, decode alike with trailing data refused.
    btd::bencode::Limits unsorted;
    unsorted.require_canonical_keys = false;
    auto again = btd::bencode::decode(root.raw(), unsorted);
    FUZZ_CHECK(again);
    FUZZ_CHECK(again->token_count() == loose->token_count());
    // Keys may be unsorted or repeated here, so only the tree walk is checked, not the bytes.
    (void)to_value(root, false);
  }
  return 0;
}
