// Benchmark (ctest label bench): scheduler events per second.
//
// "Simple events": 1,000 timers, each event re-arming its own timer after a
// pseudo-random delay of 1 to 1,000 ns, as bio completions and poll ticks
// do. The same workload runs on engine::Scheduler and, side by side, on a
// bare std::priority_queue of std::function (the floor any event queue
// pays), so the ratio shows the scheduler's own overhead. Target: at least
// 1 million events per second on one core.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <queue>
#include <vector>

#include "sim/base/rng.h"
#include "sim/engine/scheduler.h"

namespace lvlab {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kTimers = 1000;
constexpr uint64_t kEvents = 5'000'000;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

double RunScheduler() {
  engine::Scheduler sched;
  Rng rng(1);
  uint64_t fired = 0;
  std::function<void()> tick = [&] {
    if (++fired + kTimers > kEvents) return;
    sched.After(1 + rng.Next() % 1000, tick);
  };
  for (int i = 0; i < kTimers; ++i) sched.After(1 + rng.Next() % 1000, tick);
  const auto t0 = Clock::now();
  const uint64_t ran = sched.RunUntilIdle();
  const double s = Seconds(t0, Clock::now());
  return static_cast<double>(ran) / s;
}

double RunBareQueue() {
  struct Ev {
    uint64_t t, seq;
    std::function<void()> fn;
    bool operator>(const Ev& o) const { return t != o.t ? t > o.t : seq > o.seq; }
  };
  std::priority_queue<Ev, std::vector<Ev>, std::greater<>> q;
  Rng rng(1);
  uint64_t now = 0, seq = 0, fired = 0;
  std::function<void()> tick = [&] {
    if (++fired + kTimers > kEvents) return;
    q.push(Ev{now + 1 + rng.Next() % 1000, seq++, tick});
  };
  for (int i = 0; i < kTimers; ++i) q.push(Ev{1 + rng.Next() % 1000, seq++, tick});
  const auto t0 = Clock::now();
  uint64_t ran = 0;
  while (!q.empty()) {
    Ev e = q.top();
    q.pop();
    now = e.t;
    e.fn();
    ++ran;
  }
  const double s = Seconds(t0, Clock::now());
  return static_cast<double>(ran) / s;
}

int Run() {
  const double sched = RunScheduler();
  const double bare = RunBareQueue();
  std::printf(
      "scheduler events (%d timers, %llu events): %.2f M events/s (target >= 1.00 M/s: "
      "%.2fx)\n",
      kTimers, static_cast<unsigned long long>(kEvents), sched / 1e6, sched / 1e6);
  std::printf(
      "bare std::priority_queue, same workload:        %.2f M events/s; scheduler/bare "
      "= %.2f\n",
      bare / 1e6, sched / bare);
  return sched >= 1e6 ? 0 : 1;
}

}  // namespace
}  // namespace lvlab

int main() { return lvlab::Run(); }
