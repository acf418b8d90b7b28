#include "core/tracker/http_response.hpp"

#include <string>

#include "core/bencode/decoder.hpp"
#include "core/tracker/compact_peers.hpp"

namespace btd::tracker {
namespace {

bencode::Limits reply_limits() {
  bencode::Limits limits;
  limits.max_depth = 32;
  limits.max_tokens = 200'000;
  // Trackers in the wild emit unsorted keys and trailing newlines; neither changes the meaning.
  limits.require_canonical_keys = false;
  limits.allow_trailing_data = true;
  return limits;
}

Error reply_error(Error inner) {
  return Error(inner.code, "tracker reply: " + inner.message);
}

Error protocol_error(std::string message) {
  return Error(Errc::protocol_error, "tracker reply: " + std::move(message));
}

std::string_view type_name(const bencode::Node& node) {
  switch (node.type()) {
    case bencode::Type::integer: return "an integer";
    case bencode::Type::string: return "a string";
    case bencode::Type::list: return "a list";
    case bencode::Type::dict: return "a dict";
  }
  return "a value";
}

std::optional<std::string> find_text(const bencode::Node& dict, std::string_view key) {
  auto value = dict.dict_find_string(key);
  if (!value) return std::nullopt;
  return std::string(*value);
}

std::optional<std::int64_t> find_count(const bencode::Node& dict, std::string_view key) {
  auto value = dict.dict_find_int(key);
  if (!value || *value < 0) return std::nullopt;
  return value;
}

// BEP 3's original form: a list of {"ip", "port", "peer id"} dicts. Entries we cannot connect to
// (host names, port 0, wrong types) are skipped rather than failing the whole reply.
void append_dict_peers(const bencode::Node& list, std::size_t max_peers,
                       std::vector<PeerEndpoint>& out) {
  for (bencode::Node item : list.items()) {
    if (out.size() >= max_peers) return;
    if (!item.is_dict()) continue;
    auto ip = item.dict_find_string("ip");
    auto port = item.dict_find_int("port");
    if (!ip || !port || *port <= 0 || *port > 65535) continue;
    auto normalized = normalize_ip_literal(*ip);
    if (!normalized) continue;
    out.push_back({std::move(*normalized), static_cast<std::uint16_t>(*port)});
  }
}

}  // namespace

Result<AnnounceResponse> parse_http_announce_response(std::string_view body,
                                                      const ResponseLimits& limits) {
  auto doc = bencode::decode(body, reply_limits());
  if (!doc) return reply_error(std::move(doc).error());
  const bencode::Node root = doc->root();
  if (!root.is_dict()) {
    return protocol_error(std::string("the body is ") + std::string(type_name(root)) +
                          ", expected a dict");
  }

  AnnounceResponse response;
  response.warning_message = find_text(root, "warning message");
  clamp_intervals(response, root.dict_find_int("interval"), root.dict_find_int("min interval"),
                  limits);
  if (auto failure = root.dict_find("failure reason")) {
    // Some trackers send a non-string here; the refusal still stands.
    response.failure_reason = failure.is_string() ? std::string(failure.string_value())
                                                  : std::string("(no reason given)");
    return response;
  }
  response.tracker_id = find_text(root, "tracker id");
  response.complete = find_count(root, "complete");
  response.incomplete = find_count(root, "incomplete");

  if (bencode::Node peers = root.dict_find("peers")) {
    if (peers.is_string()) {
      auto r = append_compact_peers(peers.string_value(), AddressFamily::ipv4, limits.max_peers,
                                    "tracker reply: peers", response.peers);
      if (!r) return r.error();
    } else if (peers.is_list()) {
      append_dict_peers(peers, limits.max_peers, response.peers);
    } else {
      return protocol_error("\"peers\" is " + std::string(type_name(peers)) +
                            ", expected a string or a list");
    }
  }
  if (bencode::Node peers6 = root.dict_find("peers6")) {
    if (!peers6.is_string()) {
      return protocol_error("\"peers6\" is " + std::string(type_name(peers6)) +
                            ", expected a string");
    }
    auto r = append_compact_peers(peers6.string_value(), AddressFamily::ipv6, limits.max_peers,
                                  "tracker reply: peers6", response.peers);
    if (!r) return r.error();
  }
  return response;
}

Result<ScrapeResponse> parse_http_scrape_response(std::string_view body, std::size_t max_files) {
  auto doc = bencode::decode(body, reply_limits());
  if (!doc) return reply_error(std::move(doc).error());
  const bencode::Node root = doc->root();
  if (!root.is_dict()) {
    return protocol_error(std::string("the scrape body is ") + std::string(type_name(root)) +
                          ", expected a dict");
  }
  ScrapeResponse response;
  if (bencode::Node failure = root.dict_find("failure reason")) {
    response.failure_reason = failure.is_string() ? std::string(failure.string_value())
                                                  : std::string("(no reason given)");
    return response;
  }
  bencode::Node files = root.dict_find("files");
  if (!files) return response;
  if (!files.is_dict()) {
    return protocol_error("\"files\" is " + std::string(type_name(files)) + ", expected a dict");
  }
  for (auto [key, stats] : files.entries()) {
    if (response.files.size() >= max_files) break;
    ScrapeEntry entry;
    if (!stats.is_dict() || !InfoHash::from_bytes(key, entry.info_hash)) continue;
    entry.complete = find_count(stats, "complete").value_or(0);
    entry.downloaded = find_count(stats, "downloaded").value_or(0);
    entry.incomplete = find_count(stats, "incomplete").value_or(0);
    response.files.push_back(entry);
  }
  return response;
}

}  // namespace btd::tracker
