// btctl set / settings (see cmd_settings.hpp).
#include "cli/cmd_settings.hpp"

#include <iostream>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/daemon_call.hpp"
#include "core/util/byte_rate.hpp"
#include "core/util/token_bucket.hpp"

namespace btd::cli {

namespace {

constexpr const char* kSetUsage =
    "usage: btctl set [--down-limit RATE] [--up-limit RATE] [--max-peers N] [--max-peers-per-torrent N]\n"
    "                 [--log-level error|warning|notice|info|debug] [--dht on|off] [--pex on|off]\n"
    "                 [--encryption disabled|prefer_plaintext|prefer_encrypted|required]\n"
    "       btctl set ID [--down-limit RATE] [--up-limit RATE] [--max-peers N]\n"
    "RATE is bytes per second, e.g. 1048576, 512K, 10M (1024-based); 0 or \"unlimited\" lifts the limit.\n"
    "For one torrent, --max-peers 0 goes back to the daemon's --max-peers-per-torrent.\n";

std::optional<std::uint64_t> parse_rate_word(const std::string& word) {
  if (word == "unlimited" || word == "none") return 0;
  return parse_byte_rate(word, TokenBucket::kMaxRate);
}

std::optional<std::uint64_t> parse_count(const std::string& word) {
  if (word.empty() || word.size() > 6 || word.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoull(word);
}

std::string uint_text(const nlohmann::json& v) {
  return v.is_number_unsigned() || v.is_number_integer() ? std::to_string(v.get<std::uint64_t>()) : "-";
}

std::string rate_text(const nlohmann::json& v) {
  return v.is_number_unsigned() || v.is_number_integer() ? format_byte_rate(v.get<std::uint64_t>()) : "-";
}

}  // namespace

std::variant<RpcRequest, std::string> build_set_request(const std::vector<std::string>& words) {
  Args args(words, {{"down-limit", true, false, 0},
                    {"up-limit", true, false, 0},
                    {"max-peers", true, false, 0},
                    {"max-peers-per-torrent", true, false, 0},
                    {"log-level", true, false, 0},
                    {"dht", true, false, 0},
                    {"pex", true, false, 0},
                    {"encryption", true, false, 0}});
  if (!args.ok()) return args.error();
  if (args.positional().size() > 1) return std::string("set takes at most one torrent ID");
  const bool torrent = args.positional().size() == 1;
  RpcRequest r{torrent ? "torrent.set" : "session.set", nlohmann::json::object()};
  if (torrent) r.params["id"] = args.positional()[0];

  for (const auto& [flag, key] : {std::pair{"down-limit", "download_rate_limit"}, std::pair{"up-limit", "upload_rate_limit"}}) {
    if (auto v = args.value(flag)) {
      auto rate = parse_rate_word(*v);
      if (!rate) return "--" + std::string(flag) + " \"" + *v + "\" is not a rate such as 1048576, 512K or 10M (at most 1024G)";
      r.params[key] = *rate;
    }
  }
  if (auto v = args.value("max-peers")) {
    auto n = parse_count(*v);
    if (!n || (!torrent && *n == 0)) return "--max-peers \"" + *v + "\" is not a number of peers" + (torrent ? "" : " (at least 1)");
    r.params["max_connections"] = *n;
  }
  if (auto v = args.value("max-peers-per-torrent")) {
    if (torrent) return std::string("--max-peers-per-torrent is a daemon setting: use it without a torrent ID");
    auto n = parse_count(*v);
    if (!n || *n == 0) return "--max-peers-per-torrent \"" + *v + "\" is not a number of peers (at least 1)";
    r.params["max_connections_per_torrent"] = *n;
  }
  if (auto v = args.value("log-level")) {
    if (torrent) return std::string("--log-level is a daemon setting: use it without a torrent ID");
    r.params["log_level"] = *v;  // the daemon names the accepted levels if it is wrong
  }
  if (auto v = args.value("dht")) {
    if (torrent) return std::string("--dht is a daemon setting (private torrents never use the DHT)");
    if (*v != "on" && *v != "off") return "--dht \"" + *v + "\" is not on or off";
    r.params["dht"] = *v == "on";
  }
  if (auto v = args.value("pex")) {
    if (torrent) return std::string("--pex is a daemon setting (private torrents never use peer exchange)");
    if (*v != "on" && *v != "off") return "--pex \"" + *v + "\" is not on or off";
    r.params["pex"] = *v == "on";
  }
  if (auto v = args.value("encryption")) {
    if (torrent) return std::string("--encryption is a daemon setting: use it without a torrent ID");
    r.params["encryption"] = *v;  // the daemon names the accepted modes if it is wrong
  }
  if (r.params.size() == (torrent ? 1u : 0u)) return std::string("set needs at least one setting to change");
  return r;
}

std::string format_settings(const nlohmann::json& s) {
  if (!s.is_object()) return "";
  auto field = [&](const char* key) { return s.contains(key) ? s[key] : nlohmann::json(); };
  std::string level = field("log_level").is_string() ? field("log_level").get<std::string>() : "-";
  std::string encryption = field("encryption").is_string() ? field("encryption").get<std::string>() : "-";
  std::string dht = "-";
  if (field("dht").is_boolean()) {
    dht = field("dht").get<bool>() ? "on" : "off";
    const nlohmann::json nodes = field("dht_bootstrap_nodes");
    if (field("dht").get<bool>() && nodes.is_array())
      dht += " (" + std::to_string(nodes.size()) + " bootstrap node" + (nodes.size() == 1 ? "" : "s") + ")";
  }
  auto on_off = [&](const char* key) {
    return field(key).is_boolean() ? std::string(field(key).get<bool>() ? "on" : "off") : std::string("-");
  };
  return "Download limit:         " + rate_text(field("download_rate_limit")) + "\n" +
         "Upload limit:           " + rate_text(field("upload_rate_limit")) + "\n" +
         "Max peers:              " + uint_text(field("max_connections")) + "\n" +
         "Max peers per torrent:  " + uint_text(field("max_connections_per_torrent")) + "\n" +
         "Log level:              " + level + "\n" +
         "DHT:                    " + dht + "\n" +
         "PEX:                    " + on_off("pex") + "\n" +
         "Encryption:             " + encryption + "\n";
}

std::string format_torrent_limits(const nlohmann::json& l) {
  if (!l.is_object()) return "";
  auto field = [&](const char* key) { return l.contains(key) ? l[key] : nlohmann::json(); };
  const nlohmann::json max = field("max_connections");
  return (field("id").is_string() ? field("id").get<std::string>() : std::string("?")) + "\n" +
         "Download limit:  " + rate_text(field("download_rate_limit")) + "\n" +
         "Upload limit:    " + rate_text(field("upload_rate_limit")) + "\n" +
         "Max peers:       " + (max.is_null() ? std::string("daemon default") : uint_text(max)) + "\n";
}

int run_set(const GlobalOptions& global, const std::vector<std::string>& words) {
  auto built = build_set_request(words);
  if (auto* why = std::get_if<std::string>(&built)) {
    std::cerr << "btctl: " << *why << "\n" << kSetUsage;
    return kExitUsage;
  }
  const RpcRequest& r = std::get<RpcRequest>(built);
  CallOutcome out = call_daemon(global, r.method, r.params);
  if (out.exit_code != kExitOk) return out.exit_code;
  if (global.json) std::cout << out.result.dump(2) << "\n";
  else std::cout << (r.method == "torrent.set" ? format_torrent_limits(out.result) : format_settings(out.result));
  return kExitOk;
}

int run_settings(const GlobalOptions& global, const std::vector<std::string>& words) {
  Args args(words, {});
  if (!args.ok() || !args.positional().empty()) {
    std::cerr << "btctl: " << (args.ok() ? "usage: btctl settings" : args.error()) << "\n";
    return kExitUsage;
  }
  CallOutcome out = call_daemon(global, "session.get");
  if (out.exit_code != kExitOk) return out.exit_code;
  if (global.json) std::cout << out.result.dump(2) << "\n";
  else std::cout << format_settings(out.result);
  return kExitOk;
}

}  // namespace btd::cli
