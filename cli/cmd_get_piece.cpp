// btctl get-piece ID INDEX [-o FILE] [--timeout-ms N]: one verified piece from the daemon
// (torrent.get_piece), hash-checked again here before a byte is written.
#include "cli/cmd_get_piece.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <iostream>
#include <optional>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/daemon_call.hpp"
#include "cli/file_io.hpp"
#include "core/util/base64.hpp"
#include "core/util/hex.hpp"

namespace btd::cli {
namespace {

constexpr std::int64_t kDefaultTimeoutMs = 60000;
// A day: longer waits are better done with a loop in a script; also keeps the sum below
// from overflowing.
constexpr std::int64_t kMaxTimeoutMs = 86400000;
// Time on top of the daemon's own timeout for connecting and carrying ~22 MiB of base64, so
// the daemon's "timeout" answer (error 4) arrives before btctl gives up on its own.
constexpr std::int64_t kClientMarginMs = 15000;

std::optional<std::uint64_t> parse_unsigned(const std::string& text, std::uint64_t max) {
  std::uint64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || v > max) return std::nullopt;
  return v;
}

Result<void> write_stdout(std::string_view data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(STDOUT_FILENO, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error(Errc::io_error, std::string("cannot write to stdout: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
  return {};
}

int usage(const std::string& why) {
  std::cerr << "btctl: " << why
            << "\nusage: btctl get-piece ID INDEX [-o FILE] [--timeout-ms N]\n";
  return kExitUsage;
}

}  // namespace

bool check_piece_bytes(std::string_view data, std::string_view sha1_hex) {
  const auto expected = from_hex(sha1_hex);
  if (!expected || expected->size() != Sha1Digest::kSize) return false;
  return sha1(data).view() == *expected;
}

Result<std::string> verified_piece_bytes(const nlohmann::json& result, std::uint64_t index) {
  auto bad = [](const std::string& what) {
    return Error(Errc::protocol_error, "the daemon's answer " + what);
  };
  if (!result.is_object()) return bad("is not an object");
  auto field = [&](const char* key) -> const nlohmann::json* {
    auto it = result.find(key);
    return it == result.end() ? nullptr : &*it;
  };
  auto u64 = [&](const char* key) -> std::optional<std::uint64_t> {
    const auto* v = field(key);
    if (v == nullptr || !v->is_number_integer()) return std::nullopt;
    if (v->is_number_unsigned()) return v->get<std::uint64_t>();
    const auto i = v->get<std::int64_t>();
    if (i < 0) return std::nullopt;
    return static_cast<std::uint64_t>(i);
  };
  const auto idx = u64("index");
  const auto offset = u64("offset");
  const auto length = u64("length");
  const auto* hash = field("sha1");
  const auto* data = field("data");
  if (!idx || *idx != index) return bad("is for another piece than " + std::to_string(index));
  if (!offset || !length) return bad("lacks a numeric offset or length");
  if (*offset != 0)
    return bad("starts at offset " + std::to_string(*offset) +
               ", not the whole piece, so its hash cannot be checked");
  if (hash == nullptr || !hash->is_string() || data == nullptr || !data->is_string())
    return bad("lacks the sha1 or data string");
  const auto& sha1_hex = hash->get_ref<const std::string&>();
  const auto expected = from_hex(sha1_hex);
  if (!expected || expected->size() != Sha1Digest::kSize)
    return bad("has a sha1 that is not 40 hex digits");
  const auto& text = data->get_ref<const std::string&>();
  // Compared before decoding, so a bogus answer costs no allocation.
  if (base64_decoded_size(text) != *length)
    return bad("has " + std::to_string(base64_decoded_size(text)) + " bytes of data but length " +
               std::to_string(*length));
  auto bytes = from_base64(text);
  if (!bytes) return bad("has data that is not valid base64");
  if (!check_piece_bytes(*bytes, sha1_hex))
    return Error(Errc::protocol_error, "piece " + std::to_string(index) +
                                           " fails the SHA-1 check (expected " + to_hex(*expected) +
                                           ", got " + sha1(*bytes).hex() + "); nothing written");
  return std::move(*bytes);
}

int run_get_piece(const GlobalOptions& global, const std::vector<std::string>& words) {
  Args args(words, {{"output", true, false, 'o'}, {"timeout-ms", true, false, 0}});
  if (!args.ok()) return usage(args.error());
  if (args.positional().size() != 2) return usage("get-piece needs an ID and a piece INDEX");
  const std::string& id = args.positional()[0];
  const auto index = parse_unsigned(args.positional()[1], 0xFFFFFFFFu);
  if (!index) return usage("INDEX must be a piece number (0, 1, ...), not \"" + args.positional()[1] + "\"");
  std::int64_t timeout_ms = kDefaultTimeoutMs;
  if (auto t = args.value("timeout-ms")) {
    const auto parsed = parse_unsigned(*t, kMaxTimeoutMs);
    if (!parsed)
      return usage("--timeout-ms must be a number of milliseconds up to " +
                   std::to_string(kMaxTimeoutMs) + ", not \"" + *t + "\"");
    timeout_ms = static_cast<std::int64_t>(*parsed);
  }
  const auto output = args.value("output");
  if (output && output->empty()) return usage("-o needs a file name");
  // Checked before asking, so a piece is not fetched only to be thrown away.
  if (!global.json && !output && ::isatty(STDOUT_FILENO) != 0) {
    std::cerr << "btctl: refusing to write binary data to a terminal; use -o FILE\n";
    return kExitUsage;
  }

  const nlohmann::json params = {{"id", id}, {"index", *index}, {"timeout_ms", timeout_ms}};
  CallOutcome out = call_daemon(global, "torrent.get_piece", params,
                                std::chrono::milliseconds(timeout_ms + kClientMarginMs));
  if (out.exit_code != kExitOk) return out.exit_code;
  if (global.json) {
    std::cout << out.result.dump(2) << "\n";
    return kExitOk;
  }
  auto bytes = verified_piece_bytes(out.result, *index);
  if (!bytes) {
    std::cerr << "btctl: " << bytes.error().message << "\n";
    return kExitError;
  }
  if (output) {
    if (auto w = write_file_atomic(*output, *bytes); !w) {
      std::cerr << "btctl: " << w.error().message << "\n";
      return kExitError;
    }
    return kExitOk;
  }
  if (auto w = write_stdout(*bytes); !w) {
    std::cerr << "btctl: " << w.error().message << "\n";
    return kExitError;
  }
  return kExitOk;
}

}  // namespace btd::cli
