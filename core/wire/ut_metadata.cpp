#include "core/wire/ut_metadata.hpp"

#include <algorithm>

#include "core/bencode/decoder.hpp"
#include "core/bencode/value.hpp"

namespace btd::wire {
namespace {

Error metadata_error(std::string message) {
  return Error(Errc::protocol_error, "peer ut_metadata message: " + std::move(message));
}

// The dict part of every message, keys in canonical order.
std::string encode_head(UtMetadataType type, std::uint32_t piece) {
  std::string out = "d";
  bencode::append_string(out, "msg_type");
  bencode::append_int(out, static_cast<std::int64_t>(type));
  bencode::append_string(out, "piece");
  bencode::append_int(out, std::int64_t{piece});
  return out;
}

}  // namespace

std::uint32_t metadata_piece_count(std::uint64_t total_size) noexcept {
  // Sizes above the limit are refused everywhere; clamping keeps the result in 32 bits.
  const std::uint64_t size = std::min<std::uint64_t>(total_size, kMaxMetadataSize);
  return static_cast<std::uint32_t>((size + kMetadataPieceSize - 1) / kMetadataPieceSize);
}

std::size_t metadata_piece_size(std::uint64_t total_size, std::uint32_t piece) noexcept {
  if (total_size > kMaxMetadataSize || piece >= metadata_piece_count(total_size)) return 0;
  const std::uint64_t begin = std::uint64_t{piece} * kMetadataPieceSize;
  return static_cast<std::size_t>(std::min<std::uint64_t>(kMetadataPieceSize, total_size - begin));
}

std::string encode_ut_metadata_request(std::uint32_t piece) {
  return encode_head(UtMetadataType::request, piece) + "e";
}

std::string encode_ut_metadata_reject(std::uint32_t piece) {
  return encode_head(UtMetadataType::reject, piece) + "e";
}

std::string encode_ut_metadata_data(std::uint32_t piece, std::uint64_t total_size, std::string_view data) {
  std::string out = encode_head(UtMetadataType::data, piece);
  bencode::append_string(out, "total_size");
  bencode::append_int(out, static_cast<std::int64_t>(total_size));
  out += 'e';
  out.append(data);
  return out;
}

Result<UtMetadataMessage> parse_ut_metadata(std::string_view payload) {
  bencode::Limits limits;
  limits.require_canonical_keys = false;  // not every client sorts its keys
  limits.allow_trailing_data = true;      // the data message's piece follows the dict
  limits.max_depth = 4;
  limits.max_tokens = 64;  // three or four keys in real messages
  auto doc = bencode::decode(payload, limits);
  if (!doc) return metadata_error(doc.error().message);
  const bencode::Node root = doc->root();
  if (!root.is_dict()) return metadata_error("expected a dictionary at the top level");
  const std::string_view rest = payload.substr(doc->consumed());

  const auto type = root.dict_find_int("msg_type");
  if (!type) return metadata_error("msg_type is missing or not an integer");
  const auto piece = root.dict_find_int("piece");
  if (!piece) return metadata_error("piece is missing or not an integer");
  if (*piece < 0 || *piece >= std::int64_t{kMaxMetadataPieces}) {
    return metadata_error("piece " + std::to_string(*piece) + " is out of range (30 MiB of metadata has " +
                          std::to_string(kMaxMetadataPieces) + " pieces)");
  }

  UtMetadataMessage m;
  m.piece = static_cast<std::uint32_t>(*piece);
  switch (*type) {
    case 0: m.type = UtMetadataType::request; break;
    case 1: m.type = UtMetadataType::data; break;
    case 2: m.type = UtMetadataType::reject; break;
    default: m.type = UtMetadataType::unknown; return m;
  }
  if (m.type != UtMetadataType::data) {
    if (!rest.empty()) {
      return metadata_error(std::to_string(rest.size()) + " unexpected bytes after a " +
                            (m.type == UtMetadataType::request ? "request" : "reject"));
    }
    return m;
  }

  const auto total = root.dict_find_int("total_size");
  if (!total) return metadata_error("data for piece " + std::to_string(m.piece) + " has no integer total_size");
  if (*total <= 0 || static_cast<std::uint64_t>(*total) > kMaxMetadataSize) {
    return metadata_error("total_size " + std::to_string(*total) + " is outside 1 byte to 30 MiB");
  }
  m.total_size = static_cast<std::uint64_t>(*total);
  const std::uint32_t count = metadata_piece_count(m.total_size);
  if (m.piece >= count) {
    return metadata_error("data for piece " + std::to_string(m.piece) + ", but a total_size of " +
                          std::to_string(m.total_size) + " bytes has " + std::to_string(count) + " pieces");
  }
  const std::size_t expected = metadata_piece_size(m.total_size, m.piece);
  if (rest.size() != expected) {
    return metadata_error("data for piece " + std::to_string(m.piece) + " has " + std::to_string(rest.size()) +
                          " bytes, expected " + std::to_string(expected));
  }
  m.data = rest;
  return m;
}

}  // namespace btd::wire
