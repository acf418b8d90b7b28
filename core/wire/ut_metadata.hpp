#pragma once
// BEP 9 ut_metadata messages: the payload of an extended message (BEP 10) sent under the id the
// receiver chose for "ut_metadata". The info dict travels in pieces of 16 KiB (the last one may
// be shorter); each message is a bencoded dict, and a data message carries the piece's raw bytes
// right after that dict.
//
// Everything here is hostile input: a piece index, a total size and a data length are all
// checked against each other before the caller sees them.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/util/result.hpp"

namespace btd::wire {

inline constexpr std::size_t kMetadataPieceSize = 16 * 1024;
// An info dict above this would describe millions of pieces; nobody fetches or serves one.
inline constexpr std::uint64_t kMaxMetadataSize = 30 * 1024 * 1024;
inline constexpr std::uint32_t kMaxMetadataPieces =
    static_cast<std::uint32_t>((kMaxMetadataSize + kMetadataPieceSize - 1) / kMetadataPieceSize);

// The id btd asks peers to send ut_metadata messages with (BEP 10 leaves the choice to the
// receiver; libtorrent uses the same one). Messages to a peer go under the id *it* announced.
inline constexpr std::uint8_t kOurUtMetadataId = 2;
inline constexpr std::string_view kUtMetadataName = "ut_metadata";

enum class UtMetadataType : std::uint8_t {
  request = 0,
  data = 1,
  reject = 2,
  unknown = 255,  // a msg_type this version does not know: BEP 9 says to ignore the message
};

struct UtMetadataMessage {
  UtMetadataType type = UtMetadataType::unknown;
  std::uint32_t piece = 0;
  std::uint64_t total_size = 0;  // data only
  // Data only: the piece's bytes, pointing into the parsed payload (copy before it goes).
  std::string_view data;
};

// ceil(total_size / 16 KiB); 0 for a size of 0.
std::uint32_t metadata_piece_count(std::uint64_t total_size) noexcept;
// The size of piece `piece` of metadata of `total_size` bytes; 0 when the piece is out of range.
std::size_t metadata_piece_size(std::uint64_t total_size, std::uint32_t piece) noexcept;

// Payloads for send_extended (the extended id byte is not included).
std::string encode_ut_metadata_request(std::uint32_t piece);
std::string encode_ut_metadata_reject(std::uint32_t piece);
// `data` must be exactly metadata_piece_size(total_size, piece) bytes (the caller slices it).
std::string encode_ut_metadata_data(std::uint32_t piece, std::uint64_t total_size, std::string_view data);

// Decodes one payload. Errors (Errc::protocol_error), each meaning the peer must be dropped:
// malformed bencoding, a root that is not a dict, msg_type or piece missing or not an integer,
// a piece index beyond what 30 MiB of metadata has, bytes after a request or reject; for data:
// total_size missing, 0 or above 30 MiB, a piece past ceil(total_size / 16 KiB), or data of any
// other length than that piece's. An unknown msg_type is not an error (type unknown).
Result<UtMetadataMessage> parse_ut_metadata(std::string_view payload);

}  // namespace btd::wire
