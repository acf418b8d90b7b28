#pragma once
// File lists on btctl's command line: `btctl files ID --skip 1,3,5-7`, `--want all`,
// `btctl add X.torrent --only 0,2`. Indexes are those `btctl files` shows in its # column.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace btd::cli {

// "all" -> the JSON string "all" (only when allow_all); "1,3,5-7" -> [1,3,5,6,7]. nullopt, with
// `why` set, for anything else: empty items, a backwards range, signs, spaces, or a range of
// more than 1,000,000 indexes.
std::optional<nlohmann::json> parse_file_list(const std::string& text, bool allow_all, std::string& why);

}  // namespace btd::cli
