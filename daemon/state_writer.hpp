#pragma once
// Runs the state dir's blocking writes (fsync, rename) on libuv's thread pool, one at a time and
// in the order given, so that a torrent's removal can never be overtaken by an older save of
// its resume data, and the loop thread never waits for a disk. Callbacks run on the loop thread.
#include <uv.h>

#include <deque>
#include <functional>

#include "core/util/result.hpp"

namespace btd::daemon {

class StateWriter {
 public:
  using Work = std::function<Result<void>()>;
  using Done = std::function<void(Result<void>)>;

  explicit StateWriter(uv_loop_t* loop) : loop_(loop) {}
  ~StateWriter();
  StateWriter(const StateWriter&) = delete;
  StateWriter& operator=(const StateWriter&) = delete;

  // `work` runs on a pool thread after every job queued before it has finished.
  void enqueue(Work work, Done done = {});
  // Runs `idle` once nothing is queued or running (at once if that is now).
  void when_idle(std::function<void()> idle);
  bool idle() const { return !running_ && queue_.empty(); }
  std::size_t queued() const { return queue_.size() + (running_ ? 1 : 0); }

 private:
  struct Job {
    Work work;
    Done done;
    Result<void> result;
  };
  void start_next();

  uv_loop_t* loop_;
  std::deque<Job> queue_;
  Job current_;
  uv_work_t req_{};
  bool running_ = false;
  std::vector<std::function<void()>> idle_waiters_;
};

}  // namespace btd::daemon
