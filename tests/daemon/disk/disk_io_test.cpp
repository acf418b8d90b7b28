// DiskIo behaviour, run twice: on files in a temp dir through a real uv loop and its thread pool,
// and on the in-memory twin (deferred delivery, drained where the loop would run). Real-only
// cases at the end look at what only a file system has: directories, symlinks, sparse files.
#include "daemon/disk/disk_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "core/util/sha1.hpp"
#include "daemon/disk/memory_disk_io.hpp"

using namespace btd;
using namespace btd::daemon;

namespace {

// Payload order, piece length 16, 52 bytes, 4 pieces:
//   0 t/a.bin      [ 0,10)   piece 0
//   1 t/sub/b.bin  [10,14)   piece 0
//   2 t/empty      [14,14)   piece 0 (zero-length)
//   3 t/c.bin      [14,19)   pieces 0 and 1: piece 0 spans a, b and c
//   4 t/.pad/13    [19,32)   pad, piece 1
//   5 t/d/e/f.bin  [32,52)   pieces 2 and 3 (3 is short: 4 bytes)
constexpr std::int64_t kPieceLength = 16;
const std::vector<std::string> kPaths = {"t/a.bin", "t/sub/b.bin", "t/empty", "t/c.bin", "t/.pad/13", "t/d/e/f.bin"};
const std::vector<LayoutFile> kFiles = {{10, false}, {4, false}, {0, false}, {5, false}, {13, true}, {20, false}};

std::string make_payload() {
  std::string p(52, '\0');
  for (std::size_t i = 0; i < p.size(); ++i)
    if (i < 19 || i >= 32) p[i] = static_cast<char>('A' + (i * 7) % 53);
  return p;
}
const std::string kPayload = make_payload();

std::string piece(std::uint32_t p) {
  return kPayload.substr(p * kPieceLength, static_cast<std::size_t>(kPieceLength));
}

TorrentFiles make_files(std::string dir, std::vector<LayoutFile> files, std::vector<std::string> paths,
                        std::int64_t piece_length, const std::string& payload) {
  auto layout = StorageLayout::create(std::move(files), piece_length);
  REQUIRE(layout.ok());
  std::string hashes;
  for (std::int64_t off = 0; off < static_cast<std::int64_t>(payload.size()); off += piece_length)
    hashes += sha1(std::string_view(payload).substr(static_cast<std::size_t>(off),
                                                    static_cast<std::size_t>(piece_length))).view();
  return TorrentFiles{std::move(dir), std::move(paths), *layout, hashes};
}

TorrentFiles sample_files(std::string dir) { return make_files(std::move(dir), kFiles, kPaths, kPieceLength, kPayload); }

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// What every test needs from either implementation, plus blocking helpers over the callbacks.
class Harness {
 public:
  virtual ~Harness() = default;
  virtual DiskIo& io() = 0;
  virtual void run() = 0;  // until every queued job has called back
  virtual std::optional<std::string> file(FileIndex f) = 0;
  virtual void put_file(FileIndex f, const std::string& data) = 0;
  // Makes writing file f fail the way a broken disk layout does (a directory that is a file).
  virtual void break_writes_to(FileIndex f) = 0;
  virtual bool real() const = 0;

