#pragma once
// The few file operations btctl does itself, with errors that name the path and the errno text.
#include <cstdint>
#include <string>

#include "core/util/result.hpp"

namespace btd::cli {

// Reads a whole file, refusing anything larger than max_bytes before reading it.
Result<std::string> read_file(const std::string& path, std::int64_t max_bytes);
// Writes to a temporary file beside `path`, fsyncs it and renames it into place, so readers
// never see a half-written file.
Result<void> write_file_atomic(const std::string& path, std::string_view data);

}  // namespace btd::cli
