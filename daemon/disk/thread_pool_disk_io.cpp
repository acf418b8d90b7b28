// DiskIo on libuv's thread pool. The DiskIo object and every job share one state block (owned
// by shared_ptr): a job holds it until its after-work callback has run on the loop thread, so the
// DiskIo may be destroyed with jobs in flight. Those jobs see `closed` and drop their results;
// the uv_work_t memory is freed in the after-work callback, as libuv requires.
#include <atomic>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "daemon/disk/disk_io.hpp"
#include "daemon/disk/file_storage.hpp"

namespace btd::daemon {

namespace {

// Check jobs in flight at once: enough to use several cores on cached data, one thread short of
// libuv's default pool of 4 so writes and reads of other torrents still get through.
constexpr std::size_t kCheckJobs = 3;
// Bytes hashed per check job: small enough for regular progress, big enough to amortize a job.
constexpr std::int64_t kCheckJobBytes = std::int64_t{8} * 1024 * 1024;

struct Shared {
  Shared(uv_loop_t* l, TorrentFiles files) : loop(l), storage(std::move(files)) {}
  uv_loop_t* loop;
  FileStorage storage;
  std::atomic<bool> closed{false};
  std::atomic<std::uint64_t> check_generation{0};
  // Loop thread only.
  std::unordered_set<uv_work_t*> jobs;
  // Block reads waiting for their piece, by piece: the first read of a piece queues one job that
  // reads and verifies the whole piece, and every block of it asked for before that job is
  // answered rides along. A peer asks for a piece's blocks one after the other; one job per
  // block had up to four pool threads hashing the same piece at once, and a thread hop each.
  struct BlockRead {
    std::uint32_t begin = 0;
    std::uint32_t length = 0;
    std::function<void(Result<std::string>)> done;
  };
  std::unordered_map<std::uint32_t, std::vector<BlockRead>> reads_waiting;
  std::size_t block_reads_waiting = 0;  // over all pieces
};

// One uv_queue_work job: `work` runs on a pool thread, `done` on the loop thread with its result
// unless the DiskIo was closed meanwhile. Both closures are destroyed on the loop thread.
template <class R>
struct Job {
  uv_work_t req{};
  std::shared_ptr<Shared> shared;
  std::function<R(FileStorage&)> work;
  std::function<void(R)> done;
  std::optional<R> result;

  static void run(uv_work_t* req) {
    auto* job = static_cast<Job*>(req->data);
    if (job->shared->closed.load()) return;
    job->result.emplace(job->work(job->shared->storage));
  }

  static void after(uv_work_t* req, int status) {
    std::unique_ptr<Job> job(static_cast<Job*>(req->data));
    job->shared->jobs.erase(req);
    if (status == UV_ECANCELED || job->shared->closed.load() || !job->result) return;
    job->done(std::move(*job->result));
  }
};

template <class R>
void submit(const std::shared_ptr<Shared>& shared, std::function<R(FileStorage&)> work,
            std::function<void(R)> done) {
  if (shared->closed.load()) return;
  auto job = std::make_unique<Job<R>>();
  job->req.data = job.get();
  job->shared = shared;
  job->work = std::move(work);
  job->done = std::move(done);
  // Fails only for a null after-work callback, which this is not.
  if (uv_queue_work(shared->loop, &job->req, &Job<R>::run, &Job<R>::after) != 0) return;
  shared->jobs.insert(&job->req);
  job.release();
}

struct WriteOutcome {
  bool hash_ok = false;
  std::optional<Error> error;
};

struct CheckChunk {
  std::uint32_t first = 0;
  std::vector<bool> have;  // one per piece checked; shorter than the range when cancelled
  std::optional<Error> error;
};

// One check() run, on the loop thread: launches range jobs, merges their answers.
struct CheckRun {
  std::shared_ptr<Shared> shared;
  std::uint64_t generation = 0;
  std::function<void(std::uint32_t)> progress;
  std::function<void(Result<Bitfield>)> done;
  Bitfield have;
  std::vector<PieceRange> ranges;  // what to hash
  std::size_t range = 0;           // the range `next` is in
  std::uint32_t next = 0;          // first piece not handed to a job yet
  std::uint32_t chunk = 1;       // pieces per job
  std::uint32_t checked = 0;      // pieces done, those outside the ranges included
  std::size_t in_flight = 0;
  std::optional<Error> error;

  bool cancelled() const { return shared->closed.load() || shared->check_generation.load() != generation; }

