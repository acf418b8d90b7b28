// btctl create PATH -o OUT.torrent: makes a v1 .torrent from a file or directory. The walking
// and reading happen here; hashing and encoding are core/create's job.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/args.hpp"
#include "cli/command.hpp"
#include "cli/file_io.hpp"
#include "cli/format.hpp"
#include "core/create/torrent_builder.hpp"
#include "core/magnet/magnet.hpp"
#include "core/metainfo/metainfo.hpp"

namespace btd::cli {
namespace {

namespace fs = std::filesystem;

struct SourceFile {
  fs::path absolute;
  std::vector<std::string> components;  // relative to the torrent root
  std::int64_t size = 0;
};

// Collects regular files under `root` in byte order of their relative paths, so the same
// directory always gives the same torrent. Symlinked directories are not followed (no loops).
Result<std::vector<SourceFile>> collect_files(const fs::path& root) {
  std::vector<SourceFile> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  if (ec) return Error(Errc::io_error, "cannot list " + root.string() + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Error(Errc::io_error, "cannot list " + root.string() + ": " + ec.message());
    const fs::directory_entry& entry = *it;
    if (!entry.is_regular_file(ec)) continue;
    SourceFile f;
    f.absolute = entry.path();
    for (const auto& part : fs::relative(entry.path(), root)) f.components.push_back(part.string());
    f.size = static_cast<std::int64_t>(entry.file_size(ec));
    if (ec) return Error(Errc::io_error, "cannot stat " + entry.path().string() + ": " + ec.message());
    files.push_back(std::move(f));
  }
  std::sort(files.begin(), files.end(),
            [](const SourceFile& a, const SourceFile& b) { return a.components < b.components; });
  return files;
}

Result<void> feed_file(TorrentBuilder& builder, const SourceFile& f, std::string& buffer) {
  const int fd = ::open(f.absolute.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return Error(Errc::io_error, "cannot open " + f.absolute.string() + ": " + std::strerror(errno));
  std::int64_t left = f.size;
  Result<void> result;
  while (left > 0) {
    const auto want = static_cast<std::size_t>(std::min<std::int64_t>(left, static_cast<std::int64_t>(buffer.size())));
    const ssize_t n = ::read(fd, buffer.data(), want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result = Error(Errc::io_error, "cannot read " + f.absolute.string() + ": " + std::strerror(errno));
      break;
    }
    if (n == 0) {
      result = Error(Errc::io_error, f.absolute.string() + " shrank while it was being read");
      break;
    }
    builder.update(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    left -= n;
  }
  ::close(fd);
  return result;
}

}  // namespace

int run_create(const GlobalOptions& global, const std::vector<std::string>& words) {
  Args args(words, {{"output", true, false, 'o'},
                    {"tracker", true, true, 't'},
                    {"web-seed", true, true, 'w'},
                    {"piece-size", true, false, 0},
                    {"comment", true, false, 'c'},
                    {"private", false, false, 'p'}});
  const char* usage =
      "usage: btctl create PATH -o OUT.torrent [--tracker URL]... [--piece-size BYTES] [--private] "
      "[--comment TEXT] [--web-seed URL]...";
  if (!args.ok()) {
    std::cerr << "btctl: " << args.error() << "\n" << usage << "\n";
    return kExitUsage;
  }
  if (args.positional().size() != 1 || !args.value("output")) {
    std::cerr << usage << "\n";
    return kExitUsage;
  }

  CreateOptions options;
  if (auto ps = args.value("piece-size")) {
    auto parsed = parse_size(*ps);
    if (!parsed) {
      std::cerr << "btctl: --piece-size \"" << *ps << "\" is not a size (e.g. 262144 or 256K)\n";
      return kExitUsage;
    }
    options.piece_length = *parsed;
  }
  for (const auto& url : args.values("tracker")) options.tracker_tiers.push_back({url});
  options.web_seeds = args.values("web-seed");
  options.is_private = args.flag("private");
  options.comment = args.value("comment").value_or("");
  options.creation_date = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();

  std::error_code ec;
  const fs::path input = fs::absolute(args.positional()[0], ec).lexically_normal();
  const fs::file_status status = fs::status(input, ec);
  std::vector<SourceFile> sources;
  if (fs::is_regular_file(status)) {
    const auto size = static_cast<std::int64_t>(fs::file_size(input, ec));
    sources.push_back({input, {}, size});
    options.name = input.filename().string();
  } else if (fs::is_directory(status)) {
    auto collected = collect_files(input);
    if (!collected) {
      std::cerr << "btctl: " << collected.error().message << "\n";
      return kExitError;
    }
    sources = std::move(*collected);
    // "dir/" normalizes to a path ending in an empty filename: use the directory's own name.
    options.name = (input.has_filename() ? input : input.parent_path()).filename().string();
    if (sources.empty()) {
      std::cerr << "btctl: " << input.string() << " contains no files\n";
      return kExitError;
    }
  } else {
    std::cerr << "btctl: " << args.positional()[0] << " is not a file or directory\n";
    return kExitError;
  }
  for (const auto& s : sources) options.files.push_back({s.components, s.size});

  auto builder = TorrentBuilder::create(std::move(options));
  if (!builder) {
    std::cerr << "btctl: " << builder.error().message << "\n";
    return kExitError;
  }
  std::string buffer(4u << 20, '\0');
  for (const auto& s : sources) {
    if (auto fed = feed_file(*builder, s, buffer); !fed) {
      std::cerr << "btctl: " << fed.error().message << "\n";
      return kExitError;
    }
  }
  auto torrent = builder->finish();
  if (!torrent) {
    std::cerr << "btctl: " << torrent.error().message << "\n";
    return kExitError;
  }
  // Parse what we made with the same parser `btctl info` and the daemon use: a torrent we
  // cannot read back is a bug, and its info-hash is the one every client will report.
  auto made = parse_metainfo(*torrent);
  if (!made) {
    std::cerr << "btctl: internal error: the torrent just made does not parse: "
              << made.error().message << "\n";
    return kExitError;
  }
  const std::string out_path = *args.value("output");
  if (auto written = write_file_atomic(out_path, *torrent); !written) {
    std::cerr << "btctl: " << written.error().message << "\n";
    return kExitError;
  }

  const std::int64_t total = made->total_size;
  const std::int64_t piece_length = made->piece_length;
  const std::string id = made->info_hash.hex();
  if (global.json) {
    nlohmann::json out = {{"id", id},
                          {"path", out_path},
                          {"size", total},
                          {"piece_length", piece_length},
                          {"pieces", (total + piece_length - 1) / piece_length},
                          {"files", sources.size()}};
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << "Created " << out_path << "\n"
              << "Info hash:   " << id << "\n"
              << "Size:        " << format_size(total) << " in " << sources.size() << " file(s)\n"
              << "Magnet:      " << make_magnet(made->info_hash, made->name, {}) << "\n"
              << "Pieces:      " << (total + piece_length - 1) / piece_length << " x "
              << format_size(piece_length) << "\n";
  }
  return kExitOk;
}

}  // namespace btd::cli
