// MirrorDirectRoutes: the routes as set, and the handshake: no direct
// writer is ever inside a region after CloseRegion or Close returned.
#include "sim/dm/mirror_direct.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "sim/base/rng.h"

namespace lvlab::dm {
namespace {

using Route = MirrorDirectRoutes::Route;

TEST(MirrorDirectRoutesTest, ClosedUntilOpenedThenEachRegionAsSet) {
  MirrorDirectRoutes routes;
  routes.Set(0, Route::kAllLegs);  // closed: ignored
  EXPECT_EQ(routes.Enter(0), Route::kNone);
  routes.Open(3, [](uint64_t r) { return r == 0 ? Route::kAllLegs : Route::kDefaultLeg; });
  ASSERT_TRUE(routes.open());
  EXPECT_EQ(routes.Enter(0), Route::kAllLegs);
  routes.Leave(0);
  EXPECT_EQ(routes.Enter(2), Route::kDefaultLeg);
  routes.Leave(2);
  EXPECT_EQ(routes.Enter(3), Route::kNone);  // beyond the mirror
  routes.CloseRegion(2);
  EXPECT_EQ(routes.Enter(2), Route::kNone);
  routes.Set(2, Route::kAllLegs);
  EXPECT_EQ(routes.Enter(2), Route::kAllLegs);
  routes.Leave(2);
  routes.Close();
  EXPECT_FALSE(routes.open());
  for (uint64_t r = 0; r < 3; ++r) EXPECT_EQ(routes.Enter(r), Route::kNone);
  routes.Open(3, [](uint64_t) { return Route::kAllLegs; });  // reopened afresh
  EXPECT_EQ(routes.Enter(1), Route::kAllLegs);
  routes.Leave(1);
}

// Writers on two threads enter random regions and check, while inside,
// that the "engine" (this thread) has not declared the region closed; the
// engine declares it only after CloseRegion (or Close) returned.
TEST(MirrorDirectRoutesTest, NoWriterIsInsideARegionOnceItsCloseReturned) {
  constexpr uint64_t kRegions = 8;
  MirrorDirectRoutes routes;
  routes.Open(kRegions, [](uint64_t) { return Route::kAllLegs; });
  std::vector<std::atomic<bool>> closed(kRegions);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> inside{0};
  std::atomic<uint64_t> violations{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&, t] {
      Rng rng(static_cast<uint64_t>(t) + 1);
      while (!stop.load()) {
        const uint64_t r = rng.Uniform(kRegions);
        if (routes.Enter(r) == Route::kNone) continue;
        ++inside;
        for (int spin = 0; spin < 50; ++spin) {
          if (closed[r].load()) ++violations;
        }
        routes.Leave(r);
      }
    });
  }
  Rng rng(99);
  for (int round = 0; round < 1000; ++round) {
    const uint64_t r = rng.Uniform(kRegions);
    if (round % 250 == 249) {
      routes.Close();
      for (auto& c : closed) c.store(true);
      std::this_thread::yield();
      for (auto& c : closed) c.store(false);
      routes.Open(kRegions, [](uint64_t) { return Route::kDefaultLeg; });
      continue;
    }
    routes.CloseRegion(r);
    closed[r].store(true);
    std::this_thread::yield();
    closed[r].store(false);
    routes.Set(r, Route::kAllLegs);
  }
  stop.store(true);
  for (std::thread& w : writers) w.join();
  EXPECT_EQ(violations.load(), 0u);
  EXPECT_GT(inside.load(), 0u);
}

}  // namespace
}  // namespace lvlab::dm