  static void launch(const std::shared_ptr<CheckRun>& run) {
    while (run->in_flight < kCheckJobs && run->range < run->ranges.size() && !run->error) {
      const PieceRange& r = run->ranges[run->range];
      const std::uint32_t first = std::max(run->next, r.first);
      const std::uint32_t last = first + std::min(run->chunk, r.last - first);
      run->next = last;
      if (last >= r.last) ++run->range;
      ++run->in_flight;
      const std::uint64_t generation = run->generation;
      std::shared_ptr<Shared> shared = run->shared;
      submit<CheckChunk>(
          shared,
          [first, last, generation, raw = shared.get()](FileStorage& storage) {
            CheckChunk out;
            out.first = first;
            out.have.reserve(last - first);
            std::string buffer;
            for (std::uint32_t p = first; p < last; ++p) {
              if (raw->closed.load() || raw->check_generation.load() != generation) break;
              auto state = storage.check_piece(PieceIndex{p}, buffer);
              if (!state.ok()) {
                out.error = state.error();
                break;
              }
              out.have.push_back(*state == FileStorage::PieceState::have);
            }
            return out;
          },
          [run](CheckChunk c) { finish_chunk(run, std::move(c)); });
    }
  }

  static void finish_chunk(const std::shared_ptr<CheckRun>& run, CheckChunk c) {
    --run->in_flight;
    if (run->cancelled()) return;
    for (std::size_t i = 0; i < c.have.size(); ++i)
      if (c.have[i]) run->have.set(std::size_t{c.first} + i);
    run->checked += static_cast<std::uint32_t>(c.have.size());
    if (c.error && !run->error) run->error = std::move(c.error);
    if (!run->error) {
      run->progress(run->checked);
      // The callback may have closed us or cancelled this check.
      if (run->cancelled()) return;
      launch(run);
    }
    if (run->in_flight > 0) return;
    if (run->error) {
      run->done(*run->error);
    } else {
      run->done(std::move(run->have));
    }
  }
};

class ThreadPoolDiskIo final : public DiskIo {
 public:
  ThreadPoolDiskIo(uv_loop_t* loop, TorrentFiles files)
      : shared_(std::make_shared<Shared>(loop, std::move(files))) {}
  ~ThreadPoolDiskIo() override { close(); }
  ThreadPoolDiskIo(const ThreadPoolDiskIo&) = delete;
  ThreadPoolDiskIo& operator=(const ThreadPoolDiskIo&) = delete;

  void verify_and_write(PieceIndex piece, std::string data,
                        std::function<void(bool, std::optional<Error>)> done) override {
    submit<WriteOutcome>(
        shared_,
        [piece, data = std::move(data), generation = shared_->storage.removal_generation()](FileStorage& storage) {
          WriteOutcome out;
          if (auto& bad = storage.setup_error()) {
            out.error = *bad;
            return out;
          }
          out.hash_ok = storage.hash_matches(piece, data);
          if (!out.hash_ok) return out;
          if (auto written = storage.write_piece(piece, data, generation); !written.ok()) out.error = written.error();
          return out;
        },
        [done = std::move(done)](WriteOutcome out) { done(out.hash_ok, std::move(out.error)); });
  }

  void read_block(PieceIndex piece, std::uint32_t begin, std::uint32_t length,
                  std::function<void(Result<std::string>)> done) override {
    if (shared_->closed.load()) return;
    const StorageLayout& layout = shared_->storage.files().layout;
    if (piece.get() >= layout.piece_count() || length == 0 ||
        std::int64_t{begin} + length > layout.piece_size(piece)) {
      // Refused before any read; answered through the pool like any read, never from inside.
      Error bad(Errc::invalid_argument, "block at " + std::to_string(begin) + "+" + std::to_string(length) +
                                            " is outside piece " + std::to_string(piece.get()));
      submit<Result<std::string>>(
          shared_, [bad = std::move(bad)](FileStorage&) { return Result<std::string>(bad); }, std::move(done));
      return;
    }
    auto [waiting, first] = shared_->reads_waiting.try_emplace(piece.get());
    waiting->second.push_back({begin, length, std::move(done)});
    ++shared_->block_reads_waiting;
    if (!first) return;
    using Piece = Result<std::shared_ptr<const std::string>>;
    submit<Piece>(
        shared_, [piece](FileStorage& storage) { return storage.read_verified_piece(piece); },
        [shared = shared_.get(), piece](Piece whole) {
          // Taken out first: answering a block makes the engine ask for more, which may queue
          // a new job for this same piece.
          auto node = shared->reads_waiting.extract(piece.get());
          if (node.empty()) return;
          shared->block_reads_waiting -= node.mapped().size();
          for (Shared::BlockRead& read : node.mapped()) {
            if (shared->closed.load()) return;
            if (whole) {
              read.done((*whole)->substr(read.begin, read.length));  // bounds checked when asked
            } else {
              read.done(whole.error());
            }
          }
        });
  }