  std::pair<bool, std::optional<Error>> write(std::uint32_t p, std::string data) {
    std::optional<std::pair<bool, std::optional<Error>>> got;
    io().verify_and_write(PieceIndex{p}, std::move(data), [&](bool ok, std::optional<Error> e) {
      REQUIRE_FALSE(got);
      got.emplace(ok, std::move(e));
    });
    run();
    REQUIRE(got);
    return *got;
  }
  void write_ok(std::uint32_t p) {
    auto [ok, err] = write(p, piece(p));
    REQUIRE(ok);
    REQUIRE_MESSAGE(!err, (err ? err->message : ""));
  }
  Result<std::string> read(std::uint32_t p, std::uint32_t begin, std::uint32_t length) {
    std::optional<Result<std::string>> got;
    io().read_block(PieceIndex{p}, begin, length, [&](Result<std::string> r) { got.emplace(std::move(r)); });
    run();
    REQUIRE(got);
    return std::move(*got);
  }
  Result<Bitfield> check(std::vector<std::uint32_t>* progress = nullptr) {
    std::optional<Result<Bitfield>> got;
    io().check([&](std::uint32_t n) { if (progress) progress->push_back(n); },
               [&](Result<Bitfield> r) { got.emplace(std::move(r)); });
    run();
    REQUIRE(got);
    return std::move(*got);
  }
  Result<Bitfield> check_pieces(Bitfield known, std::vector<PieceRange> ranges,
                                std::vector<std::uint32_t>* progress = nullptr) {
    std::optional<Result<Bitfield>> got;
    io().check_pieces(std::move(known), std::move(ranges),
                      [&](std::uint32_t n) { if (progress) progress->push_back(n); },
                      [&](Result<Bitfield> r) { got.emplace(std::move(r)); });
    run();
    REQUIRE(got);
    return std::move(*got);
  }
  Result<std::vector<FileStamp>> stamp(bool sync) {
    std::optional<Result<std::vector<FileStamp>>> got;
    io().sync_and_stamp(sync, [&](Result<std::vector<FileStamp>> r) { got.emplace(std::move(r)); });
    run();
    REQUIRE(got);
    return std::move(*got);
  }
  Result<void> remove() {
    std::optional<Result<void>> got;
    io().remove_files([&](Result<void> r) { got.emplace(std::move(r)); });
    run();
    REQUIRE(got);
    return *got;
  }
};

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/btd-disk-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::optional<std::string> read_posix(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  REQUIRE(::fstat(fd, &st) == 0);
  std::string out(static_cast<std::size_t>(st.st_size), '\0');
  REQUIRE(::pread(fd, out.data(), out.size(), 0) == static_cast<ssize_t>(out.size()));
  ::close(fd);
  return out;
}

void write_posix(const std::string& path, const std::string& data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  ::close(fd);
}

class RealDisk : public Harness {
 public:
  explicit RealDisk(const std::function<TorrentFiles(std::string)>& files = sample_files) {
    dir = tmp.path + "/dl";
    REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
    REQUIRE(uv_loop_init(&loop) == 0);
    io_ = make_thread_pool_disk_io(&loop, files(dir));
  }
  ~RealDisk() override {
    io_.reset();
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(uv_loop_close(&loop) == 0);
  }
  DiskIo& io() override { return *io_; }
  void run() override { uv_run(&loop, UV_RUN_DEFAULT); }
  std::string path(FileIndex f) const { return dir + "/" + kPaths[f.get()]; }
  std::optional<std::string> file(FileIndex f) override { return read_posix(path(f)); }
  void put_file(FileIndex f, const std::string& data) override { write_posix(path(f), data); }
  void break_writes_to(FileIndex f) override {
    // t/d/e/f.bin: make t/d a regular file, so mkdir t/d/e fails with ENOTDIR even for root.
    REQUIRE(f.get() == 5);
    write_posix(dir + "/t/d", "not a directory");
  }
  bool real() const override { return true; }

  TempDir tmp;
  std::string dir;
  uv_loop_t loop{};
  std::unique_ptr<DiskIo> io_;
};

class MemoryDisk : public Harness {
 public:
  explicit MemoryDisk(const std::function<TorrentFiles(std::string)>& files = sample_files)
      : dir("/memory/dl"), io_(files(dir), MemoryDiskIo::Delivery::deferred) {}
  DiskIo& io() override { return io_; }
  void run() override { io_.run_pending(); }
  std::optional<std::string> file(FileIndex f) override { return io_.file_data(f); }
  void put_file(FileIndex f, const std::string& data) override { io_.set_file_data(f, data); }
  void break_writes_to(FileIndex) override {
    io_.fail_writes(Error(std::make_error_code(std::errc::not_a_directory),
                          "cannot create directory '" + dir + "/t/d/e': Not a directory"));
  }
  bool real() const override { return false; }

