// The torrent.* and events.* RPC methods of shared/RPC.md: parameter checking here, the work in
// Session.
#include <chrono>
#include <filesystem>

#include "core/mse/mse_keys.hpp"
#include "core/util/base64.hpp"
#include "daemon/file_selection.hpp"
#include "daemon/net/peer_network.hpp"
#include "daemon/piece_request.hpp"
#include "daemon/session.hpp"
#include "daemon/tracker/torrent_announcer.hpp"
#include "rpc/error_codes.hpp"
#include "rpc/params.hpp"

namespace btd::daemon {

namespace p = rpc::params;
using rpc::Json;
using rpc::RpcError;
using rpc::RpcResult;

struct SessionMethods {
  static void add(Session& s, rpc::Dispatcher& d);
};

namespace {

// The letters qBittorrent and uTorrent show: E the whole stream is RC4, e only the handshake was
// encrypted (MSE, plaintext after it); none for a plaintext handshake.
std::string encryption_flag(std::uint32_t mse_crypto) {
  if (mse_crypto == mse::kCryptoRc4) return "E";
  if (mse_crypto == mse::kCryptoPlaintext) return "e";
  return "";
}

constexpr std::uint64_t kMaxTimeoutMs = 24ull * 3600 * 1000;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

#define BTD_TRY(var, expr)                     \
  auto var##_result = (expr);                  \
  if (!var##_result) return var##_result.error(); \
  auto var = std::move(var##_result.value())

}  // namespace

void SessionMethods::add(Session& s, rpc::Dispatcher& d) {
  // Answered once the torrent is durable in the state dir (Session::add_new_torrent).
  d.add("torrent.add", [&s](const Json& params, rpc::Responder respond) {
    auto run = [&]() -> std::optional<RpcError> {
      if (auto bad = p::check_known(params, {"metainfo", "magnet", "path", "download_dir", "paused", "peers",
                                             "files", "skip_files"}))
        return *bad;
      BTD_TRY(metainfo, p::optional_string(params, "metainfo"));
      BTD_TRY(magnet, p::optional_string(params, "magnet"));
      BTD_TRY(path, p::optional_string(params, "path"));
      BTD_TRY(dir, p::optional_string(params, "download_dir"));
      BTD_TRY(paused, p::optional_bool(params, "paused", false));
      BTD_TRY(peers, p::optional_string_array(params, "peers"));
      AddSelection selection;
      BTD_TRY(only, optional_file_indexes(params, "files"));
      BTD_TRY(skip, optional_file_indexes(params, "skip_files"));
      selection.only = std::move(only);
      if (skip) selection.skip = std::move(*skip);
      const int sources = int{metainfo.has_value()} + int{magnet.has_value()} + int{path.has_value()};
      if (sources != 1)
        return RpcError(rpc::code::invalid_params, "invalid params: give exactly one of \"metainfo\", \"magnet\", \"path\"");
      if (dir && !dir->empty() && (*dir)[0] != '/')
        return RpcError(rpc::code::invalid_params, "invalid params: \"download_dir\" must be an absolute path");
      if (magnet) {
        // Answered at once (state fetching_metadata) once the link is durable in the state dir.
        s.add_new_magnet(*magnet, dir.value_or(""), paused, peers.value_or(std::vector<std::string>{}), unix_now(),
                         respond, selection);
        return std::nullopt;
      }
      std::string bytes;
      if (metainfo) {
        auto decoded = from_base64(*metainfo);
        if (!decoded) return RpcError(rpc::code::invalid_params, "invalid params: \"metainfo\" is not valid base64");
        bytes = std::move(*decoded);
      } else {
        std::error_code ec;
        const auto size = std::filesystem::file_size(*path, ec);
        if (ec) return RpcError(rpc::code::io_error, "cannot read " + *path + ": " + ec.message());
        if (size > kMaxTorrentFileBytes)
          return RpcError(rpc::code::invalid_metainfo, *path + " is larger than the 64 MiB limit for .torrent files");
        FILE* f = std::fopen(path->c_str(), "rb");
        if (f == nullptr) return RpcError(rpc::code::io_error, "cannot open " + *path);
        bytes.resize(size);
        const std::size_t got = std::fread(bytes.data(), 1, size, f);
        std::fclose(f);
        bytes.resize(got);
      }
      s.add_new_torrent(std::move(bytes), dir.value_or(""), paused, peers.value_or(std::vector<std::string>{}),
                        unix_now(), respond, selection);
      return std::nullopt;
    };
    if (auto error = run()) respond.error(std::move(*error));
  });

  d.add_sync("torrent.status", [&s](const Json& params) -> RpcResult<Json> {
    if (auto bad = p::check_known(params, {"id"})) return *bad;
    BTD_TRY(ids, p::optional_string_or_array(params, "id"));
    Json list = Json::array();
    const auto n = s.now();
    if (ids) {
      for (const std::string& id : *ids) {
        BTD_TRY(t, s.resolve(id));
        list.push_back(s.status_json(*t, n));
      }
    } else {
      for (auto& [id, t] : s.torrents_) list.push_back(s.status_json(*t, n));
    }
    return Json{{"torrents", list}};
  });

  d.add("torrent.get_piece", [&s](const Json& params, rpc::Responder respond) {
    auto run = [&]() -> std::optional<RpcError> {
      if (auto bad = p::check_known(params, {"id", "index", "timeout_ms", "offset", "length"})) return *bad;
      BTD_TRY(id, p::require_string(params, "id"));
      BTD_TRY(index, p::require_uint(params, "index", 0xffffffffull));
      BTD_TRY(timeout, p::optional_uint(params, "timeout_ms", kMaxTimeoutMs));
      BTD_TRY(offset, p::optional_uint(params, "offset", 0xffffffffull));
      BTD_TRY(length, p::optional_uint(params, "length", 0xffffffffull));
      BTD_TRY(t, s.resolve(id));
      const PieceRequest request{index, offset, length};
      auto w = std::make_shared<PieceWaiter>();
      w->respond = respond;
      if (t->fetch) {
        // A magnet still fetching its metadata: checked (and fetched) once the metadata is in.
        w->unresolved = request;
      } else {
        BTD_TRY(span, resolve_piece_request(*t->meta, request));
        w->piece = span.piece;
        w->offset = span.offset;
        w->length = span.length;
      }
      s.wait_for_piece(*t, w, timeout.value_or(60000));
      return std::nullopt;
    };
    if (auto err = run()) respond.error(std::move(*err));
  });

  d.add("torrent.remove", [&s](const Json& params, rpc::Responder respond) {
    auto run = [&]() -> std::optional<RpcError> {
      if (auto bad = p::check_known(params, {"id", "delete_data"})) return *bad;
      BTD_TRY(id, p::require_string(params, "id"));
      BTD_TRY(delete_data, p::optional_bool(params, "delete_data", false));
      BTD_TRY(t, s.resolve(id));
      s.remove_torrent(t->id, delete_data, respond);
      return std::nullopt;
    };
    if (auto err = run()) respond.error(std::move(*err));
  });

  for (const char* method : {"torrent.pause", "torrent.resume"}) {
    const bool pause = std::string(method) == "torrent.pause";
    d.add_sync(method, [&s, pause](const Json& params) -> RpcResult<Json> {
      if (auto bad = p::check_known(params, {"id"})) return *bad;
      BTD_TRY(id, p::require_string(params, "id"));
      BTD_TRY(t, s.resolve(id));
      s.set_paused(*t, pause);
      return Json{{"id", t->id}, {"state", s.status_json(*t, s.now())["state"]}};
    });
  }

  d.add_sync("torrent.verify", [&s](const Json& params) -> RpcResult<Json> {
    if (auto bad = p::check_known(params, {"id"})) return *bad;
    BTD_TRY(id, p::require_string(params, "id"));
    BTD_TRY(t, s.resolve(id));
    s.verify(*t);
    return Json{{"id", t->id}};
  });

  d.add_sync("torrent.add_peers", [&s](const Json& params) -> RpcResult<Json> {
    if (auto bad = p::check_known(params, {"id", "peers"})) return *bad;
    BTD_TRY(id, p::require_string(params, "id"));
    BTD_TRY(peers, p::require_string_array(params, "peers"));
    BTD_TRY(t, s.resolve(id));
    std::vector<tracker::PeerEndpoint> endpoints;
    for (const std::string& peer : peers) {
      auto ep = tracker::parse_endpoint(peer);
      if (!ep) return RpcError(rpc::code::invalid_params, "invalid params: peer \"" + peer + "\" is not host:port");
      endpoints.push_back(*ep);
    }
    s.add_peers(*t, endpoints, PeerSource::user);
    return Json{{"id", t->id}, {"added", endpoints.size()}};
  });

  d.add_sync("torrent.peers", [&s](const Json& params) -> RpcResult<Json> {
    if (auto bad = p::check_known(params, {"id"})) return *bad;
    BTD_TRY(id, p::require_string(params, "id"));
    BTD_TRY(t, s.resolve(id));
    Json peers = Json::array();
    if (t->fetch)  // fetching metadata: nothing is transferred but the info dict
      for (const MetadataFetchPeerInfo& info : t->fetch->peers())
        peers.push_back({{"address", info.address}, {"client", info.client}, {"progress", 0.0},
                         {"download_rate", 0}, {"upload_rate", 0}, {"flags", ""}});
    if (t->engine)
      for (const PeerInfo& info : t->engine->peers(s.now()))
        peers.push_back({{"address", info.address}, {"client", info.client}, {"progress", info.progress},
                         {"download_rate", static_cast<std::int64_t>(info.download_rate)},
                         {"upload_rate", static_cast<std::int64_t>(info.upload_rate)},
                         {"flags", info.flags + encryption_flag(s.network_->mse_crypto(info.key.get()))}});
    return Json{{"peers", peers}};
  });

  // Which pieces are verified, as the BEP 3 bitfield (first piece in the high bit), base64:
  // what a script needs to see exactly what the daemon claims to have.
  d.add_sync("torrent.pieces", [&s](const Json& params) -> RpcResult<Json> {
    if (auto bad = p::check_known(params, {"id"})) return *bad;
    BTD_TRY(id, p::require_string(params, "id"));
    BTD_TRY(t, s.resolve(id));
    const bool known = t->engine && !t->checking;
    const Bitfield have = known ? t->engine->have() : Bitfield(t->meta->piece_count);
    return Json{{"id", t->id},
                {"pieces", t->meta->piece_count},
                {"pieces_have", have.count()},
                {"checking", !known},
                {"have", to_base64(have.bytes())}};
  });

  d.add("events.subscribe", [&s](const Json& params, rpc::Responder respond) {
    auto run = [&]() -> std::optional<RpcError> {
      if (auto bad = p::check_known(params, {"events"})) return *bad;
      BTD_TRY(names, p::optional_string_array(params, "events"));
      std::set<std::string> events;
      if (names) {
        for (const std::string& n : *names) {
          if (!EventHub::is_known(n))
            return RpcError(rpc::code::invalid_params, "invalid params: unknown event \"" + n + "\"");
          events.insert(n);
        }
      } else {
        events = EventHub::default_events();
      }
      s.events_.subscribe(respond.context().connection, events);
      respond.result({{"subscribed", Json(std::vector<std::string>(events.begin(), events.end()))}});
      return std::nullopt;
    };
    if (auto err = run()) respond.error(std::move(*err));
  });
}

void Session::add_methods(rpc::Dispatcher& dispatcher) {
  SessionMethods::add(*this, dispatcher);
  add_file_methods(*this, dispatcher);
}

}  // namespace btd::daemon
