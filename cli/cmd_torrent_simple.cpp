// btctl remove / pause / resume / verify / peers / files: one method, one ID each (files may
// first change the file selection with torrent.set_files).
#include <algorithm>
#include <iostream>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/daemon_call.hpp"
#include "cli/file_list.hpp"
#include "cli/status_table.hpp"

namespace btd::cli {
namespace {

// Parses `COMMAND ID` plus the given options; nullopt (after printing usage) when malformed.
std::optional<Args> parse_id_command(const std::string& command, const std::vector<std::string>& words,
                                     const std::vector<OptionSpec>& specs,
                                     const std::string& extra_usage = "") {
  Args args(words, specs);
  std::string why;
  if (!args.ok()) why = args.error();
  else if (args.positional().size() != 1) why = command + " needs exactly one torrent ID";
  if (why.empty()) return args;
  std::cerr << "btctl: " << why << "\nusage: btctl " << command << " ID" << extra_usage << "\n";
  return std::nullopt;
}

std::string string_field(const nlohmann::json& r, const char* key, const std::string& fallback) {
  auto it = r.is_object() ? r.find(key) : r.end();
  if (!r.is_object() || it == r.end() || !it->is_string()) return fallback;
  return sanitize_for_terminal(it->get<std::string>());
}

// The common shape: call `method` with {id}, print the result as JSON or as `say(result)`.
template <class Say>
int call_and_print(const GlobalOptions& global, const std::string& method,
                   const nlohmann::json& params, Say say) {
  CallOutcome out = call_daemon(global, method, params);
  if (out.exit_code != kExitOk) return out.exit_code;
  if (global.json) std::cout << out.result.dump(2) << "\n";
  else std::cout << say(out.result);
  return kExitOk;
}

}  // namespace

int run_remove(const GlobalOptions& global, const std::vector<std::string>& words) {
  auto args = parse_id_command("remove", words, {{"delete-data", false, false, 0}}, " [--delete-data]");
  if (!args) return kExitUsage;
  const std::string id = args->positional()[0];
  const bool delete_data = args->flag("delete-data");
  return call_and_print(global, "torrent.remove", {{"id", id}, {"delete_data", delete_data}},
                        [&](const nlohmann::json& r) {
                          return "removed " + string_field(r, "id", id) +
                                 (delete_data ? " and deleted its data\n" : "\n");
                        });
}

int run_pause(const GlobalOptions& global, const std::vector<std::string>& words) {
  auto args = parse_id_command("pause", words, {});
  if (!args) return kExitUsage;
  const std::string id = args->positional()[0];
  return call_and_print(global, "torrent.pause", {{"id", id}}, [&](const nlohmann::json& r) {
    return "paused " + string_field(r, "id", id) + " (" + string_field(r, "state", "?") + ")\n";
  });
}

int run_resume(const GlobalOptions& global, const std::vector<std::string>& words) {
  auto args = parse_id_command("resume", words, {});
  if (!args) return kExitUsage;
  const std::string id = args->positional()[0];
  return call_and_print(global, "torrent.resume", {{"id", id}}, [&](const nlohmann::json& r) {
    return "resumed " + string_field(r, "id", id) + " (" + string_field(r, "state", "?") + ")\n";
  });
}

int run_verify(const GlobalOptions& global, const std::vector<std::string>& words) {
  auto args = parse_id_command("verify", words, {});
  if (!args) return kExitUsage;
  const std::string id = args->positional()[0];
  return call_and_print(global, "torrent.verify", {{"id", id}}, [&](const nlohmann::json& r) {
    return "verifying " + string_field(r, "id", id) +
           "; `btctl status` shows the progress\n";
  });
}

int run_peers(const GlobalOptions& global, const std::vector<std::string>& words) {
  auto args = parse_id_command("peers", words, {});
  if (!args) return kExitUsage;
  return call_and_print(global, "torrent.peers", {{"id", args->positional()[0]}},
                        [](const nlohmann::json& r) { return render_peers_table(r, terminal_width()); });
}

int run_files(const GlobalOptions& global, const std::vector<std::string>& words) {
  constexpr const char* kFilesUsage = " [--skip LIST] [--want LIST|all] [--high LIST] [--normal LIST|all]";
  auto args = parse_id_command("files", words,
                               {{"skip", true, true, 0}, {"want", true, true, 0}, {"normal", true, true, 0},
                                {"high", true, true, 0}},
                               kFilesUsage);
  if (!args) return kExitUsage;
  const std::string id = args->positional()[0];
  // Every list is checked before anything is sent; "all" lists go first, so `--want all
  // --skip 3` means every file but 3. --want is --normal by the name transmission uses.
  std::vector<std::pair<nlohmann::json, const char*>> changes;
  for (const auto& [option, priority] : {std::pair{"want", "normal"}, std::pair{"normal", "normal"},
                                         std::pair{"high", "high"}, std::pair{"skip", "skip"}}) {
    for (const std::string& text : args->values(option)) {
      std::string why;
      auto list = parse_file_list(text, std::string(option) != "skip", why);
      if (!list) {
        std::cerr << "btctl: --" << option << " " << text << ": " << why << "\nusage: btctl files ID" << kFilesUsage
                  << "\n";
        return kExitUsage;
      }
      changes.emplace_back(std::move(*list), priority);
    }
  }
  std::stable_partition(changes.begin(), changes.end(), [](const auto& c) { return c.first.is_string(); });
  for (const auto& [files, priority] : changes) {
    CallOutcome out = call_daemon(global, "torrent.set_files", {{"id", id}, {"files", files}, {"priority", priority}});
    if (out.exit_code != kExitOk) return out.exit_code;
  }
  return call_and_print(global, "torrent.files", {{"id", id}},
                        [](const nlohmann::json& r) { return render_files_table(r, terminal_width()); });
}

}  // namespace btd::cli
