#include "cli/file_list.hpp"

#include <charconv>
#include <cstdint>

namespace btd::cli {

namespace {

constexpr std::uint64_t kMaxIndexes = 1'000'000;

std::optional<std::uint64_t> parse_index(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty() || s.size() > 10) return std::nullopt;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<nlohmann::json> parse_file_list(const std::string& text, bool allow_all, std::string& why) {
  if (text == "all") {
    if (allow_all) return nlohmann::json("all");
    why = "\"all\" is not allowed here";
    return std::nullopt;
  }
  nlohmann::json out = nlohmann::json::array();
  std::string_view rest = text;
  if (rest.empty()) {
    why = "an empty file list";
    return std::nullopt;
  }
  std::uint64_t count = 0;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const std::size_t dash = item.find('-');
    const auto first = parse_index(item.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : parse_index(item.substr(dash + 1));
    if (!first || !last) {
      why = "\"" + std::string(item) + "\" is not a file index or a range such as 3-7";
      return std::nullopt;
    }
    if (*last < *first) {
      why = "the range \"" + std::string(item) + "\" runs backwards";
      return std::nullopt;
    }
    count += *last - *first + 1;
    if (count > kMaxIndexes) {
      why = "more than " + std::to_string(kMaxIndexes) + " file indexes";
      return std::nullopt;
    }
    for (std::uint64_t i = *first; i <= *last; ++i) out.push_back(i);
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return out;
}

}  // namespace btd::cli
