// DirectIo: which devices qualify, that its reads and writes are the disks'
// own (cached, unflushed until a flush, lost by a crash like any write),
// and that a suspend or Revoke ends it.
#include "fuse/direct_io.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "sim/base/rng.h"
#include "sim/dm/test_util.h"

namespace lvlab::fuse {
namespace {

class DirectIoTest : public dm::DmTest {
 protected:
  void SetUp() override {
    d1_ = AddDisk(2048);
    d2_ = AddDisk(2048);
    slow_ = AddDisk(2048, store::DiskModel{.write_latency_ns = 1000});
    Activate("lin", "0 100 linear 7:1 10\n100 50 linear 7:2 0");
  }
  store::Disk* d1_ = nullptr;
  store::Disk* d2_ = nullptr;
  store::Disk* slow_ = nullptr;
};

std::vector<uint8_t> Filled(uint64_t sectors, uint8_t seed) {
  std::vector<uint8_t> v(sectors * kSectorSize);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>(seed + i * 7);
  return v;
}

TEST_F(DirectIoTest, PlansPlainLinearDevicesOnDisksWithoutFaultsOrTiming) {
  Activate("slow", "0 10 linear 7:3 0");
  Activate("zero", "0 10 zero");
  DirectIo::PlanMap plan = DirectIo::Plan(kernel_);
  ASSERT_EQ(plan.size(), 1u);
  const std::vector<DirectIo::Extent> want = {DirectIo::Extent::OnDisk(0, 100, d1_, 10),
                                              DirectIo::Extent::OnDisk(100, 50, d2_, 0)};
  EXPECT_EQ(plan["lin"], want);

  d2_->faults().failed = true;
  EXPECT_TRUE(DirectIo::Plan(kernel_).empty());
  d2_->faults().failed = false;

  ASSERT_TRUE(kernel_.Suspend("lin").ok());
  EXPECT_TRUE(DirectIo::Plan(kernel_).empty());
  ASSERT_TRUE(kernel_.Resume("lin").ok());
  EXPECT_EQ(DirectIo::Plan(kernel_).size(), 1u);
}

TEST_F(DirectIoTest, MirrorsTakeWritesByEachRegionsRouteAlsoStacked) {
  Activate("mir", "0 128 mirror core 1 64 2 7:1 500 7:2 500");
  Activate("moved", "0 50 linear mir 50\n50 20 linear 7:2 1000");
  DirectIo::PlanMap plan = DirectIo::Plan(kernel_);
  auto* mirror =
      dynamic_cast<dm::MirrorTarget*>(kernel_.Find("mir")->live_table()->front().target.get());
  ASSERT_NE(mirror, nullptr);
  using E = DirectIo::Extent;
  const std::vector<E> mir = {E{0, 128, d1_, 500, true, mirror, 0, {{d1_, 500}, {d2_, 500}}}};
  EXPECT_EQ(plan["mir"], mir);
  const std::vector<E> moved = {E{0, 50, d1_, 550, true, mirror, 50, {{d1_, 550}, {d2_, 550}}},
                                E::OnDisk(50, 20, d2_, 1000)};
  EXPECT_EQ(plan["moved"], moved);

  // Routes open when the plan is installed, not when it is made.
  EXPECT_EQ(mirror->direct_routes().Enter(0), dm::MirrorDirectRoutes::Route::kNone);
  DirectIo direct;
  direct.Install(1, std::move(plan));
  // Not copied yet (the engine has not run): the default leg only, across
  // the boundary of regions 0 and 1 (mirror sectors 60..67).
  const std::vector<uint8_t> first = Filled(8, 9);
  ASSERT_TRUE(direct.Write("moved", 1, 10, 8, first.data(), false).value().ok());
  EXPECT_EQ(DiskSectors(0, 560, 8), first);
  EXPECT_EQ(DiskSectors(1, 560, 8), std::vector<uint8_t>(first.size(), 0));
  std::vector<uint8_t> seen(first.size());
  ASSERT_TRUE(direct.Read("moved", 1, 10, 8, seen.data()).value().ok());
  EXPECT_EQ(seen, first);
  // The copy carries it; once in sync, writes reach both legs directly.
  sched_.RunUntilIdle();
  ASSERT_EQ(mirror->in_sync_regions(), 2u);
  EXPECT_EQ(DiskSectors(1, 560, 8), first);
  const std::vector<uint8_t> second = Filled(8, 40);
  ASSERT_TRUE(direct.Write("moved", 1, 10, 8, second.data(), false).value().ok());
  EXPECT_EQ(DiskSectors(0, 560, 8), second);
  EXPECT_EQ(DiskSectors(1, 560, 8), second);
  // A region closed for its copy sends the write to the engine.
  mirror->direct_routes().CloseRegion(1);
  EXPECT_FALSE(direct.Write("moved", 1, 10, 8, first.data(), false));
  ASSERT_TRUE(direct.Write("moved", 1, 0, 8, first.data(), false).value().ok());  // region 0
  // So does a leg that fails: the mirror, not the worker, handles that.
  d2_->faults().failed = true;
  EXPECT_FALSE(direct.Write("moved", 1, 0, 8, first.data(), false));
}

TEST_F(DirectIoTest, AMirrorThatTakesNoDirectWritesIsReadThroughItsDefaultLeg) {
  AddDisk(64);  // 7:4, the log
  Activate("dl", "0 128 mirror disk 2 7:4 64 2 7:1 500 7:2 500");
  DirectIo::PlanMap plan = DirectIo::Plan(kernel_);
  const std::vector<DirectIo::Extent> dl = {DirectIo::Extent::OnDisk(0, 128, d1_, 500, false)};
  EXPECT_EQ(plan["dl"], dl);
  DirectIo direct;
  direct.Install(1, std::move(plan));
  const std::vector<uint8_t> data = Filled(8, 9);
  EXPECT_FALSE(direct.Write("dl", 1, 0, 8, data.data(), false));
  ASSERT_TRUE(Write("dl", 0, data).ok());  // through the mirror: both legs
  std::vector<uint8_t> seen(data.size());
  ASSERT_TRUE(direct.Read("dl", 1, 0, 8, seen.data()).value().ok());
  EXPECT_EQ(seen, data);
}

TEST_F(DirectIoTest, WritesAreTheDisksCachedWritesUntilAFlush) {
  DirectIo direct;
  direct.Install(1, DirectIo::Plan(kernel_));
  const std::vector<uint8_t> data = Filled(20, 3);  // sectors 90..109: both segments
  auto st = direct.Write("lin", 1, 90, 20, data.data(), false);
  ASSERT_TRUE(st.has_value());
  ASSERT_TRUE(st->ok()) << st->message();
  std::vector<uint8_t> seen;
  ASSERT_TRUE(Read("lin", 90, 20, &seen).ok());  // the engine path sees it
  EXPECT_EQ(seen, data);
  std::vector<uint8_t> direct_seen(data.size());
  ASSERT_TRUE(direct.Read("lin", 1, 90, 20, direct_seen.data()).value().ok());
  EXPECT_EQ(direct_seen, data);
  EXPECT_FALSE(direct.Read("lin", 2, 90, 20, direct_seen.data()));    // another boot
  EXPECT_FALSE(direct.Read("other", 1, 90, 20, direct_seen.data()));  // not planned

  // Not flushed: a power loss that drops unflushed writes drops it.
  Rng rng(1);
  d1_->Crash(store::LossPolicy::kAll, rng);
  d2_->Crash(store::LossPolicy::kAll, rng);
  ASSERT_TRUE(Read("lin", 90, 20, &seen).ok());
  EXPECT_EQ(seen, std::vector<uint8_t>(data.size(), 0));

  // Written again and flushed through the device: it survives.
  ASSERT_TRUE(direct.Write("lin", 1, 90, 20, data.data(), false).value().ok());
  ASSERT_TRUE(Io(kernel_.Resolve("lin"), dm::Bio::Op::kFlush, 0, 0, nullptr).ok());
  d1_->Crash(store::LossPolicy::kAll, rng);
  d2_->Crash(store::LossPolicy::kAll, rng);
  ASSERT_TRUE(Read("lin", 90, 20, &seen).ok());
  EXPECT_EQ(seen, data);
}

TEST_F(DirectIoTest, SuspendRevokesAndWaitsForWritersOnOtherThreads) {
  DirectIo direct;
  kernel_.set_before_suspend([&direct](const dm::Device&) { direct.Revoke(); });
  direct.Install(1, DirectIo::Plan(kernel_));
  ASSERT_TRUE(direct.enabled());
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> direct_writes{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      const std::vector<uint8_t> data = Filled(8, static_cast<uint8_t>(t));
      while (!stop.load()) {
        auto st = direct.Write("lin", 1, static_cast<uint64_t>(t) * 30, 8, data.data(), false);
        if (st) {
          EXPECT_TRUE(st->ok());
          ++direct_writes;
        }
      }
    });
  }
  while (direct_writes.load() < 100) std::this_thread::yield();
  ASSERT_TRUE(kernel_.Suspend("lin").ok());
  EXPECT_FALSE(direct.enabled());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // counted after they left
  const uint64_t at_suspend = direct_writes.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(direct_writes.load(), at_suspend);  // nothing direct while suspended
  ASSERT_TRUE(kernel_.Resume("lin").ok());
  stop.store(true);
  for (std::thread& w : writers) w.join();
}

}  // namespace
}  // namespace lvlab::fuse
