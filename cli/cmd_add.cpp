// btctl add FILE.torrent|MAGNET [--dir D] [--paused] [--peer HOST:PORT]... [--only LIST]
// [--skip LIST]: torrent.add with the
// .torrent's bytes inline, so the daemon needs no access to the user's files.
#include "cli/cmd_add.hpp"

#include <unistd.h>

#include <cctype>
#include <charconv>
#include <filesystem>
#include <iostream>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/daemon_call.hpp"
#include "cli/file_io.hpp"
#include "cli/file_list.hpp"
#include "cli/status_table.hpp"
#include "core/util/base64.hpp"

namespace btd::cli {
namespace {

// The request must fit the daemon's default rpc.max_request_bytes (64 MiB) after base64 grows
// the file by 4/3: 48 MiB leaves room for the rest of the request. Real .torrent files are
// far smaller; this only stops a wrong file from being shipped.
constexpr std::int64_t kMaxTorrentFileBytes = std::int64_t{48} << 20;

int usage(const std::string& why) {
  std::cerr << "btctl: " << why
            << "\nusage: btctl add FILE.torrent|MAGNET [--dir D] [--paused] [--peer HOST:PORT]... "
               "[--only LIST] [--skip LIST]\n";
  return kExitUsage;
}

}  // namespace

bool is_magnet(std::string_view source) {
  constexpr std::string_view kPrefix = "magnet:";
  if (source.size() < kPrefix.size()) return false;
  for (std::size_t i = 0; i < kPrefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(source[i])) != kPrefix[i]) return false;
  return true;
}

bool is_peer_address(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
  } else if (host.find(':') != std::string_view::npos) {
    return false;  // a bare IPv6 address is ambiguous: it needs brackets
  }
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return !port.empty() && ec == std::errc() && ptr == port.data() + port.size() && value >= 1 &&
         value <= 65535;
}

std::string absolute_dir(const std::string& dir, const std::string& cwd) {
  std::filesystem::path p(dir);
  if (p.is_relative()) p = std::filesystem::path(cwd) / p;
  std::string out = p.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

int run_add(const GlobalOptions& global, const std::vector<std::string>& words) {
  Args args(words, {{"dir", true, false, 0},
                    {"paused", false, false, 0},
                    {"peer", true, true, 0},
                    {"only", true, false, 0},
                    {"skip", true, false, 0}});
  if (!args.ok()) return usage(args.error());
  if (args.positional().size() != 1) return usage("add needs exactly one FILE.torrent or MAGNET");
  const std::string& source = args.positional()[0];
  // Usage is checked before the file is read, so a typo is exit 2 whatever the file.
  const auto peers = args.values("peer");
  for (const auto& p : peers)
    if (!is_peer_address(p))
      return usage("--peer " + p + " is not HOST:PORT (IPv6 as [ADDR]:PORT, port 1-65535)");
  const auto dir = args.value("dir");
  if (dir && dir->empty()) return usage("--dir needs a directory");
  // --only 0,2: just these files; --skip 1: all but these (file indexes as `btctl info` and
  // `btctl files` number them). For a magnet link the daemon applies them once the metadata is
  // in (an index past the last file is then logged and ignored).
  nlohmann::json only, skip;
  for (const auto& [option, out] : {std::pair<const char*, nlohmann::json*>{"only", &only}, {"skip", &skip}}) {
    if (auto text = args.value(option)) {
      std::string why;
      auto list = parse_file_list(*text, false, why);
      if (!list) return usage("--" + std::string(option) + " " + *text + ": " + why);
      *out = std::move(*list);
    }
  }

  nlohmann::json params = nlohmann::json::object();
  if (is_magnet(source)) {
    params["magnet"] = source;
  } else {
    auto bytes = read_file(source, kMaxTorrentFileBytes);
    if (!bytes) {
      std::cerr << "btctl: " << bytes.error().message << "\n";
      return kExitError;
    }
    params["metainfo"] = to_base64(*bytes);
  }
  if (dir) {
    std::error_code ec;
    const auto cwd = std::filesystem::current_path(ec);
    if (ec) {
      std::cerr << "btctl: cannot resolve --dir " << *dir << ": current directory: " << ec.message()
                << "\n";
      return kExitError;
    }
    params["download_dir"] = absolute_dir(*dir, cwd.string());
  }
  if (args.flag("paused")) params["paused"] = true;
  if (!peers.empty()) params["peers"] = peers;
  if (!only.is_null()) params["files"] = only;
  if (!skip.is_null()) params["skip_files"] = skip;

  CallOutcome out = call_daemon(global, "torrent.add", params);
  if (out.exit_code != kExitOk) return out.exit_code;
  const nlohmann::json& r = out.result;
  if (global.json) {
    std::cout << r.dump(2) << "\n";
    return kExitOk;
  }
  const std::string id = r.contains("id") && r["id"].is_string() ? r["id"].get<std::string>() : "";
  std::cout << sanitize_for_terminal(id) << "\n";
  // The note goes to stderr so `ID=$(btctl add x.torrent)` still captures just the id.
  if (r.contains("duplicate") && r["duplicate"] == true) {
    const std::string name =
        r.contains("name") && r["name"].is_string() ? r["name"].get<std::string>() : id;
    std::cerr << "btctl: already added: " << sanitize_for_terminal(name) << "\n";
  }
  return kExitOk;
}

}  // namespace btd::cli
