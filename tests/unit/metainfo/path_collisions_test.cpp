#include "core/metainfo/path_collisions.hpp"

#include <doctest/doctest.h>

#include <initializer_list>
#include <string>

using namespace btd;

namespace {

std::vector<FileEntry> files(std::initializer_list<const char*> paths) {
  std::vector<FileEntry> out;
  for (const char* p : paths) out.push_back(FileEntry{p, 1, 0, false, {}});
  return out;
}

std::string refusal(const std::vector<FileEntry>& f) {
  auto r = check_path_collisions(f);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(Errc::unsafe_path));
  return r.error().message;
}

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("distinct paths pass") {
  CHECK(check_path_collisions(files({"d/a", "d/b", "d/c/a", "d/c/b"})).ok());
  CHECK(check_path_collisions(files({"d/a/b", "d/a/bc", "d/a/b!", "d/a/b.txt"})).ok());
  CHECK(check_path_collisions(files({})).ok());
  CHECK(check_path_collisions(files({"single"})).ok());
}

TEST_CASE("the same path twice is refused") {
  CHECK(refusal(files({"d/x", "d/a", "d/x"})) == "two files collide after sanitizing: d/x");
}

TEST_CASE("comparison is exact: case differences are distinct files") {
  CHECK(check_path_collisions(files({"d/A", "d/a"})).ok());
}

TEST_CASE("a file used as another file's directory is refused") {
  CHECK(refusal(files({"d/a/b", "d/a/b/c"})) ==
        "file path is also a directory of another file: d/a/b (and d/a/b/c)");
  // "d/a/b!x" and "d/a/b.txt" sort between "d/a/b" and "d/a/b/c" byte-wise: the clash must
  // still be found, in any input order.
  CHECK(contains(refusal(files({"d/a/b/c", "d/a/b!x", "d/a/b.txt", "d/a/b"})), "d/a/b (and"));
  CHECK(contains(refusal(files({"d/a/b.txt", "d/z", "d/a/b/c/d/e", "d/a/b"})), "d/a/b (and"));
  CHECK(contains(refusal(files({"d/x/y", "d/x"})), "d/x (and d/x/y)"));
}

TEST_CASE("pad files are not checked") {
  std::vector<FileEntry> f = files({"d/.pad/100", "d/.pad/100", "d/a"});
  f[0].pad = f[1].pad = true;
  CHECK(check_path_collisions(f).ok());
  f[1].pad = false;  // now a real file beside a pad file of the same name: still fine
  CHECK(check_path_collisions(f).ok());
  f[0].pad = false;
  CHECK_FALSE(check_path_collisions(f).ok());
}
