// libFuzzer target: DHT datagrams (core/dht): the KRPC parser, and a DhtNode fed the packet from
// a loopback and a public address. Checked: whatever parses re-encodes to a message that parses
// to the same fields (lists within their limits); the node answers with at most one datagram per
// packet to the sender (plus a ping back), each parsing and under the packet limit; its
// routing table never holds a node that was not asked.
#include <cstddef>
#include <cstdint>

#include "core/dht/dht_node.hpp"
#include "core/dht/krpc.hpp"
#include "fuzz/fuzz_check.hpp"

namespace {

using btd::dht::KrpcMessage;

bool same(const KrpcMessage& a, const KrpcMessage& b) {
  return a.type == b.type && a.transaction == b.transaction && a.id == b.id && a.method == b.method &&
         a.target == b.target && a.info_hash == b.info_hash && a.port == b.port &&
         a.implied_port == b.implied_port && a.token == b.token && a.nodes == b.nodes && a.values == b.values &&
         a.has_token == b.has_token && a.error_code == b.error_code && a.error_message == b.error_message;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace dht = btd::dht;
  const std::string_view packet = btd::fuzz::as_view(data, size);
  auto parsed = dht::parse_krpc(packet);
  if (parsed) {
    const KrpcMessage& m = *parsed;
    FUZZ_CHECK(m.transaction.size() <= dht::kMaxTransactionSize);
    FUZZ_CHECK(m.token.size() <= dht::kMaxTokenSize);
    FUZZ_CHECK(m.nodes.size() <= dht::kMaxNodesPerMessage);
    FUZZ_CHECK(m.values.size() <= dht::kMaxValuesPerMessage);
    FUZZ_CHECK(m.error_message.size() <= dht::kMaxErrorMessage);
    if (m.type != dht::KrpcType::query || m.method != dht::Method::unknown) {
      auto again = dht::parse_krpc(dht::encode_krpc(m));
      FUZZ_CHECK(again.ok());
      FUZZ_CHECK(same(m, *again));
    }
  }

  const auto now = btd::dht::DhtNode::TimePoint{} + std::chrono::hours(1);
  for (const dht::NodeAddress from : {dht::NodeAddress{{127, 0, 0, 1}, 6881}, dht::NodeAddress{{8, 8, 4, 4}, 53}}) {
    dht::DhtNode node(dht::NodeId{}, dht::DhtConfig{}, 1, now);
    node.on_packet(packet, from, now);
    std::size_t to_sender = 0;
    for (const dht::Datagram& d : node.take_outgoing()) {
      FUZZ_CHECK(d.bytes.size() <= dht::kMaxPacketSize);
      FUZZ_CHECK(dht::parse_krpc(d.bytes).ok());
      FUZZ_CHECK(d.to == from);
      ++to_sender;
    }
    FUZZ_CHECK(to_sender <= 2);
    FUZZ_CHECK(node.table().size() == 0);
    FUZZ_CHECK(node.take_events().empty());
  }
  return 0;
}
