#include "daemon/file_selection.hpp"

#include <string>

#include "rpc/error_codes.hpp"

namespace btd::daemon {

namespace {

rpc::RpcError bad_param(std::string_view name, const std::string& why) {
  return rpc::RpcError(rpc::code::invalid_params, "invalid params: \"" + std::string(name) + "\" " + why);
}

}  // namespace

rpc::RpcResult<std::optional<std::vector<std::uint64_t>>> optional_file_indexes(const rpc::Json& params,
                                                                                std::string_view name) {
  if (!params.is_object()) return std::optional<std::vector<std::uint64_t>>{};
  auto it = params.find(std::string(name));
  if (it == params.end() || it->is_null()) return std::optional<std::vector<std::uint64_t>>{};
  if (!it->is_array()) return bad_param(name, "must be an array of file indexes");
  if (it->size() > kMaxFileIndexes)
    return bad_param(name, "has more than " + std::to_string(kMaxFileIndexes) + " indexes");
  std::vector<std::uint64_t> out;
  out.reserve(it->size());
  for (const rpc::Json& v : *it) {
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0))
      return bad_param(name, "must hold file indexes (non-negative integers), not " + v.dump().substr(0, 40));
    out.push_back(v.get<std::uint64_t>());
  }
  return std::optional<std::vector<std::uint64_t>>(std::move(out));
}

std::optional<rpc::RpcError> set_file_priority(const Metainfo& m, const std::vector<std::uint64_t>& indexes,
                                               std::string_view param, FilePriority priority,
                                               std::vector<FilePriority>& priorities) {
  const std::size_t count = m.files.size();
  for (std::uint64_t i : indexes) {
    if (i >= count)
      return bad_param(param, "names file " + std::to_string(i) + ", but the torrent has " + std::to_string(count) +
                                  " files (indexes 0-" + std::to_string(count - 1) + ", see torrent.files)");
    if (m.files[i].pad)
      return bad_param(param, "names file " + std::to_string(i) + ", a pad file (BEP 47) that holds no data");
  }
  if (priorities.size() != count) priorities.assign(count, FilePriority::normal);
  for (std::uint64_t i : indexes) priorities[i] = priority;
  return std::nullopt;
}

std::vector<bool> skipped_files(const Metainfo& m, const std::vector<FilePriority>& priorities) {
  std::vector<bool> out(m.files.size(), false);
  for (std::size_t i = 0; i < out.size() && i < priorities.size(); ++i)
    out[i] = priorities[i] == FilePriority::skip;
  return out;
}

}  // namespace btd::daemon
