#include "core/create/torrent_builder.hpp"

#include <algorithm>

#include "core/bencode/value.hpp"

namespace btd {
namespace {

bencode::List string_list(const std::vector<std::string>& strings) {
  bencode::List list;
  list.reserve(strings.size());
  for (const std::string& s : strings) list.emplace_back(s);
  return list;
}

bencode::Dict info_dict(const CreateOptions& options, std::string pieces,
                        std::int64_t piece_length) {
  bencode::Dict info;
  info["name"] = options.name;
  info["piece length"] = piece_length;
  info["pieces"] = std::move(pieces);
  if (options.is_private) info["private"] = 1;
  const bool single_file = options.files.size() == 1 && options.files.front().path.empty();
  if (single_file) {
    info["length"] = options.files.front().size;
  } else {
    bencode::List files;
    files.reserve(options.files.size());
    for (const CreateFile& f : options.files) {
      bencode::Dict entry;
      entry["length"] = f.size;
      entry["path"] = string_list(f.path);
      files.emplace_back(std::move(entry));
    }
    info["files"] = std::move(files);
  }
  return info;
}

}  // namespace

TorrentBuilder::TorrentBuilder(CreateOptions options, CreateLayout layout)
    : options_(std::move(options)), layout_(layout) {
  pieces_.reserve(static_cast<std::size_t>(layout_.piece_count) * Sha1Digest::kSize);
}

Result<TorrentBuilder> TorrentBuilder::create(CreateOptions options) {
  auto layout = validate_create_options(options);
  if (!layout) return std::move(layout).error();
  return TorrentBuilder(std::move(options), *layout);
}

void TorrentBuilder::update(std::string_view bytes) {
  const std::int64_t room = layout_.total_size - std::min(fed_, layout_.total_size);
  fed_ += static_cast<std::int64_t>(bytes.size());
  if (static_cast<std::int64_t>(bytes.size()) > room) bytes = bytes.substr(0, room);
  while (!bytes.empty()) {
    const auto take = static_cast<std::size_t>(
        std::min<std::int64_t>(layout_.piece_length - piece_fill_, bytes.size()));
    hasher_.update(bytes.substr(0, take));
    bytes.remove_prefix(take);
    piece_fill_ += static_cast<std::int64_t>(take);
    if (piece_fill_ == layout_.piece_length) {
      pieces_ += hasher_.finish().view();
      piece_fill_ = 0;
    }
  }
}

Result<std::string> TorrentBuilder::finish() {
  if (finished_) return Error(Errc::invalid_argument, "create: finish() was already called");
  if (fed_ != layout_.total_size) {
    return Error(Errc::invalid_argument,
                 "create: got " + std::to_string(fed_) + " bytes of payload but the files add up to " +
                     std::to_string(layout_.total_size) +
                     " (did a file change size while it was read?)");
  }
  finished_ = true;
  if (piece_fill_ > 0) {  // the short last piece
    pieces_ += hasher_.finish().view();
    piece_fill_ = 0;
  }

  bencode::Dict root;
  std::size_t tracker_count = 0;
  for (const auto& tier : options_.tracker_tiers) {
    for (const std::string& url : tier) {
      if (tracker_count++ == 0) root["announce"] = url;
    }
  }
  // Clients that know BEP 12 ignore "announce" when "announce-list" is present, so every
  // tracker, the first one included, must be listed there.
  if (tracker_count > 1) {
    bencode::List tiers;
    for (const auto& tier : options_.tracker_tiers) {
      if (!tier.empty()) tiers.emplace_back(string_list(tier));
    }
    root["announce-list"] = std::move(tiers);
  }
  if (!options_.comment.empty()) root["comment"] = options_.comment;
  if (!options_.created_by.empty()) root["created by"] = options_.created_by;
  if (options_.creation_date) root["creation date"] = *options_.creation_date;
  if (!options_.web_seeds.empty()) root["url-list"] = string_list(options_.web_seeds);
  root["info"] = info_dict(options_, std::move(pieces_), layout_.piece_length);
  return bencode::encode(root);
}

}  // namespace btd
