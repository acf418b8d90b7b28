#include "core/dht/krpc.hpp"

#include <algorithm>

#include "core/bencode/decoder.hpp"
#include "core/bencode/value.hpp"

namespace btd::dht {

namespace {

Error bad(const std::string& what) { return Error(Errc::protocol_error, "KRPC: " + what); }

Method method_from(std::string_view q) noexcept {
  if (q == "ping") return Method::ping;
  if (q == "find_node") return Method::find_node;
  if (q == "get_peers") return Method::get_peers;
  if (q == "announce_peer") return Method::announce_peer;
  return Method::unknown;
}

Result<NodeId> read_id(const bencode::Node& dict, std::string_view key, std::string_view where) {
  auto s = dict.dict_find_string(key);
  if (!s) return bad(std::string(where) + " has no \"" + std::string(key) + "\" string");
  auto id = NodeId::from_bytes(*s);
  if (!id) return bad(std::string(where) + " \"" + std::string(key) + "\" is " + std::to_string(s->size()) +
                      " bytes, not 20");
  return *id;
}

Result<void> read_nodes(const bencode::Node& r, KrpcMessage& m) {
  auto nodes = r.dict_find_string("nodes");
  if (!nodes) return {};
  if (nodes->size() % kCompactNodeSize != 0)
    return bad("\"nodes\" is " + std::to_string(nodes->size()) + " bytes, not a multiple of 26");
  for (std::size_t at = 0; at < nodes->size() && m.nodes.size() < kMaxNodesPerMessage; at += kCompactNodeSize) {
    NodeInfo n;
    n.id = *NodeId::from_bytes(nodes->substr(at, 20));
    n.address = *parse_compact_peer(nodes->substr(at + 20, kCompactPeerSize));
    if (n.address.port == 0) continue;  // nobody can be reached there
    m.nodes.push_back(n);
  }
  return {};
}

void read_values(const bencode::Node& r, KrpcMessage& m) {
  const bencode::Node values = r.dict_find_list("values");
  if (!values) return;
  for (bencode::Node v : values.items()) {
    if (m.values.size() >= kMaxValuesPerMessage) break;
    // 18-byte (IPv6, BEP 32) or malformed entries are skipped, not fatal.
    if (!v.is_string()) continue;
    auto a = parse_compact_peer(v.string_value());
    if (a && a->port != 0) m.values.push_back(*a);
  }
}

Result<void> read_query(const bencode::Node& root, KrpcMessage& m) {
  auto q = root.dict_find_string("q");
  if (!q) return bad("query has no \"q\" string");
  m.method = method_from(*q);
  m.method_text = std::string(q->substr(0, 32));
  const bencode::Node a = root.dict_find_dict("a");
  if (!a) return bad("query has no \"a\" dictionary");
  auto id = read_id(a, "id", "query arguments");
  if (!id) return id.error();
  m.id = *id;
  m.read_only = a.dict_find_int("ro").value_or(0) == 1 || root.dict_find_int("ro").value_or(0) == 1;
  switch (m.method) {
    case Method::find_node: {
      auto t = read_id(a, "target", "find_node");
      if (!t) return t.error();
      m.target = *t;
      break;
    }
    case Method::get_peers:
    case Method::announce_peer: {
      auto h = read_id(a, "info_hash", method_name(m.method));
      if (!h) return h.error();
      m.info_hash.bytes = h->bytes;
      if (m.method == Method::get_peers) break;
      m.implied_port = a.dict_find_int("implied_port").value_or(0) != 0;
      auto port = a.dict_find_int("port");
      if (!m.implied_port && (!port || *port < 1 || *port > 65535))
        return bad("announce_peer \"port\" must be an integer from 1 to 65535");
      if (port && *port >= 1 && *port <= 65535) m.port = static_cast<std::uint16_t>(*port);
      auto token = a.dict_find_string("token");
      if (!token) return bad("announce_peer has no \"token\" string");
      if (token->size() > kMaxTokenSize) return bad("announce_peer token is longer than 64 bytes");
      m.token = std::string(*token);
      break;
    }
    case Method::ping:
    case Method::unknown:
      break;
  }
  return {};
}

Result<void> read_response(const bencode::Node& root, KrpcMessage& m) {
  const bencode::Node r = root.dict_find_dict("r");
  if (!r) return bad("response has no \"r\" dictionary");
  auto id = read_id(r, "id", "response");
  if (!id) return id.error();
  m.id = *id;
  m.read_only = root.dict_find_int("ro").value_or(0) == 1;
  if (auto token = r.dict_find_string("token")) {
    if (token->size() > kMaxTokenSize) return bad("response token is longer than 64 bytes");
    m.token = std::string(*token);
    m.has_token = true;
  }
  if (auto nodes = read_nodes(r, m); !nodes) return nodes;
  read_values(r, m);
  return {};
}

Result<void> read_error(const bencode::Node& root, KrpcMessage& m) {
  const bencode::Node e = root.dict_find_list("e");
  if (!e || e.size() < 2 || !e.list_at(0).is_int() || !e.list_at(1).is_string())
    return bad("error has no [code, message] list");
  const std::int64_t code = e.list_at(0).int_value();
  m.error_code = code < 0 || code > 999 ? 0 : static_cast<int>(code);
  m.error_message = std::string(e.list_at(1).string_value().substr(0, kMaxErrorMessage));
  return {};
}

}  // namespace

std::string_view method_name(Method m) noexcept {
  switch (m) {
    case Method::ping: return "ping";
    case Method::find_node: return "find_node";
    case Method::get_peers: return "get_peers";
    case Method::announce_peer: return "announce_peer";
    case Method::unknown: break;
  }
  return "unknown";
}

Result<KrpcMessage> parse_krpc(std::string_view packet) {
  if (packet.size() > kMaxPacketSize)
    return bad("packet of " + std::to_string(packet.size()) + " bytes is over the 4096-byte limit");
  bencode::Limits limits;
  limits.max_depth = 4;      // dict > dict > list > string is the deepest KRPC goes
  limits.max_tokens = 1024;  // far above a full get_peers reply, far below the packet limit's worst
  limits.require_canonical_keys = false;  // some implementations do not sort keys
  auto doc = bencode::decode(packet, limits);
  if (!doc) return bad(doc.error().message);
  const bencode::Node root = doc->root();
  if (!root.is_dict()) return bad("message is not a dictionary");
  auto t = root.dict_find_string("t");
  if (!t) return bad("message has no \"t\" transaction id");
  if (t->size() > kMaxTransactionSize) return bad("transaction id is longer than 16 bytes");
  auto y = root.dict_find_string("y");
  if (!y || y->size() != 1) return bad("message has no \"y\" of q, r or e");
  KrpcMessage m;
  m.transaction = std::string(*t);
  if (auto ip = root.dict_find_string("ip")) m.your_ip = parse_compact_peer(*ip);
  Result<void> body;
  switch ((*y)[0]) {
    case 'q': m.type = KrpcType::query; body = read_query(root, m); break;
    case 'r': m.type = KrpcType::response; body = read_response(root, m); break;
    case 'e': m.type = KrpcType::error; body = read_error(root, m); break;
    default: return bad("message has no \"y\" of q, r or e");
  }
  if (!body) return body.error();
  return m;
}

std::string encode_krpc(const KrpcMessage& m) {
  using bencode::Dict;
  Dict root;
  root.emplace("t", m.transaction);
  if (m.your_ip) {
    std::string ip;
    append_compact(ip, *m.your_ip);
    root.emplace("ip", std::move(ip));
  }
  switch (m.type) {
    case KrpcType::query: {
      root.emplace("y", "q");
      root.emplace("q", std::string(method_name(m.method)));
      Dict a;
      a.emplace("id", std::string(m.id.view()));
      if (m.read_only) root.emplace("ro", 1);
      if (m.method == Method::find_node) a.emplace("target", std::string(m.target.view()));
      if (m.method == Method::get_peers || m.method == Method::announce_peer)
        a.emplace("info_hash", std::string(m.info_hash.view()));
      if (m.method == Method::announce_peer) {
        a.emplace("implied_port", m.implied_port ? 1 : 0);
        a.emplace("port", static_cast<int>(m.port));
        a.emplace("token", m.token);
      }
      root.emplace("a", std::move(a));
      break;
    }
    case KrpcType::response: {
      root.emplace("y", "r");
      Dict r;
      r.emplace("id", std::string(m.id.view()));
      if (!m.nodes.empty()) {
        std::string nodes;
        for (const NodeInfo& n : m.nodes) append_compact(nodes, n);
        r.emplace("nodes", std::move(nodes));
      }
      if (m.has_token) r.emplace("token", m.token);
      if (!m.values.empty()) {
        bencode::List values;
        for (const NodeAddress& v : m.values) {
          std::string one;
          append_compact(one, v);
          values.emplace_back(std::move(one));
        }
        r.emplace("values", std::move(values));
      }
      root.emplace("r", std::move(r));
      break;
    }
    case KrpcType::error: {
      root.emplace("y", "e");
      bencode::List e;
      e.emplace_back(m.error_code);
      e.emplace_back(m.error_message);
      root.emplace("e", std::move(e));
      break;
    }
  }
  return bencode::encode(bencode::Value(std::move(root)));
}

KrpcMessage make_query(Method method, std::string transaction, const NodeId& our_id) {
  KrpcMessage m;
  m.type = KrpcType::query;
  m.method = method;
  m.transaction = std::move(transaction);
  m.id = our_id;
  return m;
}

KrpcMessage make_response(const std::string& transaction, const NodeId& our_id) {
  KrpcMessage m;
  m.type = KrpcType::response;
  m.transaction = transaction;
  m.id = our_id;
  return m;
}

KrpcMessage make_error(const std::string& transaction, int code, std::string message) {
  KrpcMessage m;
  m.type = KrpcType::error;
  m.transaction = transaction;
  m.error_code = code;
  m.error_message = std::move(message);
  return m;
}

}  // namespace btd::dht
