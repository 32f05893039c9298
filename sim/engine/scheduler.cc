#include "sim/engine/scheduler.h"

#include <chrono>
#include <utility>

#include "sim/base/check.h"

namespace lvlab::engine {

Scheduler::Scheduler(std::unique_ptr<Clock> clock) : clock_(std::move(clock)) {}

uint64_t Scheduler::now_ns() const { return clock_ ? clock_->NowNs() : now_ns_; }

void Scheduler::At(uint64_t time_ns, std::function<void()> fn) {
  LVLAB_CHECK(fn != nullptr) << "Scheduler::At with an empty closure";
  const uint64_t now = now_ns();
  if (time_ns < now) time_ns = now;
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
    slab_[slot] = std::move(fn);
  } else {
    LVLAB_CHECK(slab_.size() < UINT32_MAX) << "too many pending events";
    slot = static_cast<uint32_t>(slab_.size());
    slab_.push_back(std::move(fn));
  }
  Push(Entry{time_ns, next_seq_++, slot});
}

void Scheduler::After(uint64_t delay_ns, std::function<void()> fn) {
  const uint64_t now = now_ns();
  const uint64_t t = delay_ns > UINT64_MAX - now ? UINT64_MAX : now + delay_ns;
  At(t, std::move(fn));
}

void Scheduler::Push(Entry e) {
  size_t i = heap_.size();
  heap_.push_back(e);
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (!Later(heap_[parent], e)) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = e;
}

Scheduler::Entry Scheduler::PopTop() {
  const Entry top = heap_.front();
  const Entry last = heap_.back();
  heap_.pop_back();
  const size_t n = heap_.size();
  if (n == 0) return top;
  size_t i = 0;
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && Later(heap_[child], heap_[child + 1])) ++child;
    if (!Later(last, heap_[child])) break;
    heap_[i] = heap_[child];
    i = child;
  }
  heap_[i] = last;
  return top;
}

void Scheduler::Inject(std::function<void()> fn) {
  LVLAB_CHECK(fn != nullptr) << "Scheduler::Inject with an empty closure";
  {
    std::lock_guard<std::mutex> lock(inject_mu_);
    inject_queue_.push_back(std::move(fn));
    injected_.store(true, std::memory_order_release);
  }
  inject_cv_.notify_one();
}

void Scheduler::DrainInjected() {
  if (!injected_.load(std::memory_order_acquire)) return;
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(inject_mu_);
    batch.swap(inject_queue_);
    injected_.store(false, std::memory_order_relaxed);
  }
  for (auto& fn : batch) Post(std::move(fn));
}

std::vector<std::function<void()>> Scheduler::TakeInjected() {
  std::lock_guard<std::mutex> lock(inject_mu_);
  std::vector<std::function<void()>> taken;
  taken.swap(inject_queue_);
  injected_.store(false, std::memory_order_relaxed);
  return taken;
}

void Scheduler::WaitForWork(uint64_t timeout_ns) {
  if (!heap_.empty()) return;
  std::unique_lock<std::mutex> lock(inject_mu_);
  inject_cv_.wait_for(lock, std::chrono::nanoseconds(timeout_ns),
                      [this] { return !inject_queue_.empty(); });
}

bool Scheduler::SleepOrInjected(uint64_t time_ns) {
  std::unique_lock<std::mutex> lock(inject_mu_);
  while (inject_queue_.empty() && clock_->NowNs() < time_ns) {
    clock_->WaitUntilNs(time_ns, inject_cv_, lock);
  }
  return !inject_queue_.empty();
}

bool Scheduler::RunOne() {
  DrainInjected();
  if (heap_.empty()) return false;
  Entry e = PopTop();
  if (clock_) {
    if (e.time_ns > clock_->NowNs()) {
      // Work injected while waiting goes first: put the event back, keeping
      // its sequence number, and let the next RunOne take the injected work.
      if (SleepOrInjected(e.time_ns)) {
        Push(e);
        DrainInjected();
        e = PopTop();
      }
    }
  } else if (e.time_ns > now_ns_) {
    now_ns_ = e.time_ns;
  }
  // Move the closure out first: it may schedule events that grow the slab.
  std::function<void()> fn = std::move(slab_[e.slot]);
  slab_[e.slot] = nullptr;
  free_slots_.push_back(e.slot);
  ++events_run_;
  fn();
  return true;
}

uint64_t Scheduler::RunUntilIdle(uint64_t max_events) {
  uint64_t ran = 0;
  while (ran < max_events && RunOne()) ++ran;
  return ran;
}

bool Scheduler::RunUntil(const std::function<bool()>& done, uint64_t deadline_ns) {
  for (;;) {
    if (done()) return true;
    if (heap_.empty()) return false;
    if (heap_.front().time_ns > deadline_ns) {
      if (!clock_ && deadline_ns > now_ns_) now_ns_ = deadline_ns;
      return false;
    }
    RunOne();
  }
}

}  // namespace lvlab::engine
