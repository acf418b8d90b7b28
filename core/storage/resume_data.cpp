#include "core/storage/resume_data.hpp"

#include "core/bencode/decoder.hpp"
#include "core/bencode/value.hpp"

namespace btd {

namespace {

constexpr std::int64_t kFormatVersion = 1;
constexpr std::string_view kVersionKey = "btd-resume";

Error bad(const std::string& what) { return Error(Errc::invalid_argument, "resume data: " + what); }

// A non-negative integer field; `fallback` when absent.
Result<std::int64_t> non_negative(const bencode::Node& root, std::string_view key, std::int64_t fallback) {
  const bencode::Node n = root.dict_find(key);
  if (!n) return fallback;
  if (!n.is_int() || n.int_value() < 0) return bad("\"" + std::string(key) + "\" is not a non-negative integer");
  return n.int_value();
}

}  // namespace

std::string encode_resume(const ResumeData& data) {
  bencode::Dict d;
  d[std::string(kVersionKey)] = kFormatVersion;
  d["download_dir"] = data.download_dir;
  d["paused"] = data.paused ? 1 : 0;
  d["added_at"] = data.added_at;
  d["downloaded_total"] = static_cast<std::int64_t>(data.downloaded_total);
  d["uploaded_total"] = static_cast<std::int64_t>(data.uploaded_total);
  d["download_rate_limit"] = static_cast<std::int64_t>(data.download_rate_limit);
  d["upload_rate_limit"] = static_cast<std::int64_t>(data.upload_rate_limit);
  if (data.max_connections) d["max_connections"] = static_cast<std::int64_t>(*data.max_connections);
  if (!data.peers.empty()) {
    bencode::List peers;
    for (std::size_t i = 0; i < data.peers.size() && i < kMaxResumePeers; ++i) peers.emplace_back(data.peers[i]);
    d["peers"] = std::move(peers);
  }
  if (!data.file_priorities.empty()) {
    // A string of digits, one per file (0 skip, 1 normal, 2 high): compact for torrents of
    // many thousand files, and readable in a hex dump.
    std::string prio;
    prio.reserve(data.file_priorities.size());
    for (FilePriority p : data.file_priorities) prio.push_back(static_cast<char>('0' + static_cast<int>(p)));
    d["file_priority"] = std::move(prio);
  }
  auto index_list = [](const std::vector<std::uint64_t>& indexes) {
    bencode::List list;
    for (std::size_t i = 0; i < indexes.size() && i < kMaxResumeFiles; ++i)
      list.emplace_back(static_cast<std::int64_t>(indexes[i]));
    return list;
  };
  if (data.pending_only) d["pending_files"] = index_list(*data.pending_only);
  if (!data.pending_skip.empty()) d["pending_skip_files"] = index_list(data.pending_skip);
  if (data.have_bytes) {
    d["have"] = *data.have_bytes;
    d["have_pieces"] = static_cast<std::int64_t>(data.have_pieces);
    bencode::List files;
    files.reserve(data.files.size());
    for (const FileStamp& f : data.files)
      files.emplace_back(bencode::List{f.exists ? 1 : 0, f.size, f.mtime_ns});
    d["files"] = std::move(files);
  }
  return bencode::encode(d);
}

Result<ResumeData> decode_resume(std::string_view bytes) {
  auto doc = bencode::decode(bytes);
  if (!doc) return bad(doc.error().message);
  const bencode::Node root = doc->root();
  if (!root.is_dict()) return bad("not a dictionary");
  if (root.dict_find_int(kVersionKey) != kFormatVersion) return bad("unknown format version");
  ResumeData out;
  const auto dir = root.dict_find_string("download_dir");
  if (!dir) return bad("\"download_dir\" is missing");
  out.download_dir = std::string(*dir);

  struct IntField {
    std::string_view key;
    std::int64_t value;
  };
  IntField fields[] = {{"paused", 0},           {"added_at", 0},           {"downloaded_total", 0},
                       {"uploaded_total", 0},   {"download_rate_limit", 0}, {"upload_rate_limit", 0},
                       {"max_connections", -1}, {"have_pieces", 0}};
  for (IntField& f : fields) {
    auto v = non_negative(root, f.key, f.value);
    if (!v) return v.error();
    f.value = *v;
  }
  out.paused = fields[0].value != 0;
  out.added_at = fields[1].value;
  out.downloaded_total = static_cast<std::uint64_t>(fields[2].value);
  out.uploaded_total = static_cast<std::uint64_t>(fields[3].value);
  out.download_rate_limit = static_cast<std::uint64_t>(fields[4].value);
  out.upload_rate_limit = static_cast<std::uint64_t>(fields[5].value);
  if (fields[6].value >= 0) out.max_connections = static_cast<std::uint64_t>(fields[6].value);
  if (fields[7].value > 0xffffffff) return bad("\"have_pieces\" is out of range");
  out.have_pieces = static_cast<std::uint32_t>(fields[7].value);

  if (const bencode::Node peers = root.dict_find("peers")) {
    if (!peers.is_list() || peers.size() > kMaxResumePeers) return bad("\"peers\" is not a list of at most 200");
    for (bencode::Node p : peers.items()) {
      if (!p.is_string() || p.string_value().size() > 64) return bad("a \"peers\" entry is not an address");
      out.peers.emplace_back(p.string_value());
    }
  }
  if (const bencode::Node prio = root.dict_find("file_priority")) {
    if (!prio.is_string() || prio.string_value().size() > kMaxResumeFiles)
      return bad("\"file_priority\" is not a string of at most " + std::to_string(kMaxResumeFiles) + " digits");
    out.file_priorities.reserve(prio.string_value().size());
    for (char c : prio.string_value()) {
      if (c < '0' || c > '2') return bad("\"file_priority\" holds a character other than 0, 1 and 2");
      out.file_priorities.push_back(static_cast<FilePriority>(c - '0'));
    }
  }
  auto index_list = [](bencode::Node list, std::string_view key) -> Result<std::vector<std::uint64_t>> {
    if (!list.is_list() || list.size() > kMaxResumeFiles)
      return bad("\"" + std::string(key) + "\" is not a list of at most " + std::to_string(kMaxResumeFiles) +
                 " file indexes");
    std::vector<std::uint64_t> indexes;
    indexes.reserve(list.size());
    for (bencode::Node i : list.items()) {
      if (!i.is_int() || i.int_value() < 0 || i.int_value() > 0xffffffff)
        return bad("\"" + std::string(key) + "\" holds something other than a file index");
      indexes.push_back(static_cast<std::uint64_t>(i.int_value()));
    }
    return indexes;
  };
  if (const bencode::Node only = root.dict_find("pending_files")) {
    auto list = index_list(only, "pending_files");
    if (!list) return list.error();
    out.pending_only = std::move(*list);
  }
  if (const bencode::Node skip = root.dict_find("pending_skip_files")) {
    auto list = index_list(skip, "pending_skip_files");
    if (!list) return list.error();
    out.pending_skip = std::move(*list);
  }
  if (auto have = root.dict_find_string("have")) {
    out.have_bytes = std::string(*have);
    const bencode::Node files = root.dict_find_list("files");
    if (!files) return bad("\"files\" is missing next to \"have\"");
    out.files.reserve(files.size());
    for (bencode::Node f : files.items()) {
      if (!f.is_list() || f.size() != 3) return bad("a \"files\" entry is not [exists, size, mtime]");
      const bencode::Node exists = f.list_at(0), size = f.list_at(1), mtime = f.list_at(2);
      if (!exists.is_int() || !size.is_int() || !mtime.is_int() || size.int_value() < 0)
        return bad("a \"files\" entry has a bad value");
      out.files.push_back({exists.int_value() != 0, size.int_value(), mtime.int_value()});
    }
  }
  return out;
}

std::optional<Bitfield> resume_have(const ResumeData& data, std::uint32_t pieces) {
  if (!data.have_bytes || data.have_pieces != pieces) return std::nullopt;
  auto have = Bitfield::from_bytes(*data.have_bytes, pieces);
  if (!have) return std::nullopt;
  return std::move(*have);
}

}  // namespace btd