  std::string dir;
  MemoryDiskIo io_;
};

}  // namespace

#define BOTH RealDisk, MemoryDisk

TEST_CASE_TEMPLATE("a good piece lands at the right offsets of each file it spans", H, BOTH) {
  H h;
  h.write_ok(0);
  CHECK(h.file(FileIndex{0}) == kPayload.substr(0, 10));
  CHECK(h.file(FileIndex{1}) == kPayload.substr(10, 4));
  CHECK(h.file(FileIndex{2}) == std::string());  // the empty file exists now
  CHECK(h.file(FileIndex{3}) == kPayload.substr(14, 2));
  CHECK_FALSE(h.file(FileIndex{5}));

  h.write_ok(1);
  CHECK(h.file(FileIndex{3}) == kPayload.substr(14, 5));
  CHECK_FALSE(h.file(FileIndex{4}));  // pad files are never written

  // The last, short piece: the file is as long as its end, the unwritten start reads as zeros.
  h.write_ok(3);
  CHECK(h.file(FileIndex{5}) == std::string(16, '\0') + kPayload.substr(48, 4));
  h.write_ok(2);
  CHECK(h.file(FileIndex{5}) == kPayload.substr(32, 20));
}

TEST_CASE_TEMPLATE("a piece that fails its hash writes nothing", H, BOTH) {
  H h;
  std::string bad = piece(0);
  bad[15] ^= 1;  // the byte that would go to t/c.bin
  auto [ok, err] = h.write(0, bad);
  CHECK_FALSE(ok);
  CHECK_FALSE(err);
  for (std::uint32_t f = 0; f < kPaths.size(); ++f) CHECK_FALSE(h.file(FileIndex{f}));
  // Piece 3 is 4 bytes: a full-length buffer is not piece 3 either.
  CHECK_FALSE(h.write(3, piece(3) + "xxxxxxxxxxxx").first);
  CHECK_FALSE(h.file(FileIndex{5}));
}

TEST_CASE_TEMPLATE("read_block crosses file boundaries and reads pad as zeros", H, BOTH) {
  H h;
  // Reads serve verified pieces only: even the pad part of a piece not on disk is refused.
  CHECK_FALSE(h.read(1, 3, 13).ok());

  h.write_ok(0);
  auto across = h.read(0, 8, 8);  // a.bin, b.bin, (empty), c.bin
  REQUIRE(across.ok());
  CHECK(*across == kPayload.substr(8, 8));

  h.write_ok(1);
  auto with_pad = h.read(1, 0, 16);
  REQUIRE(with_pad.ok());
  CHECK(*with_pad == piece(1));
  CHECK(with_pad->substr(3) == std::string(13, '\0'));
}

TEST_CASE_TEMPLATE("bytes changed on disk behind our back are never served", H, BOTH) {
  H h;
  for (std::uint32_t p = 0; p < 4; ++p) h.write_ok(p);
  std::string f = *h.file(FileIndex{5});
  f.at(2) = static_cast<char>(f.at(2) ^ 0x01);  // payload byte 34: piece 2
  h.put_file(FileIndex{5}, f);
  auto bad = h.read(2, 8, 8);  // a block that does not even hold the changed byte
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().is(btd::Errc::data_corrupt));
  CHECK(contains(bad.error().message, "piece 2"));
  auto good = h.read(3, 0, 4);
  REQUIRE(good.ok());
  CHECK(*good == piece(3));
}

