// IoThreads: live mode's I/O threads, a small pool that runs closures in
// the order they were handed over (FIFO; with several threads, neighbours
// overlap). The Scheduler hands it the data work of large disk I/O
// (Scheduler::Offload), so that a pvmove's copy and 1 MiB writes do not
// hold the engine thread while they move bytes (see disk_device.h).
// Simulated mode never has one: nothing leaves the engine thread there.
//
// Thread-safety: Run and Drain from any thread but the pool's own; the
// closures run on the pool's threads. The destructor drains, then joins.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lvlab::engine {

class IoThreads {
 public:
  // REQUIRES: threads >= 1.
  explicit IoThreads(size_t threads);
  ~IoThreads();
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  void Run(std::function<void()> work);
  // Returns once no closure is queued or running. Only useful where
  // nothing hands over more meanwhile (the engine thread offloads; it is
  // the one that drains).
  void Drain();

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable work_cv_;  // queue_ grew, or stopping_
  std::condition_variable idle_cv_;  // busy_ reached 0
  std::deque<std::function<void()>> queue_;
  size_t busy_ = 0;  // closures queued or running
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace lvlab::engine
