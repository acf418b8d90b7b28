#pragma once
// Run-time settings: the session.get / session.set / torrent.set RPC methods and what a config
// reload (SIGHUP) may change without a restart.
#include <string>
#include <vector>

#include "daemon/daemon_options.hpp"
#include "daemon/torrent_limits.hpp"
#include "rpc/dispatcher.hpp"

namespace btd::daemon {

class Session;

// The result of session.get and session.set.
rpc::Json settings_json(const SessionSettings& settings);
// The result of torrent.set.
rpc::Json torrent_limits_json(const std::string& id, const TorrentLimits& limits);

// Config keys that changed between two loads but only take effect at the next start.
std::vector<std::string> restart_needed(const DaemonOptions& before, const DaemonOptions& after);
// A reload changes only what changed in the file: settings changed over RPC since are kept
// unless the file changed the same key.
SessionSettings changed_settings(const SessionSettings& current, const SessionSettings& before,
                                 const SessionSettings& after);

void add_settings_methods(Session& session, rpc::Dispatcher& dispatcher);

}  // namespace btd::daemon