TEST_CASE_TEMPLATE("reading a missing or short file is an error naming its path", H, BOTH) {
  H h;
  auto missing = h.read(2, 0, 16);
  REQUIRE_FALSE(missing.ok());
  CHECK(contains(missing.error().message, h.dir + "/t/d/e/f.bin"));
  CHECK(missing.error().code == std::errc::no_such_file_or_directory);

  h.write_ok(0);  // t/c.bin holds 2 of its 5 bytes
  auto short_read = h.read(1, 0, 3);
  REQUIRE_FALSE(short_read.ok());
  CHECK(contains(short_read.error().message, h.dir + "/t/c.bin"));
  CHECK(contains(short_read.error().message, "is 2 bytes"));
}

TEST_CASE_TEMPLATE("a block outside its piece is refused", H, BOTH) {
  H h;
  h.write_ok(0);
  CHECK(h.read(0, 10, 7).error().is(Errc::invalid_argument));
  CHECK(h.read(3, 0, 5).error().is(Errc::invalid_argument));
  CHECK(h.read(4, 0, 1).error().is(Errc::invalid_argument));
}

TEST_CASE_TEMPLATE("check finds exactly the pieces written", H, BOTH) {
  H h;
  h.write_ok(0);
  h.write_ok(2);
  std::vector<std::uint32_t> progress;
  auto have = h.check(&progress);
  REQUIRE(have.ok());
  CHECK(have->size() == 4);
  CHECK(have->count() == 2);
  CHECK(have->get(std::size_t{0}));
  CHECK(have->get(std::size_t{2}));
  REQUIRE_FALSE(progress.empty());
  CHECK(progress.back() == 4);
}

TEST_CASE_TEMPLATE("check marks a piece with a corrupted byte missing", H, BOTH) {
  H h;
  for (std::uint32_t p = 0; p < 4; ++p) h.write_ok(p);
  auto all = h.check();
  REQUIRE(all.ok());
  CHECK(all->all());

  std::string f = *h.file(FileIndex{5});
  REQUIRE(f.size() == 20);
  f.at(17) = static_cast<char>(f.at(17) ^ 0x20);  // payload byte 49: piece 3
  h.put_file(FileIndex{5}, f);
  auto have = h.check();
  REQUIRE(have.ok());
  CHECK(have->count() == 3);
  CHECK_FALSE(have->get(std::size_t{3}));
}

TEST_CASE_TEMPLATE("check of a short file marks only the pieces it cannot fill", H, BOTH) {
  H h;
  for (std::uint32_t p = 0; p < 4; ++p) h.write_ok(p);
  h.put_file(FileIndex{5}, kPayload.substr(32, 18));
  auto have = h.check();
  REQUIRE(have.ok());
  CHECK(have->count() == 3);
  CHECK_FALSE(have->get(std::size_t{3}));
}

TEST_CASE_TEMPLATE("check_pieces hashes only its ranges and keeps the known bits elsewhere", H, BOTH) {
  H h;
  h.write_ok(0);
  h.write_ok(3);
  // Known claims pieces 1 and 2 (say, from resume data); only [2, 4) is re-checked.
  Bitfield known(4);
  known.set(std::size_t{1});
  known.set(std::size_t{2});
  std::vector<std::uint32_t> progress;
  auto have = h.check_pieces(known, {{2, 4}}, &progress);
  REQUIRE(have.ok());
  CHECK_FALSE(have->get(std::size_t{0}));  // outside the range: known said no, so no
  CHECK(have->get(std::size_t{1}));        // outside the range: kept without hashing
  CHECK_FALSE(have->get(std::size_t{2}));  // inside: not on disk
  CHECK(have->get(std::size_t{3}));        // inside: verified
  REQUIRE_FALSE(progress.empty());
  CHECK(progress.back() == 4);

  // No ranges at all: the answer is `known`, still delivered through a callback.
  auto same = h.check_pieces(known, {});
  REQUIRE(same.ok());
  CHECK(*same == known);
}

