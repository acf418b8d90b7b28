#include "daemon/disk/file_pool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <doctest/doctest.h>

using namespace btd;
using namespace btd::daemon;

namespace {

std::shared_ptr<const FileHandle> open_null(bool writable) {
  const int fd = ::open("/dev/null", writable ? O_RDWR : O_RDONLY);
  REQUIRE(fd >= 0);
  return std::make_shared<const FileHandle>(fd, writable);
}

bool fd_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

}  // namespace

TEST_CASE("FilePool: a read-only handle does not serve a write") {
  FilePool pool;
  pool.put(FileIndex{1}, open_null(false));
  CHECK(pool.get(FileIndex{1}, false) != nullptr);
  CHECK(pool.get(FileIndex{1}, true) == nullptr);
  pool.put(FileIndex{1}, open_null(true));
  CHECK(pool.size() == 1);
  CHECK(pool.get(FileIndex{1}, true) != nullptr);
  CHECK(pool.get(FileIndex{1}, false)->writable());
}

TEST_CASE("FilePool evicts the least recently used handle") {
  FilePool pool(2);
  pool.put(FileIndex{0}, open_null(false));
  pool.put(FileIndex{1}, open_null(false));
  CHECK(pool.get(FileIndex{0}, false) != nullptr);  // 1 is now the oldest
  pool.put(FileIndex{2}, open_null(false));
  CHECK(pool.size() == 2);
  CHECK(pool.get(FileIndex{0}, false) != nullptr);
  CHECK(pool.get(FileIndex{1}, false) == nullptr);
  CHECK(pool.get(FileIndex{2}, false) != nullptr);
}

TEST_CASE("FilePool: an evicted handle stays open while a user holds it") {
  FilePool pool(1);
  pool.put(FileIndex{0}, open_null(false));
  auto held = pool.get(FileIndex{0}, false);
  const int fd = held->fd();
  pool.put(FileIndex{1}, open_null(false));
  CHECK(pool.get(FileIndex{0}, false) == nullptr);
  CHECK(fd_open(fd));
  held.reset();
  CHECK_FALSE(fd_open(fd));
}

TEST_CASE("FilePool::clear closes unheld descriptors") {
  FilePool pool;
  pool.put(FileIndex{0}, open_null(true));
  const int fd = pool.get(FileIndex{0}, true)->fd();
  pool.clear();
  CHECK(pool.size() == 0);
  CHECK_FALSE(fd_open(fd));
}
