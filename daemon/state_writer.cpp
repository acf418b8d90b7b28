#include "daemon/state_writer.hpp"

#include <cassert>

namespace btd::daemon {

StateWriter::~StateWriter() {
  // The session waits for idle() before the loop is closed; a job still on the pool here would
  // call back into freed memory.
  assert(!running_);
}

void StateWriter::enqueue(Work work, Done done) {
  queue_.push_back(Job{std::move(work), std::move(done), {}});
  if (!running_) start_next();
}

void StateWriter::when_idle(std::function<void()> idle) {
  if (this->idle()) {
    idle();
    return;
  }
  idle_waiters_.push_back(std::move(idle));
}

void StateWriter::start_next() {
  if (queue_.empty()) {
    auto waiters = std::move(idle_waiters_);
    idle_waiters_.clear();
    for (auto& w : waiters) w();
    return;
  }
  current_ = std::move(queue_.front());
  queue_.pop_front();
  running_ = true;
  req_.data = this;
  const int queued = uv_queue_work(
      loop_, &req_,
      [](uv_work_t* req) {
        auto* self = static_cast<StateWriter*>(req->data);
        self->current_.result = self->current_.work();
      },
      [](uv_work_t* req, int) {
        auto* self = static_cast<StateWriter*>(req->data);
        self->running_ = false;
        Job job = std::move(self->current_);
        if (job.done) job.done(std::move(job.result));
        if (!self->running_) self->start_next();
      });
  if (queued != 0) {
    // Only a null callback makes uv_queue_work fail; run inline rather than lose the write.
    running_ = false;
    Job job = std::move(current_);
    job.result = job.work();
    if (job.done) job.done(std::move(job.result));
    start_next();
  }
}

}  // namespace btd::daemon