TEST_CASE_TEMPLATE("sync_and_stamp: sizes of the files there, nothing for absent and pad files", H, BOTH) {
  H h;
  auto before = h.stamp(true);
  REQUIRE(before.ok());
  REQUIRE(before->size() == 6);
  for (const FileStamp& s : *before) CHECK_FALSE(s.exists);
  h.write_ok(2);
  auto after = h.stamp(true);
  REQUIRE(after.ok());
  CHECK_FALSE((*after)[0].exists);
  CHECK_FALSE((*after)[4].exists);  // pad
  REQUIRE((*after)[5].exists);
  CHECK((*after)[5].size == 16);
  // A later write to the same file changes its stamp: that is what forces a re-check.
  h.write_ok(3);
  auto later = h.stamp(false);
  REQUIRE(later.ok());
  CHECK((*later)[5].size == 20);
  CHECK((*later)[5] != (*after)[5]);
  // Nothing changed: the same stamps again.
  auto again = h.stamp(false);
  REQUIRE(again.ok());
  CHECK(*again == *later);
}

TEST_CASE_TEMPLATE("check with no files is an empty bitfield, not an error", H, BOTH) {
  H h;
  auto have = h.check();
  REQUIRE(have.ok());
  CHECK(have->size() == 4);
  CHECK(have->none());
}

TEST_CASE_TEMPLATE("remove_files deletes every file of the torrent", H, BOTH) {
  H h;
  for (std::uint32_t p = 0; p < 4; ++p) h.write_ok(p);
  auto removed = h.remove();
  REQUIRE_MESSAGE(removed.ok(), (removed.ok() ? "" : removed.error().message));
  for (std::uint32_t f = 0; f < kPaths.size(); ++f) CHECK_FALSE(h.file(FileIndex{f}));
  // And the torrent can be downloaded again afterwards.
  h.write_ok(0);
  CHECK(h.file(FileIndex{0}) == kPayload.substr(0, 10));
}

TEST_CASE_TEMPLATE("a failed write reports the path, after a good hash", H, BOTH) {
  H h;
  h.break_writes_to(FileIndex{5});
  auto [ok, err] = h.write(2, piece(2));
  CHECK(ok);
  REQUIRE(err);
  CHECK(contains(err->message, h.dir + "/t/d"));
  CHECK(contains(err->message, "Not a directory"));
  CHECK(err->code == std::errc::not_a_directory);
}

TEST_CASE_TEMPLATE("no callback runs after close, with jobs in flight", H, BOTH) {
  H h;
  int calls = 0;
  for (std::uint32_t i = 0; i < 20; ++i)
    h.io().verify_and_write(PieceIndex{i % 4}, piece(i % 4), [&](bool, std::optional<Error>) { ++calls; });
  h.io().read_block(PieceIndex{0}, 0, 16, [&](Result<std::string>) { ++calls; });
  h.io().check([&](std::uint32_t) { ++calls; }, [&](Result<Bitfield>) { ++calls; });
  h.io().remove_files([&](Result<void>) { ++calls; });
  CHECK(h.io().pending() > 0);
  h.io().close();
  h.run();
  CHECK(calls == 0);
  // Calls after close are ignored too.
  h.io().read_block(PieceIndex{0}, 0, 16, [&](Result<std::string>) { ++calls; });
  h.run();
  CHECK(calls == 0);
}

TEST_CASE_TEMPLATE("close from inside a callback stops the rest", H, BOTH) {
  H h;
  int calls = 0;
  for (std::uint32_t i = 0; i < 10; ++i)
    h.io().read_block(PieceIndex{1}, 3, 13, [&](Result<std::string>) {
      ++calls;
      h.io().close();
    });
  h.run();
  CHECK(calls == 1);
}

