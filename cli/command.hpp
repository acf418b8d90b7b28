#pragma once
// What every btctl subcommand receives, and the exit codes of shared/RPC.md.
#include <string>
#include <vector>

namespace btd::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,        // the daemon (or the operation) failed; message on stderr
  kExitUsage = 2,
  kExitUnreachable = 3,  // cannot reach the daemon
};

struct GlobalOptions {
  std::string socket;  // empty: resolve as RPC.md says
  bool json = false;
};

int run_info(const GlobalOptions& global, const std::vector<std::string>& args);
int run_create(const GlobalOptions& global, const std::vector<std::string>& args);
int run_stats(const GlobalOptions& global, const std::vector<std::string>& args);
int run_add(const GlobalOptions& global, const std::vector<std::string>& args);
int run_status(const GlobalOptions& global, const std::vector<std::string>& args);
int run_get_piece(const GlobalOptions& global, const std::vector<std::string>& args);
int run_remove(const GlobalOptions& global, const std::vector<std::string>& args);
int run_pause(const GlobalOptions& global, const std::vector<std::string>& args);
int run_resume(const GlobalOptions& global, const std::vector<std::string>& args);
int run_verify(const GlobalOptions& global, const std::vector<std::string>& args);
int run_peers(const GlobalOptions& global, const std::vector<std::string>& args);
int run_files(const GlobalOptions& global, const std::vector<std::string>& args);
int run_set(const GlobalOptions& global, const std::vector<std::string>& args);
int run_settings(const GlobalOptions& global, const std::vector<std::string>& args);

}  // namespace btd::cli
