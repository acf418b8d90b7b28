#include "core/create/create_options.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace btd;

namespace {

CreateOptions single(std::int64_t size) {
  CreateOptions o;
  o.name = "file.bin";
  o.files = {CreateFile{{}, size}};
  return o;
}

CreateOptions multi() {
  CreateOptions o;
  o.name = "dir";
  o.files = {CreateFile{{"a.txt"}, 10}, CreateFile{{"sub", "b.txt"}, 20}};
  return o;
}

std::string error_of(const CreateOptions& o) {
  auto r = validate_create_options(o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(Errc::invalid_argument));
  return r.error().message;
}

}  // namespace

TEST_CASE("valid options give the layout") {
  auto s = validate_create_options(single(40000));
  REQUIRE(s.ok());
  CHECK(s->total_size == 40000);
  CHECK(s->piece_length == 16384);
  CHECK(s->piece_count == 3);

  CreateOptions m = multi();
  m.piece_length = 32768;
  auto r = validate_create_options(m);
  REQUIRE(r.ok());
  CHECK(r->total_size == 30);
  CHECK(r->piece_length == 32768);
  CHECK(r->piece_count == 1);

  // A directory holding one file is still multi-file; an empty file among others is fine.
  CreateOptions one;
  one.name = "dir";
  one.files = {CreateFile{{"only"}, 5}, CreateFile{{"empty"}, 0}};
  CHECK(validate_create_options(one).ok());
}

TEST_CASE("names and path components that are empty or could escape the root are refused") {
  CreateOptions o = single(1);
  o.name = "";
  CHECK(error_of(o) == "create: name is empty");
  o.name = "..";
  CHECK(error_of(o) == "create: name \"..\" has a \"..\" component");
  o.name = "a/b";
  CHECK(error_of(o) == "create: name \"a/b\" contains '/' inside a component");

  o = multi();
  o.files[1].path = {"sub", "..", "x"};
  CHECK(error_of(o) == "create: file path \"sub/../x\" has a \"..\" component");
  o.files[1].path = {"sub", ".", "x"};
  CHECK(error_of(o) == "create: file path \"sub/./x\" has a \".\" component");
  o.files[1].path = {"sub", "", "x"};
  CHECK(error_of(o) == "create: file path \"sub//x\" has an empty component");
  o.files[1].path = {"sub/x"};
  CHECK(error_of(o) == "create: file path \"sub/x\" contains '/' inside a component");
  o.files[1].path = {std::string("a\0b", 3)};
  CHECK(error_of(o).find("NUL byte") != std::string::npos);
  o.files[1].path = {};
  CHECK(error_of(o) == "create: file 1 has an empty path (only a single-file torrent's one file may)");
}

TEST_CASE("sizes: negative, zero total and overflow") {
  CHECK(error_of(single(-1)) == "create: file path \"\" has a negative size");
  CHECK(error_of(single(0)) == "create: files add up to 0 bytes: there is nothing to share");
  CreateOptions none = single(1);
  none.files.clear();
  CHECK(error_of(none) == "create: no files given");

  CreateOptions big = multi();
  big.files[0].size = kMaxCreateTotalSize;
  big.files[1].size = kMaxCreateTotalSize;  // the sum would overflow int64
  CHECK(error_of(big).find("add up to more than") != std::string::npos);
}

TEST_CASE("two files at one path, or a file used as a directory") {
  CreateOptions o = multi();
  o.files.push_back(CreateFile{{"a.txt"}, 1});
  CHECK(error_of(o) == "create: file path \"a.txt\" is listed twice");

  o = multi();
  // "sub" as a file next to "sub/b.txt"; "sub b" and "sub-c" sort between them byte-wise.
  o.files.push_back(CreateFile{{"sub b"}, 1});
  o.files.push_back(CreateFile{{"sub-c"}, 1});
  o.files.push_back(CreateFile{{"sub"}, 1});
  CHECK(error_of(o) == "create: file path \"sub\" is both a file and a directory");

  o = multi();
  o.files.push_back(CreateFile{{"sub b"}, 1});
  o.files.push_back(CreateFile{{"subx"}, 1});
  CHECK(validate_create_options(o).ok());
}

TEST_CASE("piece length must be a power of two in [16 KiB, 512 MiB]") {
  CreateOptions o = single(100);
  for (std::int64_t bad : {std::int64_t{-16384}, std::int64_t{8192}, std::int64_t{16385},
                           std::int64_t{3} * 16384, std::int64_t{1} << 30}) {
    CAPTURE(bad);
    o.piece_length = bad;
    CHECK(error_of(o) == "create: piece length " + std::to_string(bad) +
                             " is not a power of two between 16 KiB and 512 MiB");
  }
  o.piece_length = 16384;
  CHECK(validate_create_options(o).ok());
  o.piece_length = std::int64_t{512} * 1024 * 1024;
  CHECK(validate_create_options(o).ok());
}

TEST_CASE("too many pieces asks for a larger piece length") {
  CreateOptions o = single(kMaxCreatePieceCount * 16384 + 1);
  o.piece_length = 16384;
  CHECK(error_of(o).find("choose a larger piece length") != std::string::npos);
  o.files[0].size = kMaxCreatePieceCount * 16384;
  CHECK(validate_create_options(o).ok());
}

TEST_CASE("empty tracker and web seed URLs are refused") {
  CreateOptions o = single(1);
  o.tracker_tiers = {{"http://a/announce"}, {"http://b/announce", ""}};
  CHECK(error_of(o) == "create: tracker tier 1 has an empty URL");
  o.tracker_tiers = {};
  o.web_seeds = {""};
  CHECK(error_of(o) == "create: a web seed URL is empty");
}
