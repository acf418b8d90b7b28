#pragma once
// torrent.get_piece's index, offset and length checked against a torrent's metainfo. For a magnet
// link still fetching its metadata the request waits as given, and is checked when the metadata
// comes.
#include <cstdint>
#include <optional>

#include "core/metainfo/metainfo.hpp"
#include "rpc/rpc_error.hpp"

namespace btd::daemon {

struct PieceRequest {
  std::uint64_t index = 0;
  std::optional<std::uint64_t> offset;  // default 0
  std::optional<std::uint64_t> length;  // default: to the end of the piece
};

struct PieceSpan {
  PieceIndex piece;
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
};

// Errors: 5 (piece out of range) for an index past the last piece, invalid params for an offset
// and length that do not fit in the piece.
rpc::RpcResult<PieceSpan> resolve_piece_request(const Metainfo& meta, const PieceRequest& request);

}  // namespace btd::daemon
