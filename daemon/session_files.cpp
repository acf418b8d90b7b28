// File selection in the session: which files of a torrent are downloaded (torrent.set_files,
// torrent.add's files/skip_files, a magnet's so=), made into piece priorities for the engine
// and into the files the disk must not create; and the torrent.files / torrent.set_files RPC
// methods.
#include <algorithm>
#include <utility>

#include "core/magnet/select_only.hpp"
#include "daemon/file_selection.hpp"
#include "daemon/log.hpp"
#include "daemon/session.hpp"
#include "daemon/tracker/torrent_announcer.hpp"
#include "rpc/error_codes.hpp"
#include "rpc/params.hpp"

namespace btd::daemon {

std::vector<Priority> Session::piece_wanted(const TorrentEntry& t) const {
  if (t.file_priorities.size() != t.meta->files.size()) return {};  // no selection: every piece
  return piece_priorities(layout_of(*t.meta), t.file_priorities);
}

void Session::set_file_priorities(TorrentEntry& t, std::vector<FilePriority> priorities) {
  if (priorities.size() != t.meta->files.size()) return;
  t.file_priorities = std::move(priorities);
  if (t.disk) {
    const bool known = t.engine && !t.checking;
    t.disk->set_skipped_files(skipped_files(*t.meta, t.file_priorities),
                              known ? t.engine->have() : Bitfield(t.meta->piece_count));
  }
  if (t.engine && !t.checking) {
    const bool was_complete = t.engine->complete();
    t.engine->set_wanted(piece_wanted(t), now());
    // Wanted again after completing: trackers should hear from us soon, with the new "left".
    if (was_complete && !t.engine->complete()) {
      if (t.announcer) t.announcer->set_want_peers(true);
      // Peers a seed dropped ("both sides are seeds") wait out a back-off; told again, they are
      // dialled at once.
      const TimePoint n = now();
      if (!t.named_peers.empty()) t.engine->add_peer_candidates(t.named_peers, n, true);
      if (!t.tracker_peers.empty()) t.engine->add_peer_candidates(t.tracker_peers, n);
    }
    drain(t);
  }
  t.resume_dirty = true;
  save_resume(t);
}

void Session::apply_select_only(TorrentEntry& t) {
  if (!t.magnet || !t.magnet->select_only || !t.file_priorities.empty()) return;
  const std::string tag = t.id.substr(0, 8);
  auto so = parse_select_only(*t.magnet->select_only);
  if (!so) {
    log_warning(tag + ": " + so.error().message + "; every file is downloaded");
    return;
  }
  const std::size_t count = t.meta->files.size();
  SelectedFiles selected = select_only_files(*so, count);
  for (const FileIndexRange& r : selected.out_of_range)
    log_warning(tag + ": magnet so= names file " +
                (r.first == r.last ? std::to_string(r.first) : std::to_string(r.first) + "-" + std::to_string(r.last)) +
                ", but the torrent has " + std::to_string(count) + " files; ignored");
  if (selected.selected == 0) {
    log_warning(tag + ": magnet so=" + *t.magnet->select_only +
                " names none of the torrent's files; every file is downloaded");
    return;
  }
  log_notice(tag + ": magnet so=" + *t.magnet->select_only + ": downloading " + std::to_string(selected.selected) +
             " of " + std::to_string(count) + " files");
  set_file_priorities(t, std::move(selected.priorities));
}

void Session::apply_pending_selection(TorrentEntry& t) {
  const AddSelection selection = std::exchange(t.pending_selection, AddSelection{});
  if (selection.empty() || !t.file_priorities.empty()) return;
  const std::size_t count = t.meta->files.size();
  std::vector<std::uint64_t> ignored;
  const std::string tag = t.id.substr(0, 8);
  // The indexes add_torrent would have refused are dropped (and said) first: the add answered
  // long ago. The rest go through the same rules as a .torrent's selection.
  auto usable = [&](const std::vector<std::uint64_t>& indexes) {
    std::vector<std::uint64_t> out;
    for (std::uint64_t i : indexes) {
      if (i >= count) ignored.push_back(i);
      else if (t.meta->files[static_cast<std::size_t>(i)].pad)
        log_warning(tag + ": torrent.add named file " + std::to_string(i) +
                    ", a pad file (BEP 47) that holds no data; ignored");
      else out.push_back(i);
    }
    return out;
  };
  std::vector<FilePriority> priorities;
  if (selection.only) {
    priorities.assign(count, FilePriority::skip);
    (void)set_file_priority(*t.meta, usable(*selection.only), "files", FilePriority::normal, priorities);
  }
  (void)set_file_priority(*t.meta, usable(selection.skip), "skip_files", FilePriority::skip, priorities);
  if (!ignored.empty()) {
    std::string list;
    for (std::size_t i = 0; i < ignored.size() && i < 5; ++i) list += (i ? ", " : "") + std::to_string(ignored[i]);
    if (ignored.size() > 5) list += ", ...";
    log_warning(tag + ": torrent.add named file " + list + ", but the torrent has " + std::to_string(count) +
                " files (0-" + std::to_string(count - 1) + "); ignored");
  }
  const auto wanted = static_cast<std::size_t>(
      std::count_if(priorities.begin(), priorities.end(), [](FilePriority p) { return p != FilePriority::skip; }));
  log_notice(tag + ": the selection given at torrent.add: downloading " + std::to_string(wanted) + " of " +
             std::to_string(count) + " files");
  set_file_priorities(t, std::move(priorities));
}

namespace p = rpc::params;
using rpc::Json;
using rpc::RpcError;
using rpc::RpcResult;

struct FileMethods {
  static void add(Session& s, rpc::Dispatcher& d);
};

namespace {

#define BTD_TRY(var, expr)                        \
  auto var##_result = (expr);                     \
  if (!var##_result) return var##_result.error(); \
  auto var = std::move(var##_result.value())

// Bytes of file f that lie in verified pieces.
std::int64_t file_bytes_have(const Metainfo& m, const FileEntry& f, const Torrent* engine) {
  if (engine == nullptr || f.size == 0) return 0;
  std::int64_t have = 0;
  const std::int64_t first = f.offset / m.piece_length;
  const std::int64_t last = (f.offset + f.size - 1) / m.piece_length;
  for (std::int64_t i = first; i <= last; ++i) {
    const PieceIndex piece{static_cast<std::uint32_t>(i)};
    if (!engine->is_have(piece)) continue;
    const std::int64_t ps = i * m.piece_length;
    const std::int64_t pe = ps + m.piece_size(piece);
    have += std::min(pe, f.offset + f.size) - std::max(ps, f.offset);
  }
  return have;
}

}  // namespace

void FileMethods::add(Session& s, rpc::Dispatcher& d) {
  d.add_sync("torrent.files", [&s](const Json& params) -> RpcResult<Json> {
    if (auto bad = p::check_known(params, {"id"})) return *bad;
    BTD_TRY(id, p::require_string(params, "id"));
    BTD_TRY(t, s.resolve(id));
    Json files = Json::array();
    const Metainfo& m = *t->meta;
    const Torrent* engine = t->engine && !t->checking ? t->engine.get() : nullptr;
    for (std::size_t i = 0; i < m.files.size(); ++i) {
      const FileEntry& f = m.files[i];
      if (f.pad) continue;
      double progress = engine ? 1.0 : 0.0;
      if (f.size > 0) progress = static_cast<double>(file_bytes_have(m, f, engine)) / static_cast<double>(f.size);
      const FilePriority prio = i < t->file_priorities.size() ? t->file_priorities[i] : FilePriority::normal;
      // `index` is the file's index in the metainfo (pad files included, as BEP 53 counts):
      // what torrent.set_files and torrent.add's files/skip_files take.
      files.push_back({{"index", i}, {"path", f.path}, {"size", f.size}, {"progress", progress},
                       {"priority", file_priority_name(prio)}, {"wanted", prio != FilePriority::skip}});
    }
    return Json{{"files", files}};
  });

  // {id, files: [indexes] or "all", priority: "skip" | "normal" | "high"}.
  d.add_sync("torrent.set_files", [&s](const Json& params) -> RpcResult<Json> {
    if (auto bad = p::check_known(params, {"id", "files", "priority"})) return *bad;
    BTD_TRY(id, p::require_string(params, "id"));
    BTD_TRY(name, p::require_string(params, "priority"));
    const auto priority = parse_file_priority(name);
    if (!priority)
      return RpcError(rpc::code::invalid_params,
                      "invalid params: \"priority\" must be \"skip\", \"normal\" or \"high\", not \"" +
                          name.substr(0, 40) + "\"");
    if (!params.contains("files")) return p::missing("files");
    const bool all = params["files"].is_string();
    if (all && params["files"].get<std::string>() != "all")
      return RpcError(rpc::code::invalid_params, "invalid params: \"files\" must be an array of file indexes or \"all\"");
    BTD_TRY(indexes, all ? RpcResult<std::optional<std::vector<std::uint64_t>>>(std::vector<std::uint64_t>{})
                         : optional_file_indexes(params, "files"));
    if (!indexes) return p::missing("files");
    BTD_TRY(t, s.resolve(id));
    if (t->fetch)
      return RpcError(rpc::code::invalid_params,
                      "invalid params: torrent " + t->id + " is still fetching its metadata; its files are not "
                      "known yet (a magnet link's so= selects files in advance)");
    const Metainfo& m = *t->meta;
    if (all) {
      indexes->clear();
      for (std::uint64_t i = 0; i < m.files.size(); ++i)
        if (!m.files[i].pad) indexes->push_back(i);
    }
    std::vector<FilePriority> next = t->file_priorities;
    if (auto bad = set_file_priority(m, *indexes, "files", *priority, next)) return *bad;
    s.set_file_priorities(*t, std::move(next));
    std::size_t wanted = 0;
    for (std::size_t i = 0; i < m.files.size(); ++i)
      if (!m.files[i].pad && t->file_priorities[i] != FilePriority::skip) ++wanted;
    return Json{{"id", t->id}, {"changed", indexes->size()}, {"files_wanted", wanted}};
  });
}

void add_file_methods(Session& s, rpc::Dispatcher& d) { FileMethods::add(s, d); }

}  // namespace btd::daemon
