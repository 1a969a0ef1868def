#include "core/pch.h"
#include "core/compute_thread.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace latent {
namespace {

class ComputeThread {
 public:
  ComputeThread() : thread_([this] { Loop(); }) { thread_.detach(); }

  void Post(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    ready_.notify_one();
  }

 private:
  void Loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return !jobs_.empty(); });
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();  // jobs catch their own exceptions
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::thread thread_;
};

}  // namespace

void PostCompute(std::function<void()> job) {
  // Never destroyed: the thread lives as long as the process (a detached thread must not outlive its queue).
  static auto* compute = new ComputeThread();
  compute->Post(std::move(job));
}

}  // namespace latent
