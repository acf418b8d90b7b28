// btctl stats: the daemon's session figures (session.stats).
#include <iostream>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/daemon_call.hpp"
#include "cli/format.hpp"

namespace btd::cli {

int run_stats(const GlobalOptions& global, const std::vector<std::string>& words) {
  Args args(words, {});
  if (!args.ok() || !args.positional().empty()) {
    std::cerr << "btctl: " << (args.ok() ? "usage: btctl stats" : args.error()) << "\n";
    return kExitUsage;
  }
  CallOutcome out = call_daemon(global, "session.stats");
  if (out.exit_code != kExitOk) return out.exit_code;
  const nlohmann::json& r = out.result;
  if (global.json) {
    std::cout << r.dump(2) << "\n";
    return kExitOk;
  }
  auto num = [&](const char* key) -> std::int64_t {
    return r.contains(key) && r[key].is_number() ? r[key].get<std::int64_t>() : 0;
  };
  std::cout << "btd " << r.value("version", std::string("?")) << ", up "
            << format_duration(num("uptime_s")) << "\n"
            << "Listen port:  "
            << (r.contains("listen_port") && r["listen_port"].is_number()
                    ? std::to_string(r["listen_port"].get<int>())
                    : std::string("-"))
            << "\n"
            << "Torrents:     " << num("torrents") << "\n"
            << "Peers:        " << num("peers") << "\n"
            << "Download:     " << format_rate(static_cast<double>(num("download_rate"))) << " ("
            << format_size(num("downloaded")) << " total)\n"
            << "Upload:       " << format_rate(static_cast<double>(num("upload_rate"))) << " ("
            << format_size(num("uploaded")) << " total)\n";
  // The "dht" and "lsd" objects, and a number in one of them (0 when absent).
  auto object = [&](const char* key) {
    return r.contains(key) && r[key].is_object() ? r[key] : nlohmann::json::object();
  };
  auto number_in = [](const nlohmann::json& o, const char* key) -> std::int64_t {
    return o.contains(key) && o[key].is_number() ? o[key].get<std::int64_t>() : 0;
  };
  const nlohmann::json dht = object("dht");
  auto dnum = [&](const char* key) { return number_in(dht, key); };
  if (dht.value("enabled", false)) {
    std::cout << "DHT:          " << dnum("nodes") << " nodes (" << dnum("good_nodes") << " good), "
              << dnum("lookups_done") << " lookups done, " << dnum("lookups_running") << " running, "
              << dnum("peers_found") << " peers found, " << dnum("announces_received") << " announces received\n";
  } else {
    std::cout << "DHT:          off\n";
  }
  const nlohmann::json lsd = object("lsd");
  auto lnum = [&](const char* key) { return number_in(lsd, key); };
  if (lsd.value("enabled", false)) {
    std::cout << "LSD:          " << lnum("announces_sent") << " announces sent, " << lnum("announces_received")
              << " received (" << lnum("bad_announces") << " malformed), " << lnum("peers_found")
              << " peers found\n";
  } else {
    std::cout << "LSD:          off\n";
  }
  return kExitOk;
}

}  // namespace btd::cli
