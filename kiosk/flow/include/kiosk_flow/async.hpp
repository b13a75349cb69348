#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "kiosk_flow/wake.hpp"

namespace kiosk::flow {

// Runs jobs one after another on its own thread and hands each result back through a
// queue that the UI thread polls once per frame. The UI thread never waits for a job, and
// is woken (wake_ui) when a result is ready, so it may sleep until then.
template <typename Result>
class AsyncWorker {
 public:
  AsyncWorker() : thread_([this] { run(); }) {}
  ~AsyncWorker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  AsyncWorker(const AsyncWorker&) = delete;
  AsyncWorker& operator=(const AsyncWorker&) = delete;

  void post(std::function<Result()> job) {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
  }

  // The oldest finished result, if any. Never blocks.
  std::optional<Result> poll() {
    std::lock_guard lock(mutex_);
    if (results_.empty()) return std::nullopt;
    Result r = std::move(results_.front());
    results_.pop_front();
    return r;
  }

  bool busy() const {
    std::lock_guard lock(mutex_);
    return running_ || !jobs_.empty();
  }

 private:
  void run() {
    for (;;) {
      std::function<Result()> job;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (stopping_) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
        running_ = true;
      }
      Result result = job();
      {
        std::lock_guard lock(mutex_);
        running_ = false;
        results_.push_back(std::move(result));
      }
      wake_ui();
    }
  }

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<Result()>> jobs_;
  std::deque<Result> results_;
  bool stopping_ = false;
  bool running_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

}  // namespace kiosk::flow
