#include "sim/engine/io_threads.h"

#include <utility>

#include "sim/base/check.h"

namespace lvlab::engine {

IoThreads::IoThreads(size_t threads) {
  LVLAB_CHECK(threads >= 1) << "IoThreads needs a thread";
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

IoThreads::~IoThreads() {
  Drain();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void IoThreads::Run(std::function<void()> work) {
  LVLAB_CHECK(work != nullptr) << "IoThreads::Run with an empty closure";
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(work));
    ++busy_;
  }
  work_cv_.notify_one();
}

void IoThreads::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_cv_.wait(lock, [this] { return busy_ == 0; });
}

void IoThreads::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left
    std::function<void()> work = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    work();
    work = nullptr;  // its captures die off the lock
    lock.lock();
    if (--busy_ == 0) idle_cv_.notify_all();
  }
}

}  // namespace lvlab::engine