TEST_CASE_TEMPLATE("blocks of a piece asked for together are each answered with their own bytes, in order", H, BOTH) {
  H h;
  for (std::uint32_t p = 0; p < 4; ++p) h.write_ok(p);
  std::vector<std::string> got;
  std::optional<Result<std::string>> asked_from_callback;
  for (std::uint32_t i = 0; i < 16; ++i) {
    const std::uint32_t p = i % 2, begin = i / 2;
    h.io().read_block(PieceIndex{p}, begin, 8 - begin % 8, [&, p, begin](Result<std::string> r) {
      REQUIRE(r.ok());
      CHECK(*r == piece(p).substr(begin, 8 - begin % 8));
      got.push_back(std::to_string(p) + ":" + std::to_string(begin));
      // The engine asks for the next block while being answered: served too, not lost.
      if (got.size() == 1)
        h.io().read_block(PieceIndex{0}, 15, 1, [&](Result<std::string> more) { asked_from_callback = std::move(more); });
    });
  }
  h.run();
  REQUIRE(got.size() == 16);
  std::vector<std::string> piece0(got.begin(), got.end());
  std::erase_if(piece0, [](const std::string& g) { return g[0] != '0'; });
  CHECK(piece0 == std::vector<std::string>{"0:0", "0:1", "0:2", "0:3", "0:4", "0:5", "0:6", "0:7"});
  REQUIRE(asked_from_callback);
  REQUIRE(asked_from_callback->ok());
  CHECK(**asked_from_callback == piece(0).substr(15, 1));
  CHECK(h.io().pending() == 0);
}

TEST_CASE_TEMPLATE("pending counts queued jobs until they call back", H, BOTH) {
  H h;
  CHECK(h.io().pending() == 0);
  int calls = 0;
  for (int i = 0; i < 3; ++i) h.io().read_block(PieceIndex{1}, 3, 13, [&](Result<std::string>) { ++calls; });
  CHECK(h.io().pending() == 3);
  h.run();
  CHECK(calls == 3);
  CHECK(h.io().pending() == 0);
}

TEST_CASE_TEMPLATE("a cancelled check never calls back; the next one does", H, BOTH) {
  H h;
  h.write_ok(0);
  bool done = false;
  h.io().check([](std::uint32_t) {}, [&](Result<Bitfield>) { done = true; });
  h.io().cancel_check();
  h.run();
  CHECK_FALSE(done);
  auto have = h.check();
  REQUIRE(have.ok());
  CHECK(have->count() == 1);
}

TEST_CASE_TEMPLATE("a path that would leave the download dir makes every operation fail", H, BOTH) {
  H h([](std::string dir) {
    auto paths = kPaths;
    paths[1] = "t/../../escaped";
    return make_files(std::move(dir), kFiles, paths, kPieceLength, kPayload);
  });
  auto [ok, err] = h.write(0, piece(0));
  CHECK_FALSE(ok);
  REQUIRE(err);
  CHECK(err->is(Errc::unsafe_path));
  CHECK(h.read(0, 0, 16).error().is(Errc::unsafe_path));
  CHECK(h.check().error().is(Errc::unsafe_path));
  CHECK(h.remove().error().is(Errc::unsafe_path));
  for (std::uint32_t f = 0; f < kPaths.size(); ++f) CHECK_FALSE(h.file(FileIndex{f}));
}

TEST_CASE("make_memory_disk_io calls back from inside the call") {
  auto io = make_memory_disk_io(sample_files("/memory/dl"));
  bool ok = false;
  io->verify_and_write(PieceIndex{0}, piece(0), [&](bool hash_ok, std::optional<Error> e) { ok = hash_ok && !e; });
  CHECK(ok);
  std::optional<std::string> got;
  io->read_block(PieceIndex{0}, 0, 16, [&](Result<std::string> r) { got = *r; });
  CHECK(got == piece(0));
  CHECK(io->pending() == 0);
}

// Real files only from here on.

TEST_CASE("a failed hash creates no directory either") {
  RealDisk h;
  std::string bad = piece(2);
  bad[0] ^= 1;
  CHECK_FALSE(h.write(2, bad).first);
  CHECK(std::filesystem::is_empty(h.dir));
}

