#include "core/util/error.hpp"

namespace btd {
namespace {

class BtdCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "btd"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::ok: return "success";
      case Errc::bencode_syntax: return "malformed bencoding";
      case Errc::bencode_limit: return "bencoding exceeds a limit";
      case Errc::invalid_metainfo: return "invalid metainfo";
      case Errc::unsupported_metainfo: return "unsupported metainfo";
      case Errc::unsafe_path: return "unsafe file path";
      case Errc::invalid_magnet: return "invalid magnet URI";
      case Errc::invalid_argument: return "invalid argument";
      case Errc::io_error: return "I/O error";
      case Errc::protocol_error: return "protocol error";
      case Errc::limit_exceeded: return "limit exceeded";
      case Errc::data_corrupt: return "data on disk does not match its hash";
    }
    return "unknown btd error";
  }
};

}  // namespace

const std::error_category& btd_category() noexcept {
  static const BtdCategory category;
  return category;
}

}  // namespace btd
