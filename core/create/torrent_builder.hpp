#pragma once
// Makes a v1 .torrent (BEP 3) from payload bytes fed in file order. Sans-I/O: the caller reads
// the files and hands the bytes in, in chunks of any size; each piece is hashed as it fills, so
// memory use does not grow with the payload.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/create/create_options.hpp"
#include "core/create/piece_length.hpp"
#include "core/util/result.hpp"
#include "core/util/sha1.hpp"

namespace btd {

class TorrentBuilder {
 public:
  // Fails as validate_create_options does.
  static Result<TorrentBuilder> create(CreateOptions options);

  // Bytes past total_size() are counted (finish() then fails) but not hashed.
  void update(std::string_view bytes);

  std::int64_t bytes_fed() const noexcept { return fed_; }
  std::int64_t total_size() const noexcept { return layout_.total_size; }
  std::int64_t piece_length() const noexcept { return layout_.piece_length; }

  // The canonical bencoded .torrent. Fails (Errc::invalid_argument) if bytes_fed() is not
  // total_size() (a file changed size while it was read), or when called a second time.
  Result<std::string> finish();

 private:
  TorrentBuilder(CreateOptions options, CreateLayout layout);

  CreateOptions options_;
  CreateLayout layout_;
  Sha1Hasher hasher_;
  std::string pieces_;           // 20 bytes per finished piece
  std::int64_t piece_fill_ = 0;  // bytes of the current piece hashed so far
  std::int64_t fed_ = 0;
  bool finished_ = false;
};

}  // namespace btd
