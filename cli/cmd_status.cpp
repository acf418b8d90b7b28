// btctl status [ID...] [--watch]: torrent.status as a table, or redrawn every second.
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <iostream>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/daemon_call.hpp"
#include "cli/status_table.hpp"

namespace btd::cli {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_interrupt(int /*signo*/) { g_interrupted = 1; }

// Installs the SIGINT/SIGTERM handler for the watch loop and puts the old ones back after.
// Without SA_RESTART so the sleep returns as soon as the user presses Ctrl-C.
class InterruptGuard {
 public:
  InterruptGuard() {
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
  }
  ~InterruptGuard() {
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

void sleep_one_second() {
  struct timespec left {1, 0};
  // A signal cuts the sleep short; only go back to sleep if it was not ours.
  while (::nanosleep(&left, &left) != 0 && errno == EINTR && g_interrupted == 0) {
  }
}

}  // namespace

int run_status(const GlobalOptions& global, const std::vector<std::string>& words) {
  Args args(words, {{"watch", false, false, 'w'}});
  if (!args.ok()) {
    std::cerr << "btctl: " << args.error() << "\nusage: btctl status [ID...] [--watch]\n";
    return kExitUsage;
  }
  nlohmann::json params = nlohmann::json::object();
  if (!args.positional().empty()) params["id"] = args.positional();
  const bool watch = args.flag("watch");
  const bool tty = ::isatty(STDOUT_FILENO) != 0;

  if (!watch) {
    CallOutcome out = call_daemon(global, "torrent.status", params);
    if (out.exit_code != kExitOk) return out.exit_code;
    if (global.json) std::cout << out.result.dump(2) << "\n";
    else std::cout << render_status_table(out.result, terminal_width());
    return kExitOk;
  }

  g_interrupted = 0;
  InterruptGuard guard;
  bool first = true;
  while (g_interrupted == 0) {
    CallOutcome out = call_daemon(global, "torrent.status", params);
    if (out.exit_code != kExitOk) return out.exit_code;
    if (global.json) {
      // One compact line per refresh: a stream a script can read line by line.
      std::cout << out.result.dump() << "\n";
    } else {
      const std::string table = render_status_table(out.result, terminal_width());
      if (tty) std::cout << "\x1b[H\x1b[2J";  // home, clear screen
      else if (!first) std::cout << "\n";
      std::cout << table;
    }
    std::cout.flush();
    first = false;
    if (all_complete(out.result)) break;
    sleep_one_second();
  }
  return kExitOk;
}

}  // namespace btd::cli
