// btctl: the command line over btd's RPC socket, plus `info` and `create`, which need no daemon.
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli/command.hpp"

namespace {

using btd::cli::GlobalOptions;

constexpr const char* kUsage =
    "usage: btctl [--socket PATH] [--json] COMMAND ...\n"
    "\n"
    "commands that need no daemon:\n"
    "  info FILE.torrent                    show a torrent's name, info-hash, size, files, trackers\n"
    "  create PATH -o OUT.torrent [--tracker URL]... [--piece-size BYTES] [--private]\n"
    "                                       make a v1 .torrent from a file or directory\n"
    "\n"
    "commands that talk to btd:\n"
    "  stats                                session figures: uptime, torrents, peers, rates\n"
    "  add FILE.torrent|MAGNET [--dir D] [--paused] [--peer HOST:PORT]... [--only LIST] [--skip LIST]\n"
    "                                       add a torrent (the file is sent, btd needs no access);\n"
    "                                       prints its id; --only/--skip: which files (1,3,5-7)\n"
    "  status [ID...] [--watch]             table of torrents; --watch redraws every second until\n"
    "                                       all shown torrents are complete or Ctrl-C\n"
    "  get-piece ID INDEX [-o FILE] [--timeout-ms N]\n"
    "                                       fetch one piece (first in line), check its SHA-1 and\n"
    "                                       write its bytes to FILE or to a non-terminal stdout\n"
    "  remove ID [--delete-data]            forget a torrent (and delete its downloaded files)\n"
    "  pause ID, resume ID                  stop or restart transfers\n"
    "  verify ID                            re-check the data on disk\n"
    "  peers ID                             connected peers: address, client, progress, rates\n"
    "  files ID [--skip LIST] [--want LIST|all] [--high LIST] [--normal LIST|all]\n"
    "                                       files with index, size, priority and progress; the\n"
    "                                       options first change which files are downloaded\n"
    "  settings                             the daemon's rate limits, peer limits, log level, DHT,\n"
    "                                       PEX, encryption\n"
    "  set [--down-limit RATE] [--up-limit RATE] [--max-peers N] [--max-peers-per-torrent N]\n"
    "      [--log-level L] [--dht on|off] [--pex on|off] [--encryption MODE]\n"
    "                                       change them at once (RATE: 1048576, 512K, 10M; 0 = none)\n"
    "  set ID [--down-limit RATE] [--up-limit RATE] [--max-peers N]\n"
    "                                       limits of one torrent (also shown by status --json)\n"
    "\n"
    "ID is a torrent's info-hash (40 hex digits) or a unique prefix of at least 6.\n"
    "\n"
    "options:\n"
    "  --socket PATH   the daemon's RPC socket (default: $BTD_SOCKET, $XDG_RUNTIME_DIR/btd/rpc.sock,\n"
    "                  /run/btd/rpc.sock)\n"
    "  --json          print results as JSON for scripts\n"
    "  --help, --version\n"
    "\n"
    "exit codes: 0 ok, 1 error, 2 bad usage, 3 cannot reach the daemon\n";

using Runner = int (*)(const GlobalOptions&, const std::vector<std::string>&);

const std::map<std::string, Runner>& commands() {
  static const std::map<std::string, Runner> table = {
      {"info", &btd::cli::run_info},
      {"create", &btd::cli::run_create},
      {"stats", &btd::cli::run_stats},
      {"add", &btd::cli::run_add},
      {"status", &btd::cli::run_status},
      {"get-piece", &btd::cli::run_get_piece},
      {"remove", &btd::cli::run_remove},
      {"pause", &btd::cli::run_pause},
      {"resume", &btd::cli::run_resume},
      {"verify", &btd::cli::run_verify},
      {"peers", &btd::cli::run_peers},
      {"files", &btd::cli::run_files},
      {"set", &btd::cli::run_set},
      {"settings", &btd::cli::run_settings},
  };
  return table;
}

}  // namespace

int main(int argc, char** argv) {
  GlobalOptions global;
  int i = 1;
  // Global options come before the command; the command parses the rest.
  for (; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--json") {
      global.json = true;
    } else if (a == "--socket" && i + 1 < argc) {
      global.socket = argv[++i];
    } else if (a.rfind("--socket=", 0) == 0) {
      global.socket = a.substr(std::strlen("--socket="));
    } else if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return btd::cli::kExitOk;
    } else if (a == "--version") {
      std::cout << "btctl " << BTD_VERSION << "\n";
      return btd::cli::kExitOk;
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "btctl: unknown option " << a << "\n" << kUsage;
      return btd::cli::kExitUsage;
    } else {
      break;
    }
  }
  if (i >= argc) {
    std::cerr << kUsage;
    return btd::cli::kExitUsage;
  }
  const std::string name = argv[i];
  std::vector<std::string> rest(argv + i + 1, argv + argc);
  // `--json` is also accepted after the command, where scripts tend to put it.
  for (auto it = rest.begin(); it != rest.end();) {
    if (*it == "--json") {
      global.json = true;
      it = rest.erase(it);
    } else if (*it == "--") {
      break;
    } else {
      ++it;
    }
  }
  auto cmd = commands().find(name);
  if (cmd == commands().end()) {
    std::cerr << "btctl: unknown command \"" << name << "\"\n" << kUsage;
    return btd::cli::kExitUsage;
  }
  return cmd->second(global, rest);
}
