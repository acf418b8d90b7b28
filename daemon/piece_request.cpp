#include "daemon/piece_request.hpp"

#include <algorithm>
#include <string>

#include "rpc/error_codes.hpp"

namespace btd::daemon {

rpc::RpcResult<PieceSpan> resolve_piece_request(const Metainfo& m, const PieceRequest& request) {
  if (request.index >= m.piece_count)
    return rpc::RpcError(rpc::code::piece_out_of_range, "piece index " + std::to_string(request.index) +
                                                            " is out of range: the torrent has " +
                                                            std::to_string(m.piece_count) + " pieces");
  const PieceIndex piece{static_cast<std::uint32_t>(request.index)};
  const auto piece_size = static_cast<std::uint64_t>(m.piece_size(piece));
  const std::uint64_t off = request.offset.value_or(0);
  const std::uint64_t len = request.length.value_or(piece_size - std::min(off, piece_size));
  if (off > piece_size || len > piece_size - off)
    return rpc::RpcError(rpc::code::invalid_params, "invalid params: offset " + std::to_string(off) + " and length " +
                                                        std::to_string(len) + " do not fit in the piece of " +
                                                        std::to_string(piece_size) + " bytes");
  return PieceSpan{piece, static_cast<std::uint32_t>(off), static_cast<std::uint32_t>(len)};
}

}  // namespace btd::daemon
