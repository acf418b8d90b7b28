#pragma once
// Log lines to stderr with syslog priority prefixes ("<3>", "<6>", ...) so that journald keeps
// each line's level when btd runs under systemd.
#include <string_view>

#include "daemon/daemon_options.hpp"

namespace btd::daemon {

void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
void log(LogLevel level, std::string_view message);

inline void log_error(std::string_view m) { log(LogLevel::error, m); }
inline void log_warning(std::string_view m) { log(LogLevel::warning, m); }
inline void log_notice(std::string_view m) { log(LogLevel::notice, m); }
inline void log_info(std::string_view m) { log(LogLevel::info, m); }
inline void log_debug(std::string_view m) { log(LogLevel::debug, m); }

}  // namespace btd::daemon
