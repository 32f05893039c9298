#include "sim/engine/scheduler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "sim/engine/bio.h"

namespace lvlab::engine {
namespace {

TEST(SchedulerTest, OrdersByTimeThenInsertion) {
  Scheduler s;
  std::vector<std::string> order;
  s.At(30, [&] { order.push_back("c30"); });
  s.At(10, [&] { order.push_back("a10"); });
  s.At(20, [&] { order.push_back("b20-first"); });
  s.At(20, [&] { order.push_back("b20-second"); });
  s.At(10, [&] { order.push_back("a10-second"); });
  EXPECT_EQ(s.pending(), 5u);
  EXPECT_EQ(s.RunUntilIdle(), 5u);
  EXPECT_EQ(order,
            (std::vector<std::string>{"a10", "a10-second", "b20-first", "b20-second", "c30"}));
  EXPECT_EQ(s.now_ns(), 30u);
  EXPECT_EQ(s.events_run(), 5u);
  EXPECT_EQ(s.pending(), 0u);
}

TEST(SchedulerTest, AfterIsRelativeToNowAndPastTimesRunNow) {
  Scheduler s;
  std::vector<uint64_t> times;
  s.At(100, [&] {
    times.push_back(s.now_ns());
    s.After(50, [&] { times.push_back(s.now_ns()); });
    s.At(10, [&] { times.push_back(s.now_ns()); });  // in the past: runs at 100
    s.Post([&] { times.push_back(s.now_ns() + 1); });
  });
  s.RunUntilIdle();
  EXPECT_EQ(times, (std::vector<uint64_t>{100, 100, 101, 150}));
}

TEST(SchedulerTest, EventsScheduledFromEventsKeepFifoAtSameTime) {
  Scheduler s;
  std::vector<int> order;
  s.Post([&] {
    order.push_back(1);
    s.Post([&] { order.push_back(3); });
  });
  s.Post([&] { order.push_back(2); });
  s.RunUntilIdle();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(SchedulerTest, RunOneAndMaxEvents) {
  Scheduler s;
  EXPECT_FALSE(s.RunOne());
  int n = 0;
  for (int i = 0; i < 10; ++i) s.After(i, [&] { ++n; });
  EXPECT_TRUE(s.RunOne());
  EXPECT_EQ(n, 1);
  EXPECT_EQ(s.RunUntilIdle(4), 4u);
  EXPECT_EQ(n, 5);
  EXPECT_EQ(s.pending(), 5u);
}

TEST(SchedulerTest, RunUntilPredicate) {
  Scheduler s;
  int n = 0;
  for (int i = 1; i <= 10; ++i) s.At(i * 10, [&] { ++n; });
  EXPECT_TRUE(s.RunUntil([&] { return n == 4; }));
  EXPECT_EQ(n, 4);
  EXPECT_EQ(s.now_ns(), 40u);
  EXPECT_TRUE(s.RunUntil([&] { return n == 4; }));  // already true: runs nothing
  EXPECT_EQ(s.events_run(), 4u);
  EXPECT_FALSE(s.RunUntil([&] { return n == 100; }));  // queue empties first
  EXPECT_EQ(n, 10);
}

TEST(SchedulerTest, RunUntilDeadlineAdvancesVirtualTime) {
  Scheduler s;
  int n = 0;
  s.At(10, [&] { ++n; });
  s.At(1000, [&] { ++n; });
  EXPECT_FALSE(s.RunUntil([&] { return n == 2; }, 500));
  EXPECT_EQ(n, 1);
  EXPECT_EQ(s.now_ns(), 500u);
  EXPECT_EQ(s.pending(), 1u);
  // An event exactly at the deadline still runs.
  EXPECT_TRUE(s.RunUntil([&] { return n == 2; }, 1000));
  EXPECT_EQ(s.now_ns(), 1000u);
}

TEST(SchedulerTest, NestedRunUntilFromAnEvent) {
  Scheduler s;
  bool inner_done = false;
  bool nested_ok = false;
  s.At(5, [&] {
    s.At(7, [&] { inner_done = true; });
    nested_ok = s.RunUntil([&] { return inner_done; });
  });
  s.RunUntilIdle();
  EXPECT_TRUE(nested_ok);
  EXPECT_EQ(s.now_ns(), 7u);
}

// A fake live-mode clock: sleeping moves time forward instantly.
class FakeClock : public Clock {
 public:
  uint64_t NowNs() override { return now; }
  void SleepUntilNs(uint64_t t) override {
    ++sleeps;
    if (t > now) now = t;
  }
  uint64_t now = 1000;
  int sleeps = 0;
};

TEST(SchedulerTest, LiveModeSleepsUntilEventsAreDue) {
  auto clock = std::make_unique<FakeClock>();
  FakeClock* fake = clock.get();
  Scheduler s(std::move(clock));
  EXPECT_FALSE(s.is_virtual());
  EXPECT_EQ(s.now_ns(), 1000u);
  std::vector<uint64_t> times;
  s.After(500, [&] { times.push_back(s.now_ns()); });
  s.At(0, [&] { times.push_back(s.now_ns()); });  // already due: no sleep
  s.RunUntilIdle();
  EXPECT_EQ(times, (std::vector<uint64_t>{1000, 1500}));
  EXPECT_EQ(fake->sleeps, 1);
}

TEST(SchedulerTest, RealClockIsMonotonic) {
  auto c = NewRealClock();
  const uint64_t a = c->NowNs();
  c->SleepUntilNs(a + 1000);
  EXPECT_GE(c->NowNs(), a + 1000);
}

constexpr uint64_t kThroughputEvents = 2'000'000;

struct TickContext {
  Scheduler* s;
  uint64_t n;
};

// Reschedules itself with a closure of one pointer (no heap allocation).
void Tick(TickContext* c) {
  if (++c->n + 64 <= kThroughputEvents) c->s->After(1 + (c->n % 7), [c] { Tick(c); });
}

TEST(SchedulerTest, ThroughputOfSimpleEvents) {
  Scheduler s;
  TickContext ctx{&s, 0};
  // Keep a window of 64 pending events at staggered times, as a busy sim would.
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 64; ++i) s.After(i, [c = &ctx] { Tick(c); });
  s.RunUntilIdle();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(ctx.n, kThroughputEvents);
  std::printf("[ perf ] %.2f million events/s (%llu events in %.3f s)\n",
              kThroughputEvents / secs / 1e6, static_cast<unsigned long long>(kThroughputEvents),
              secs);
}

TEST(BioTest, Describe) {
  Bio w{Bio::Op::kWrite, 2048, 8, Bio::kFua, nullptr, nullptr};
  EXPECT_EQ(Describe(w), "write 2048+8 FUA");
  Bio f{Bio::Op::kFlush, 0, 0, 0, nullptr, nullptr};
  EXPECT_EQ(Describe(f), "flush");
  EXPECT_EQ(FlagsString(Bio::kPreflush | Bio::kFua), "PREFLUSH|FUA");
  EXPECT_EQ(FlagsString(0), "");
  EXPECT_EQ(FlagsString(8), "0x8");
  EXPECT_TRUE(w.is_write());
  EXPECT_TRUE(f.wants_flush());
  EXPECT_EQ(w.bytes(), 4096u);
}

// Inject from another thread wakes a live RunOne sleeping for a later event,
// and the injected work runs before that event.
TEST(SchedulerTest, InjectWakesALiveSchedulerAndRunsFirst) {
  Scheduler s(NewRealClock());
  std::vector<int> order;
  s.After(2'000'000'000ULL, [&] { order.push_back(2); });
  std::thread other([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    s.Inject([&] { order.push_back(1); });
  });
  const uint64_t start = s.now_ns();
  ASSERT_TRUE(s.RunOne());
  other.join();
  EXPECT_EQ(order, std::vector<int>{1});
  EXPECT_LT(s.now_ns() - start, 1'000'000'000ULL);  // did not sleep to the event
  EXPECT_EQ(s.pending(), 1u);
}

TEST(SchedulerTest, InjectKeepsOrderAndWaitForWorkReturns) {
  Scheduler s;
  std::vector<int> order;
  s.Inject([&] { order.push_back(1); });
  s.Inject([&] { order.push_back(2); });
  s.WaitForWork(1'000'000'000ULL);  // work is queued: no wait
  s.RunUntilIdle();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

}  // namespace
}  // namespace lvlab::engine