TEST_CASE("writes queued before a removal never bring the deleted files back") {
  // torrent.remove --delete-data while pieces are being written: whichever order the pool
  // threads run them in, nothing of the torrent is left afterwards.
  for (int round = 0; round < 20; ++round) {
    RealDisk h;
    h.write_ok(0);
    int answers = 0;
    for (std::uint32_t p = 0; p < 4; ++p)
      h.io().verify_and_write(PieceIndex{p}, piece(p), [&](bool, std::optional<Error>) { ++answers; });
    std::optional<Result<void>> removed;
    h.io().remove_files([&](Result<void> r) { removed.emplace(std::move(r)); });
    h.run();
    REQUIRE(removed);
    REQUIRE(removed->ok());
    CHECK(answers == 4);
    for (std::uint32_t f = 0; f < kPaths.size(); ++f) CHECK_FALSE(h.file(FileIndex{f}));
  }
}

TEST_CASE("remove_files keeps foreign files, their directories and the download dir") {
  RealDisk h;
  for (std::uint32_t p = 0; p < 4; ++p) h.write_ok(p);
  write_posix(h.dir + "/t/sub/notes.txt", "mine");
  write_posix(h.dir + "/other.txt", "also mine");
  REQUIRE(h.remove().ok());
  namespace fs = std::filesystem;
  CHECK_FALSE(fs::exists(h.dir + "/t/a.bin"));
  CHECK_FALSE(fs::exists(h.dir + "/t/empty"));
  CHECK_FALSE(fs::exists(h.dir + "/t/d"));  // t/d/e and t/d were emptied: gone
  CHECK_FALSE(fs::exists(h.dir + "/t/sub/b.bin"));
  CHECK(read_posix(h.dir + "/t/sub/notes.txt") == "mine");
  CHECK(read_posix(h.dir + "/other.txt") == "also mine");
  CHECK(fs::is_directory(h.dir));
}

TEST_CASE("remove_files of an emptied torrent removes its top directory but not the download dir") {
  RealDisk h;
  for (std::uint32_t p = 0; p < 4; ++p) h.write_ok(p);
  REQUIRE(h.remove().ok());
  CHECK(std::filesystem::is_directory(h.dir));
  CHECK(std::filesystem::is_empty(h.dir));
}

TEST_CASE("a symlink where a torrent file goes is not followed") {
  RealDisk h;
  const std::string outside = h.tmp.path + "/outside";
  write_posix(outside, "precious");
  REQUIRE(::mkdir((h.dir + "/t").c_str(), 0755) == 0);
  REQUIRE(::symlink(outside.c_str(), (h.dir + "/t/a.bin").c_str()) == 0);
  auto [ok, err] = h.write(0, piece(0));
  CHECK(ok);
  REQUIRE(err);
  CHECK(contains(err->message, h.dir + "/t/a.bin"));
  CHECK(contains(err->message, "symbolic link"));
  CHECK(read_posix(outside) == "precious");
  // Reads refuse it as well.
  auto r = h.read(0, 0, 4);
  REQUIRE_FALSE(r.ok());
  CHECK(contains(r.error().message, "symbolic link"));
}

TEST_CASE("a directory on the way that became a symlink does not redirect writes") {
  RealDisk h;
  TempDir outside;
  REQUIRE(::mkdir((h.dir + "/t").c_str(), 0755) == 0);
  REQUIRE(::symlink(outside.path.c_str(), (h.dir + "/t/sub").c_str()) == 0);  // t/sub -> outside
  auto [ok, err] = h.write(0, piece(0));  // piece 0 covers t/sub/b.bin
  CHECK(ok);
  REQUIRE(err);
  CHECK(contains(err->message, "symbolic link"));
  CHECK(std::filesystem::is_empty(outside.path));
}