  void check(std::function<void(std::uint32_t)> progress, std::function<void(Result<Bitfield>)> done) override {
    const std::uint32_t count = shared_->storage.files().layout.piece_count();
    std::vector<PieceRange> all;
    if (count > 0) all.push_back({0, count});
    check_pieces(Bitfield(count), std::move(all), std::move(progress), std::move(done));
  }

  void check_pieces(Bitfield known, std::vector<PieceRange> ranges, std::function<void(std::uint32_t)> progress,
                    std::function<void(Result<Bitfield>)> done) override {
    if (shared_->closed.load()) return;
    auto run = std::make_shared<CheckRun>();
    run->shared = shared_;
    run->generation = shared_->check_generation.load();
    run->progress = std::move(progress);
    run->done = std::move(done);
    const StorageLayout& layout = shared_->storage.files().layout;
    const std::uint32_t count = layout.piece_count();
    run->have = known.size() == count ? std::move(known) : Bitfield(count);
    std::uint32_t to_hash = 0;
    for (const PieceRange& r : ranges) {
      if (r.first >= r.last || r.last > count) continue;
      run->ranges.push_back(r);
      to_hash += r.last - r.first;
      for (std::uint32_t p = r.first; p < r.last; ++p) run->have.set(std::size_t{p}, false);
    }
    run->checked = count - to_hash;
    // Pieces per job: about kCheckJobBytes, and at most a kCheckJobs-th of the torrent so a
    // small torrent still spreads over several threads.
    const std::int64_t by_bytes = std::max<std::int64_t>(1, kCheckJobBytes / layout.piece_length());
    const std::int64_t by_share = (std::int64_t{to_hash} + kCheckJobs - 1) / kCheckJobs;
    run->chunk = static_cast<std::uint32_t>(std::max<std::int64_t>(1, std::min(by_bytes, by_share)));
    if (auto& bad = shared_->storage.setup_error()) {
      // Through the pool like any answer, so done never runs inside check().
      submit<Result<Bitfield>>(
          shared_, [err = *bad](FileStorage&) { return Result<Bitfield>(err); },
          [run](Result<Bitfield> r) { if (!run->cancelled()) run->done(std::move(r)); });
      return;
    }
    if (run->ranges.empty()) {
      // Nothing to hash: answer through the pool all the same, never from inside the call.
      submit<int>(shared_, [](FileStorage&) { return 0; }, [run](int) {
        if (run->cancelled()) return;
        run->progress(run->checked);
        if (!run->cancelled()) run->done(std::move(run->have));
      });
      return;
    }
    CheckRun::launch(run);
  }

  void sync_and_stamp(bool sync, std::function<void(Result<std::vector<FileStamp>>)> done) override {
    submit<Result<std::vector<FileStamp>>>(
        shared_, [sync](FileStorage& storage) { return storage.sync_and_stamp(sync); }, std::move(done));
  }

  void cancel_check() override { shared_->check_generation.fetch_add(1); }

  void set_skipped_files(std::vector<bool> skipped, Bitfield have) override {
    if (shared_->closed.load()) return;
    shared_->storage.set_skipped_files(std::move(skipped));
    submit<Result<void>>(
        shared_, [have = std::move(have)](FileStorage& storage) { return storage.create_wanted_empty_files(have); },
        [](Result<void>) {});  // a failure shows up at the next write of that piece, if ever
  }

  void remove_files(std::function<void(Result<void>)> done) override {
    shared_->storage.note_removal();
    submit<Result<void>>(shared_, [](FileStorage& storage) { return storage.remove_files(); }, std::move(done));
  }

  // Each block read counts, not the one job per piece that serves them.
  std::size_t pending() const override {
    return shared_->jobs.size() - shared_->reads_waiting.size() + shared_->block_reads_waiting;
  }

  void close() override {
    if (shared_->closed.exchange(true)) return;
    shared_->reads_waiting.clear();  // never answered now
    shared_->block_reads_waiting = 0;
    // Jobs no pool thread has picked up yet are cancelled outright (their after-work callback
    // still runs, with UV_ECANCELED); running ones finish and are dropped.
    std::vector<uv_work_t*> queued(shared_->jobs.begin(), shared_->jobs.end());
    for (uv_work_t* req : queued) uv_cancel(reinterpret_cast<uv_req_t*>(req));
  }

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace

std::unique_ptr<DiskIo> make_thread_pool_disk_io(uv_loop_t* loop, TorrentFiles files) {
  return std::make_unique<ThreadPoolDiskIo>(loop, std::move(files));
}

}  // namespace btd::daemon
