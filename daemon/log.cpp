#include "daemon/log.hpp"

#include <cstdio>
#include <string>

namespace btd::daemon {
namespace {

LogLevel g_level = LogLevel::info;

}  // namespace

void set_log_level(LogLevel level) { g_level = level; }

bool log_enabled(LogLevel level) { return static_cast<int>(level) <= static_cast<int>(g_level); }

void log(LogLevel level, std::string_view message) {
  if (!log_enabled(level)) return;
  // One write per line, so lines from the thread pool never interleave mid-line.
  std::string line = "<" + std::to_string(static_cast<int>(level)) + ">";
  line.append(message);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace btd::daemon