TEST_CASE("a read-only directory makes the write fail with EACCES and the path") {
  if (::geteuid() == 0) {
    MESSAGE("running as root, which ignores permissions; the ENOTDIR case covers write errors");
    return;
  }
  RealDisk h;
  REQUIRE(::mkdir((h.dir + "/t").c_str(), 0555) == 0);
  auto [ok, err] = h.write(0, piece(0));
  ::chmod((h.dir + "/t").c_str(), 0755);
  CHECK(ok);
  REQUIRE(err);
  CHECK(err->code == std::errc::permission_denied);
  CHECK(contains(err->message, h.dir + "/t/"));
}

TEST_CASE("a written file is sparse: nothing is preallocated") {
  // A torrent of one 64 MiB file; write only its last 16 KiB piece.
  const std::int64_t piece_length = 16 * 1024;
  const std::int64_t size = std::int64_t{64} * 1024 * 1024;
  std::string last(static_cast<std::size_t>(piece_length), 'z');
  RealDisk big([&](std::string dir) {
    auto layout = StorageLayout::create({{size, false}}, piece_length);
    REQUIRE(layout.ok());
    std::string hashes(static_cast<std::size_t>(layout->piece_count()) * 20, '\0');
    const std::string h_last(sha1(last).view());
    hashes.replace(hashes.size() - 20, 20, h_last);
    return TorrentFiles{std::move(dir), {"big.bin"}, *layout, hashes};
  });
  const std::uint32_t last_piece = static_cast<std::uint32_t>(size / piece_length) - 1;
  auto [ok, err] = big.write(last_piece, last);
  REQUIRE(ok);
  REQUIRE(!err);
  struct stat st {};
  REQUIRE(::stat((big.dir + "/big.bin").c_str(), &st) == 0);
  CHECK(st.st_size == size);
  CHECK(st.st_blocks * 512 < 1024 * 1024);
}

TEST_CASE("check splits a big torrent over several jobs and reports progress") {
  const std::int64_t piece_length = 16 * 1024;
  const std::uint32_t pieces = 64;
  std::string payload(static_cast<std::size_t>(piece_length) * pieces, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>((i * 131) >> 3);
  RealDisk h([&](std::string dir) {
    return make_files(std::move(dir), {{static_cast<std::int64_t>(payload.size()), false}}, {"one/file.bin"},
                      piece_length, payload);
  });
  write_posix(h.dir + "/one/file.bin", payload);
  std::string f = payload;
  f[40 * piece_length + 100] ^= 1;
  write_posix(h.dir + "/one/file.bin", f);

  std::vector<std::uint32_t> progress;
  std::optional<Result<Bitfield>> got;
  h.io().check([&](std::uint32_t n) { progress.push_back(n); }, [&](Result<Bitfield> r) { got.emplace(std::move(r)); });
  CHECK(h.io().pending() > 1);  // several range jobs at once
  h.run();
  REQUIRE(got);
  REQUIRE(got->ok());
  CHECK((*got)->count() == pieces - 1);
  CHECK_FALSE((*got)->get(std::size_t{40}));
  CHECK(progress.size() > 1);
  CHECK(std::is_sorted(progress.begin(), progress.end()));
  CHECK(progress.back() == pieces);
}

TEST_CASE("a skipped zero-length file is not created by its piece; wanted again, it is") {
  namespace fs = std::filesystem;
  RealDisk h;
  std::vector<bool> skipped(kPaths.size(), false);
  skipped[2] = true;  // t/empty
  h.io().set_skipped_files(skipped, Bitfield(4));
  h.run();
  CHECK(h.write(0, piece(0)).first);
  CHECK(fs::exists(h.dir + "/t/a.bin"));
  CHECK_FALSE(fs::exists(h.dir + "/t/empty"));
  // Wanted again with its piece already in: created at once, no piece written again.
  Bitfield have(4);
  have.set(std::size_t{0});
  h.io().set_skipped_files(std::vector<bool>(kPaths.size(), false), have);
  h.run();
  CHECK(fs::exists(h.dir + "/t/empty"));
  CHECK(fs::file_size(h.dir + "/t/empty") == 0);
}
