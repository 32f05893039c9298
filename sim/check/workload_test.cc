// Workload tests over a linear dm device on memory disks, in virtual time:
// clean runs, a corrupted sector, power loss with and without a reboot,
// deliberately broken devices, determinism, pause/resume and budgets.
#include "sim/check/workload.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/check/check_test_util.h"

namespace lvlab::check {
namespace {

class WorkloadTest : public SeededTest {};

TEST_F(WorkloadTest, SequentialAndRandomMixesHaveNoViolations) {
  for (auto pattern : {WorkloadSpec::kSequential, WorkloadSpec::kRandom}) {
    Rig rig(seed_);
    rig.AddDisk(kDiskSectors, TimedDisk());
    dm::BlockDevice* dev = rig.Activate("lv0", kLinearTable);
    WorkloadSpec spec = Spec(pattern, 60, 4000);
    spec.flush_every = 16;
    Workload w(spec, dev, &rig.oracle, &rig.sched, &rig.trace, seed_);
    w.Start();
    ASSERT_TRUE(rig.RunToDone(w));
    const WorkloadStats& s = w.stats();
    EXPECT_EQ(s.violations, 0u) << w.first_violation().message();
    EXPECT_EQ(s.errors, 0u);
    EXPECT_EQ(s.ios, 4000u);
    EXPECT_EQ(s.reads + s.writes, s.ios);
    EXPECT_GT(s.reads, 1000u);
    EXPECT_GT(s.writes, 1000u);
    EXPECT_EQ(s.flushes, s.writes / 16);
    EXPECT_EQ(s.bytes, s.ios * 4096);
    EXPECT_EQ(rig.oracle.stats().sectors_checked, s.reads * 8);
    EXPECT_TRUE(rig.CheckAll().ok());
    EXPECT_EQ(rig.trace.Count("workload-start"), 1u);
    EXPECT_EQ(rig.trace.Count("workload-done"), 1u);
    EXPECT_LT(rig.trace.lines(), 20u) << "sparse: no event per I/O";
    EXPECT_GT(rig.sched.now_ns(), 0u);
  }
}

TEST_F(WorkloadTest, ACorruptedSectorIsReportedByName) {
  Rig rig(seed_);
  store::Disk* disk = rig.AddDisk(kDiskSectors);
  dm::BlockDevice* dev = rig.Activate("lv0", kLinearTable);
  Workload fill(Spec(WorkloadSpec::kSequential, 100, kLvSectors / 8), dev, &rig.oracle, &rig.sched,
                &rig.trace, seed_);
  fill.Start();
  ASSERT_TRUE(rig.RunToDone(fill));
  const uint64_t lv_sector = 1000 + seed_ % 4000;
  std::vector<uint8_t> junk(kSectorSize, 0x5a);
  ASSERT_TRUE(disk->Write(2048 + lv_sector, 1, junk.data(), false).ok());
  WorkloadSpec read = Spec(WorkloadSpec::kSequential, 0, kLvSectors / 8);
  read.name = "verify";
  Workload check(read, dev, &rig.oracle, &rig.sched, &rig.trace, seed_);
  check.Start();
  ASSERT_TRUE(rig.RunToDone(check));
  EXPECT_EQ(check.stats().violations, 1u);
  EXPECT_EQ(check.first_violation().code(), Code::kCorrupt);
  EXPECT_NE(check.first_violation().message().find("lv0: sector " + std::to_string(lv_sector) +
                                                   " read garbage"),
            std::string::npos)
      << check.first_violation().message();
  EXPECT_EQ(rig.trace.Count("violation"), 1u);
  EXPECT_NE(rig.trace.last_line().find("\"violations\":1"), std::string::npos);
}

struct RunResult {
  WorkloadStats stats;
  uint64_t trace_hash = 0;
  uint64_t end_ns = 0;
  std::vector<std::string> bios;
};

RunResult RunOnce(uint64_t seed) {
  Rig rig(seed);
  rig.AddDisk(kDiskSectors, TimedDisk());
  rig.kernel.set_trace_io(true);  // every disk bio in the trace hash
  Faulty recorder(rig.Activate("lv0", kLinearTable), &rig.sched);
  WorkloadSpec spec = Spec(WorkloadSpec::kRandom, 50, 2000);
  spec.flush_every = 8;
  spec.think_ns = 10'000;
  Workload w(spec, &recorder, &rig.oracle, &rig.sched, &rig.trace, seed);
  w.Start();
  EXPECT_TRUE(rig.RunToDone(w));
  EXPECT_EQ(w.stats().violations, 0u) << w.first_violation().message();
  return {w.stats(), rig.trace.hash(), rig.sched.now_ns(), recorder.log};
}

TEST_F(WorkloadTest, SameSeedSameRunDifferentSeedDifferentOrder) {
  const RunResult a = RunOnce(seed_);
  const RunResult b = RunOnce(seed_);
  EXPECT_EQ(a.stats, b.stats);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.end_ns, b.end_ns);
  EXPECT_EQ(a.bios, b.bios);
  const RunResult c = RunOnce(seed_ + 1);
  EXPECT_NE(a.bios, c.bios);
  EXPECT_NE(a.trace_hash, c.trace_hash);
}

TEST_F(WorkloadTest, PauseStopsSubmittingAndResumeGoesOn) {
  Rig rig(seed_);
  rig.AddDisk(kDiskSectors, TimedDisk());
  dm::BlockDevice* dev = rig.Activate("lv0", kLinearTable);
  WorkloadSpec spec = Spec(WorkloadSpec::kSequential, 50, 1000);
  spec.iodepth = 4;
  Workload w(spec, dev, &rig.oracle, &rig.sched, &rig.trace, seed_);
  w.Start();
  ASSERT_TRUE(rig.sched.RunUntil([&] { return w.stats().ios >= 100; }));
  w.Pause();
  EXPECT_TRUE(w.paused());
  ASSERT_TRUE(rig.sched.RunUntil([&] { return w.in_flight() == 0; }));
  const uint64_t ios = w.stats().ios;
  EXPECT_LE(ios, 104u);
  rig.sched.RunUntilIdle();
  EXPECT_EQ(w.stats().ios, ios);
  EXPECT_FALSE(w.done());
  w.Resume();
  ASSERT_TRUE(rig.RunToDone(w));
  EXPECT_EQ(w.stats().ios, 1000u);
  EXPECT_EQ(w.stats().violations, 0u) << w.first_violation().message();
  EXPECT_EQ(rig.trace.Count("workload-pause"), 1u);
  EXPECT_EQ(rig.trace.Count("workload-resume"), 1u);
}

TEST_F(WorkloadTest, StopEndsTheRunOnceInFlightIoCompletes) {
  Rig rig(seed_);
  rig.AddDisk(kDiskSectors, TimedDisk());
  Workload w(Spec(WorkloadSpec::kRandom, 50, 0), rig.Activate("lv0", kLinearTable), &rig.oracle,
             &rig.sched, &rig.trace, seed_);
  w.Start();
  ASSERT_TRUE(rig.sched.RunUntil([&] { return w.stats().ios >= 500; }));
  w.Stop();
  EXPECT_FALSE(w.done()) << "I/O still in flight";
  ASSERT_TRUE(rig.RunToDone(w));
  EXPECT_LT(w.stats().ios, 510u);
  EXPECT_EQ(rig.sched.pending(), 0u);
}

TEST_F(WorkloadTest, TimeBudgetAndThinkTimeInVirtualTime) {
  Rig rig(seed_);
  rig.AddDisk(kDiskSectors, TimedDisk());
  WorkloadSpec spec = Spec(WorkloadSpec::kRandom, 50, 0);
  spec.iodepth = 1;
  spec.think_ns = 880'000;  // with ~120 us per I/O: about one I/O per ms
  spec.max_time_ns = 100'000'000;
  spec.offset_bytes = 1 << 20;
  spec.size_bytes = 1 << 20;
  Workload w(spec, rig.Activate("lv0", kLinearTable), &rig.oracle, &rig.sched, &rig.trace, seed_);
  w.Start();
  ASSERT_TRUE(rig.RunToDone(w));
  EXPECT_GE(rig.sched.now_ns(), 100'000'000u);
  EXPECT_LT(rig.sched.now_ns(), 102'000'000u);
  EXPECT_GE(w.stats().ios, 90u);
  EXPECT_LE(w.stats().ios, 115u);
  // Only the region was touched.
  EXPECT_EQ(rig.oracle.Possible("lv0", 2047), std::vector<uint64_t>{0});
  EXPECT_EQ(rig.oracle.Possible("lv0", 4096), std::vector<uint64_t>{0});
}

TEST(WorkloadSpecTest, ValidateNamesTheProblem) {
  WorkloadSpec s = Spec(WorkloadSpec::kRandom, 50, 1);
  EXPECT_TRUE(s.Validate(kLvSectors).ok());
  s.block_bytes = 1000;
  EXPECT_NE(s.Validate(kLvSectors).message().find("block size 1000"), std::string::npos);
  s.block_bytes = 4096;
  s.iodepth = 0;
  EXPECT_FALSE(s.Validate(kLvSectors).ok());
  s.iodepth = 1;
  s.write_percent = 101;
  EXPECT_FALSE(s.Validate(kLvSectors).ok());
  s.write_percent = 100;
  s.offset_bytes = 4 << 20;
  EXPECT_NE(s.Validate(kLvSectors).message().find("does not hold a block"), std::string::npos);
  s.offset_bytes = 0;
  s.size_bytes = 8 << 20;
  EXPECT_FALSE(s.Validate(kLvSectors).ok());
}

}  // namespace
}  // namespace lvlab::check
