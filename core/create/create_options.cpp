#include "core/create/create_options.hpp"

#include <algorithm>
#include <string_view>

#include "core/create/piece_length.hpp"

namespace btd {
namespace {

Error create_error(std::string message) {
  return Error(Errc::invalid_argument, "create: " + std::move(message));
}

std::string join(const std::vector<std::string>& components, char separator) {
  std::string out;
  for (std::size_t i = 0; i < components.size(); ++i) {
    if (i > 0) out.push_back(separator);
    out += components[i];
  }
  return out;
}

// `what` names the value in the message, e.g. "name" or "file path \"a/b\"".
Result<void> check_component(std::string_view component, const std::string& what) {
  if (component.empty()) return create_error(what + " has an empty component");
  if (component == "." || component == "..") {
    return create_error(what + " has a \"" + std::string(component) + "\" component");
  }
  if (component.find('/') != std::string_view::npos) {
    return create_error(what + " contains '/' inside a component");
  }
  if (component.find('\0') != std::string_view::npos) {
    return create_error(what + " contains a NUL byte");
  }
  return {};
}

// Two files at one path would share bytes on disk, and so would a file used as a directory
// ("a" and "a/b"). Paths are joined with '\0' (no component has one), which sorts before every
// other byte: a path's descendants then come right after it, so neighbours are enough to check.
Result<void> check_collisions(const std::vector<CreateFile>& files) {
  std::vector<std::string> keys;
  keys.reserve(files.size());
  for (const CreateFile& f : files) keys.push_back(join(f.path, '\0'));
  std::sort(keys.begin(), keys.end());
  for (std::size_t i = 1; i < keys.size(); ++i) {
    const std::string& a = keys[i - 1];
    const std::string& b = keys[i];
    std::string shown = a;
    std::replace(shown.begin(), shown.end(), '\0', '/');
    if (a == b) return create_error("file path \"" + shown + "\" is listed twice");
    if (b.size() > a.size() && b.compare(0, a.size(), a) == 0 && b[a.size()] == '\0') {
      return create_error("file path \"" + shown + "\" is both a file and a directory");
    }
  }
  return {};
}

bool is_power_of_two(std::int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

}  // namespace

Result<CreateLayout> validate_create_options(const CreateOptions& options) {
  if (options.name.empty()) return create_error("name is empty");
  if (auto r = check_component(options.name, "name \"" + options.name + "\""); !r) {
    return r.error();
  }
  if (options.files.empty()) return create_error("no files given");

  const bool single_file = options.files.size() == 1 && options.files.front().path.empty();
  std::int64_t total = 0;
  for (std::size_t i = 0; i < options.files.size(); ++i) {
    const CreateFile& f = options.files[i];
    const std::string shown = "file path \"" + join(f.path, '/') + "\"";
    if (!single_file && f.path.empty()) {
      return create_error("file " + std::to_string(i) +
                          " has an empty path (only a single-file torrent's one file may)");
    }
    for (const std::string& component : f.path) {
      if (auto r = check_component(component, shown); !r) return r.error();
    }
    if (f.size < 0) return create_error(shown + " has a negative size");
    if (f.size > kMaxCreateTotalSize - total) {
      return create_error("files add up to more than " + std::to_string(kMaxCreateTotalSize) +
                          " bytes");
    }
    total += f.size;
  }
  if (total == 0) return create_error("files add up to 0 bytes: there is nothing to share");
  if (!single_file) {
    if (auto r = check_collisions(options.files); !r) return r.error();
  }

  CreateLayout layout;
  layout.total_size = total;
  layout.piece_length =
      options.piece_length == 0 ? choose_piece_length(total) : options.piece_length;
  if (!is_power_of_two(layout.piece_length) || layout.piece_length < kMinCreatePieceLength ||
      layout.piece_length > kMaxCreatePieceLength) {
    return create_error("piece length " + std::to_string(layout.piece_length) +
                        " is not a power of two between 16 KiB and 512 MiB");
  }
  layout.piece_count = (total - 1) / layout.piece_length + 1;
  if (layout.piece_count > kMaxCreatePieceCount) {
    return create_error(std::to_string(layout.piece_count) + " pieces of " +
                        std::to_string(layout.piece_length) + " bytes is more than " +
                        std::to_string(kMaxCreatePieceCount) + ": choose a larger piece length");
  }

  for (std::size_t t = 0; t < options.tracker_tiers.size(); ++t) {
    for (const std::string& url : options.tracker_tiers[t]) {
      if (url.empty()) return create_error("tracker tier " + std::to_string(t) + " has an empty URL");
    }
  }
  for (const std::string& url : options.web_seeds) {
    if (url.empty()) return create_error("a web seed URL is empty");
  }
  return layout;
}

}  // namespace btd
