// btctl info FILE.torrent: shows a .torrent without a daemon, like transmission-show.
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/file_io.hpp"
#include "cli/format.hpp"
#include "core/magnet/magnet.hpp"
#include "core/metainfo/metainfo.hpp"

namespace btd::cli {
namespace {


std::vector<std::string> flat_trackers(const Metainfo& m) {
  std::vector<std::string> out;
  for (const auto& tier : m.trackers) out.insert(out.end(), tier.begin(), tier.end());
  return out;
}

nlohmann::json to_json(const Metainfo& m) {
  nlohmann::json files = nlohmann::json::array();
  std::size_t pad_files = 0;
  for (const FileEntry& f : m.files) {
    if (f.pad) {
      ++pad_files;
      continue;
    }
    nlohmann::json jf = {{"path", f.path}, {"size", f.size}, {"offset", f.offset}};
    if (!f.attributes.empty()) jf["attributes"] = f.attributes;
    files.push_back(std::move(jf));
  }
  const std::string id = m.info_hash.hex();
  return {
      {"id", id},
      {"info_hash", id},
      {"name", m.name},
      {"size", m.total_size},
      {"piece_length", m.piece_length},
      {"pieces", m.piece_count},
      {"private", m.is_private},
      {"hybrid", m.hybrid},
      {"multi_file", m.multi_file},
      {"files", std::move(files)},
      {"pad_files", pad_files},
      {"trackers", m.trackers},
      {"url_list", m.url_list},
      {"comment", m.comment},
      {"created_by", m.created_by},
      {"creation_date", m.creation_date ? nlohmann::json(*m.creation_date) : nlohmann::json()},
      {"magnet", make_magnet(m.info_hash, m.name, flat_trackers(m))},
      {"warnings", m.warnings},
  };
}

void print_human(const Metainfo& m) {
  std::cout << "Name:        " << m.name << "\n"
            << "Info hash:   " << m.info_hash.hex() << "\n"
            << "Magnet:      " << make_magnet(m.info_hash, m.name, flat_trackers(m)) << "\n"
            << "Size:        " << format_size(m.total_size) << " (" << m.total_size << " bytes)\n"
            << "Pieces:      " << m.piece_count << " x " << format_size(m.piece_length) << "\n"
            << "Private:     " << (m.is_private ? "yes" : "no") << "\n";
  if (m.hybrid) std::cout << "Format:      hybrid v1/v2 (using v1)\n";
  if (!m.created_by.empty()) std::cout << "Created by:  " << m.created_by << "\n";
  if (m.creation_date) std::cout << "Created on:  " << format_unix_time(*m.creation_date) << "\n";
  if (!m.comment.empty()) std::cout << "Comment:     " << m.comment << "\n";
  for (const auto& w : m.warnings) std::cout << "Warning:     " << w << "\n";

  std::cout << "\nTrackers:\n";
  if (m.trackers.empty()) std::cout << "  (none)\n";
  for (std::size_t t = 0; t < m.trackers.size(); ++t)
    for (const auto& url : m.trackers[t]) std::cout << "  tier " << t + 1 << ": " << url << "\n";
  if (!m.url_list.empty()) {
    std::cout << "\nWeb seeds:\n";
    for (const auto& url : m.url_list) std::cout << "  " << url << "\n";
  }
  std::size_t real_files = 0;
  for (const auto& f : m.files) real_files += f.pad ? 0 : 1;
  std::cout << "\nFiles (" << real_files << "):\n";
  for (const auto& f : m.files)
    if (!f.pad) std::cout << "  " << f.path << " (" << format_size(f.size) << ")\n";
}

}  // namespace

int run_info(const GlobalOptions& global, const std::vector<std::string>& words) {
  Args args(words, {});
  if (!args.ok() || args.positional().size() != 1) {
    std::cerr << "btctl: " << (args.ok() ? "usage: btctl info FILE.torrent" : args.error()) << "\n";
    return kExitUsage;
  }
  const std::string& path = args.positional()[0];
  auto bytes = read_file(path, static_cast<std::int64_t>(kMaxTorrentFileBytes));
  if (!bytes) {
    std::cerr << "btctl: " << bytes.error().message << "\n";
    return kExitError;
  }
  auto meta = parse_metainfo(*bytes);
  if (!meta) {
    std::cerr << "btctl: " << path << ": " << meta.error().message << "\n";
    return kExitError;
  }
  if (global.json)
    std::cout << to_json(*meta).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  else
    print_human(*meta);
  return kExitOk;
}

}  // namespace btd::cli
