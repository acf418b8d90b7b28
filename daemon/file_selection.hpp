#pragma once
// The RPC side of file selection: file indexes as torrent.set_files and torrent.add take them,
// checked against a torrent's files with errors that name the bad index.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/metainfo/metainfo.hpp"
#include "core/storage/file_priority.hpp"
#include "rpc/rpc_error.hpp"

namespace btd::daemon {

// At most this many indexes in one request: above any real torrent's file count, and a bound
// on what one request makes us hold.
inline constexpr std::size_t kMaxFileIndexes = std::size_t{1} << 20;

// params[name] as an array of file indexes (non-negative integers); nullopt when absent or null.
rpc::RpcResult<std::optional<std::vector<std::uint64_t>>> optional_file_indexes(const rpc::Json& params,
                                                                                std::string_view name);

// Sets the files `indexes` names to `priority` in `priorities` (one per file of m; an empty
// list is first filled with normal). Each index must name a file of m that is not a BEP 47 pad
// file; otherwise an invalid-params error naming the param and the index, and nothing changed.
std::optional<rpc::RpcError> set_file_priority(const Metainfo& m, const std::vector<std::uint64_t>& indexes,
                                               std::string_view param, FilePriority priority,
                                               std::vector<FilePriority>& priorities);

// Files whose every byte is skipped: the disk must not create them (one per file of m).
std::vector<bool> skipped_files(const Metainfo& m, const std::vector<FilePriority>& priorities);

}  // namespace btd::daemon
