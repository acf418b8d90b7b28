#include "core/storage/resume_data.hpp"

#include <doctest/doctest.h>

using namespace btd;

TEST_CASE("resume data round-trips every field") {
  ResumeData d;
  d.download_dir = "/srv/dl";
  d.paused = true;
  d.added_at = 1700000000;
  d.downloaded_total = 5'000'000'000ull;
  d.uploaded_total = 7;
  d.download_rate_limit = 1 << 20;
  d.upload_rate_limit = 2;
  d.max_connections = 12;
  Bitfield have(10);
  have.set(std::size_t{0});
  have.set(std::size_t{9});
  d.have_bytes = std::string(have.bytes());
  d.have_pieces = 10;
  d.files = {{true, 100, 1234567890123}, {false, 0, 0}};
  d.peers = {"127.0.0.1:6881", "[::1]:51413"};

  auto back = decode_resume(encode_resume(d));
  REQUIRE(back.ok());
  CHECK(back->download_dir == "/srv/dl");
  CHECK(back->paused);
  CHECK(back->added_at == 1700000000);
  CHECK(back->downloaded_total == 5'000'000'000ull);
  CHECK(back->uploaded_total == 7);
  CHECK(back->download_rate_limit == 1 << 20);
  CHECK(back->upload_rate_limit == 2);
  CHECK(back->max_connections == 12);
  CHECK(back->files == d.files);
  CHECK(back->peers == d.peers);
  auto bits = resume_have(*back, 10);
  REQUIRE(bits);
  CHECK(*bits == have);
  // Saved for another piece count (a different torrent or a damaged file): not usable.
  CHECK_FALSE(resume_have(*back, 11));
}

TEST_CASE("resume data without a have-bitfield has no files either") {
  ResumeData d;
  d.download_dir = "/x";
  auto back = decode_resume(encode_resume(d));
  REQUIRE(back.ok());
  CHECK_FALSE(back->have_bytes);
  CHECK(back->files.empty());
  CHECK_FALSE(back->max_connections);
  CHECK_FALSE(resume_have(*back, 0));
}

TEST_CASE("damaged resume data is refused, never half-trusted") {
  CHECK_FALSE(decode_resume("").ok());
  CHECK_FALSE(decode_resume("le").ok());
  // Version missing or from the future.
  CHECK_FALSE(decode_resume("d12:download_dir1:xe").ok());
  CHECK_FALSE(decode_resume("d10:btd-resumei2e12:download_dir1:xe").ok());
  // Negative totals, a bitfield without stamps, a stamp of the wrong shape.
  CHECK_FALSE(decode_resume("d10:btd-resumei1e12:download_dir1:x16:downloaded_totali-1ee").ok());
  CHECK_FALSE(decode_resume("d10:btd-resumei1e12:download_dir1:x4:have1:\x80" "11:have_piecesi1ee").ok());
  CHECK_FALSE(decode_resume("d10:btd-resumei1e12:download_dir1:x5:filesli1ei2eee4:have1:\x80" "11:have_piecesi1ee").ok());
  CHECK_FALSE(decode_resume("d10:btd-resumei1e12:download_dir1:x5:filesll5:a:b:ci2ei3eee4:have1:\x80" "11:have_piecesi1ee").ok());
  auto err = decode_resume("d10:btd-resumei1e12:download_dir1:x6:pausedi-1ee");
  REQUIRE_FALSE(err.ok());
  CHECK(err.error().message.find("paused") != std::string::npos);
}

TEST_CASE("a bitfield with spare bits set is not trusted") {
  ResumeData d;
  d.download_dir = "/x";
  d.have_bytes = std::string("\xff", 1);
  d.have_pieces = 3;
  d.files = {{true, 1, 1}};
  auto back = decode_resume(encode_resume(d));
  REQUIRE(back.ok());
  CHECK_FALSE(resume_have(*back, 3));
}

TEST_CASE("the file selection round-trips, and a resume file without one (written before it existed) still loads") {
  ResumeData d;
  d.download_dir = "/srv/dl";
  d.file_priorities = {FilePriority::skip, FilePriority::normal, FilePriority::high, FilePriority::skip};
  auto back = decode_resume(encode_resume(d));
  REQUIRE(back.ok());
  CHECK(back->file_priorities == d.file_priorities);

  // An old file: exactly what btd wrote before file selection, key for key.
  const std::string old = "d8:added_ati5e10:btd-resumei1e12:download_dir7:/srv/dl19:download_rate_limiti0e"
                          "16:downloaded_totali0e6:pausedi0e17:upload_rate_limiti0e14:uploaded_totali0ee";
  auto loaded = decode_resume(old);
  REQUIRE(loaded.ok());
  CHECK(loaded->file_priorities.empty());
  CHECK(loaded->download_dir == "/srv/dl");

  // Nothing selected: no key at all, so older btd versions read the file unchanged.
  ResumeData plain;
  plain.download_dir = "/x";
  CHECK(encode_resume(plain).find("file_priority") == std::string::npos);
}

TEST_CASE("a damaged file selection is refused") {
  for (const char* bad : {"d10:btd-resumei1e12:download_dir1:/13:file_priority3:013e",
                          "d10:btd-resumei1e12:download_dir1:/13:file_priorityi1ee",
                          "d10:btd-resumei1e12:download_dir1:/13:file_priority2:-1e"}) {
    CAPTURE(bad);
    auto r = decode_resume(bad);
    CHECK_FALSE(r.ok());
  }
}

TEST_CASE("a magnet's pending selection round-trips; none writes no key; a damaged one is refused") {
  ResumeData d;
  d.download_dir = "/srv/dl";
  d.pending_only = std::vector<std::uint64_t>{0, 2, 4294967295u};
  d.pending_skip = {1};
  auto back = decode_resume(encode_resume(d));
  REQUIRE(back.ok());
  CHECK(back->pending_only == d.pending_only);
  CHECK(back->pending_skip == d.pending_skip);

  ResumeData empty_only;  // files: [] is a selection of nothing, not the absence of one
  empty_only.download_dir = "/x";
  empty_only.pending_only = std::vector<std::uint64_t>{};
  auto nothing = decode_resume(encode_resume(empty_only));
  REQUIRE(nothing.ok());
  REQUIRE(nothing->pending_only.has_value());
  CHECK(nothing->pending_only->empty());

  ResumeData plain;
  plain.download_dir = "/x";
  CHECK(encode_resume(plain).find("pending") == std::string::npos);
  auto none = decode_resume(encode_resume(plain));
  REQUIRE(none.ok());
  CHECK_FALSE(none->pending_only.has_value());
  CHECK(none->pending_skip.empty());

  for (const char* bad : {"d10:btd-resumei1e12:download_dir1:/13:pending_filesi1ee",
                          "d10:btd-resumei1e12:download_dir1:/13:pending_filesli-1eee",
                          "d10:btd-resumei1e12:download_dir1:/13:pending_filesli4294967296eee",
                          "d10:btd-resumei1e12:download_dir1:/18:pending_skip_filesl1:aee"}) {
    CAPTURE(bad);
    CHECK_FALSE(decode_resume(bad).ok());
  }
}
