// Scheduler: the one place where time and order are decided.
//
// Events are closures ordered by (time_ns, sequence number): two events due
// at the same time run in the order they were scheduled, so a run is a pure
// function of its inputs. In simulated mode (the default) the clock is
// virtual: it jumps to the next event's time and never reads a wall clock. In
// live mode a real Clock (NewRealClock) is supplied; an event due in the
// future makes RunOne sleep until then.
//
// Thread-safety: one engine thread owns the Scheduler and every event runs
// on it. The one exception is Inject, which any thread may call: the closure
// joins the queue as a Post at the start of the engine's next RunOne (in
// injection order), and a live-mode RunOne waiting for a future event wakes
// up for it. Nothing injects in simulated mode, so runs stay deterministic.
// Ownership: the Scheduler owns its Clock and the queued closures; a closure
// is destroyed right after it runs. Events may schedule further events and
// may call RunUntil recursively (the kernel's suspend does).
#pragma once

#include <cstddef>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <memory>
#include <vector>

namespace lvlab::engine {

// A source of time for live mode. Implementations: NewRealClock(); tests may
// supply fakes.
class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic nanoseconds since an arbitrary origin.
  virtual uint64_t NowNs() = 0;
  // Blocks the calling thread until NowNs() >= time_ns.
  virtual void SleepUntilNs(uint64_t time_ns) = 0;
  // Like SleepUntilNs, but may return early when `cv` is notified; `lock`
  // (held on entry and on return) is the mutex guarding what cv signals.
  // The default sleeps the whole time without the lock.
  virtual void WaitUntilNs(uint64_t time_ns, std::condition_variable& cv,
                           std::unique_lock<std::mutex>& lock) {
    (void)cv;
    lock.unlock();
    SleepUntilNs(time_ns);
    lock.lock();
  }
};

// A Clock over std::chrono::steady_clock, with its origin at creation.
std::unique_ptr<Clock> NewRealClock();

class Scheduler {
 public:
  // A null clock means virtual time, starting at 0.
  explicit Scheduler(std::unique_ptr<Clock> clock = nullptr);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Virtual mode: the time of the event running (or last run). Live mode:
  // the clock's current time.
  uint64_t now_ns() const;
  bool is_virtual() const { return clock_ == nullptr; }

  // Schedules fn at time_ns. A time in the past means "as soon as possible":
  // the event runs at now, after the events already due.
  void At(uint64_t time_ns, std::function<void()> fn);
  void After(uint64_t delay_ns, std::function<void()> fn);
  void Post(std::function<void()> fn) { After(0, std::move(fn)); }

  // Thread-safe: hands fn to the engine thread (see the opening comment).
  void Inject(std::function<void()> fn);
  // Thread-safe: removes and returns the closures injected but not yet
  // queued (a live machine moves them to its next boot's scheduler).
  std::vector<std::function<void()>> TakeInjected();
  // Blocks the engine thread until something is injected or timeout_ns of
  // real time passes (live mode); returns at once if events are pending.
  void WaitForWork(uint64_t timeout_ns);

  // Runs the earliest event; false if there was none.
  bool RunOne();
  // Runs events until none is left or max_events have run; returns how many ran.
  uint64_t RunUntilIdle(uint64_t max_events = UINT64_MAX);
  // Runs events until done() holds (checked before the first event and after
  // each one). Returns false if the queue empties first, or if the next event
  // is due after deadline_ns; in the latter case virtual time advances to the
  // deadline.
  bool RunUntil(const std::function<bool()>& done, uint64_t deadline_ns = UINT64_MAX);

  size_t pending() const { return heap_.size(); }
  uint64_t events_run() const { return events_run_; }

 private:
  // Heap entries are small and trivially copyable; the closures live in a
  // slab indexed by `slot` so sifting never moves a std::function.
  struct Entry {
    uint64_t time_ns;
    uint64_t seq;
    uint32_t slot;
  };
  static bool Later(const Entry& a, const Entry& b) {
    return a.time_ns != b.time_ns ? a.time_ns > b.time_ns : a.seq > b.seq;
  }
  void Push(Entry e);
  Entry PopTop();
  // Moves injected closures into the queue as Posts.
  void DrainInjected();
  // Live mode: sleeps until time_ns or an injection; true if woken early.
  bool SleepOrInjected(uint64_t time_ns);

  std::unique_ptr<Clock> clock_;
  uint64_t now_ns_ = 0;  // virtual time
  uint64_t next_seq_ = 0;
  uint64_t events_run_ = 0;
  std::vector<Entry> heap_;  // binary min-heap on (time_ns, seq)
  std::vector<std::function<void()>> slab_;
  std::vector<uint32_t> free_slots_;

  std::atomic<bool> injected_{false};  // fast check without the mutex
  std::mutex inject_mu_;
  std::condition_variable inject_cv_;
  std::vector<std::function<void()>> inject_queue_;  // guarded by inject_mu_
};

}  // namespace lvlab::engine
