// Crash tests: a workload with flushes, a power loss (store::Disk::Crash with
// the random policy, and Oracle::PowerLoss), then every sector must read as
// durable or pending; a reboot in the middle of the I/O (power cut, device
// re-created, workload rebound); and devices broken on purpose, which the
// check must catch.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "sim/check/check_test_util.h"
#include "sim/store/power_domain.h"

namespace lvlab::check {
namespace {

class CrashTest : public SeededTest {};

// A random workload with a flush every 8 writes through `faulty` (over lv0 on
// a volatile-cache disk), a few more writes without a flush, then a power
// loss with the random policy.
std::unique_ptr<Rig> RunAndCrash(uint64_t seed, bool drop_flushes, uint64_t misdirect_shift) {
  auto rig = std::make_unique<Rig>(seed);
  store::Disk* disk = rig->AddDisk(kDiskSectors, TimedDisk());
  Faulty faulty(rig->Activate("lv0", kLinearTable), &rig->sched);
  faulty.drop_flushes = drop_flushes;
  faulty.misdirect_from = 1024, faulty.misdirect_to = 1088;
  faulty.misdirect_shift = misdirect_shift;
  WorkloadSpec spec = Spec(WorkloadSpec::kRandom, 80, 3000);
  spec.flush_every = 8;
  spec.size_bytes = 1 << 20;  // 256 blocks: many overwrites
  Workload w(spec, &faulty, &rig->oracle, &rig->sched, &rig->trace, seed);
  w.Start();
  EXPECT_TRUE(rig->RunToDone(w));
  spec.name = "tail";
  spec.flush_every = 0;
  spec.write_percent = 100;
  spec.max_ios = 16;
  Workload tail(spec, &faulty, &rig->oracle, &rig->sched, &rig->trace, seed);
  tail.Start();
  EXPECT_TRUE(rig->RunToDone(tail));
  if (misdirect_shift == 0) {  // misdirected writes are seen by reads at once
    EXPECT_EQ(w.stats().violations + tail.stats().violations, 0u) << w.first_violation().message();
  }
  EXPECT_GT(disk->pending_writes(), 0u) << "nothing unflushed: the crash would prove nothing";
  Rng crash_rng = Rng(seed).Derive("crash");
  disk->Crash(store::LossPolicy::kRandom, crash_rng);
  rig->oracle.PowerLoss();
  return rig;
}

TEST_F(CrashTest, AfterACrashEverySectorIsDurableOrPending) {
  for (uint64_t i = 0; i < 8; ++i) {
    const uint64_t seed = seed_ + i;
    auto rig = RunAndCrash(seed, false, 0);
    uint64_t undecided = 0;
    for (uint64_t s = 0; s < 2048; ++s) undecided += rig->oracle.Possible("lv0", s).size() > 1;
    EXPECT_GT(undecided, 0u) << "seed " << seed << ": the crash left nothing to decide";
    Status st = rig->CheckAll();
    EXPECT_TRUE(st.ok()) << "seed " << seed << ": " << st.message();
    st = rig->CheckAll();  // every sector is decided now: the same again
    EXPECT_TRUE(st.ok()) << "seed " << seed << ": " << st.message();
  }
}

TEST_F(CrashTest, ADeviceThatIgnoresFlushesIsCaught) {
  int caught = 0;
  for (uint64_t i = 0; i < 4; ++i) {
    auto rig = RunAndCrash(seed_ + i, /*drop_flushes=*/true, 0);
    const Status st = rig->CheckAll();
    if (st.ok()) continue;
    ++caught;
    EXPECT_EQ(st.code(), Code::kCorrupt);
    EXPECT_NE(st.message().find("lv0: sector "), std::string::npos) << st.message();
  }
  EXPECT_GE(caught, 3) << "flushes that never reached the disk went unnoticed";
}

TEST_F(CrashTest, AMisdirectingDeviceIsCaught) {
  // Writes meant for [1024, 1088) land 1024 sectors lower.
  auto rig = RunAndCrash(seed_, false, /*misdirect_shift=*/static_cast<uint64_t>(-1024));
  const Status st = rig->CheckAll();
  ASSERT_FALSE(st.ok());
  const std::string& m = st.message();
  const uint64_t sector = std::stoull(m.substr(m.find("sector ") + 7));
  EXPECT_TRUE(sector < 64 || (sector >= 1024 && sector < 1088)) << m;
}

TEST_F(CrashTest, PowerCutMidFlightThenRebootAndGoOn) {
  Rig rig(seed_);
  store::Disk* disk = rig.AddDisk(kDiskSectors, TimedDisk());
  auto power = std::make_shared<store::PowerDomain>(seed_);
  disk->set_power(power);
  dm::BlockDevice* dev = rig.Activate("lv0", kLinearTable);
  WorkloadSpec spec = Spec(WorkloadSpec::kRandom, 70, 0);
  spec.flush_every = 8;
  spec.size_bytes = 1 << 20;
  Workload w(spec, dev, &rig.oracle, &rig.sched, &rig.trace, seed_);
  power->CutAfterWrites(static_cast<int64_t>(200 + seed_ % 300));
  w.Start();
  ASSERT_TRUE(rig.sched.RunUntil([&] { return w.stats().errors > 0; }));
  w.Pause();
  ASSERT_TRUE(rig.sched.RunUntil([&] { return w.in_flight() == 0; }));
  EXPECT_EQ(w.stats().violations, 0u) << w.first_violation().message();

  // Reboot: what the cut left durable, a fresh device, the workload rebound.
  Rng crash_rng = Rng(seed_).Derive("crash");
  disk->Crash(store::LossPolicy::kRandom, crash_rng);
  power->Restore();
  rig.oracle.PowerLoss();
  ASSERT_TRUE(rig.kernel.Remove("lv0").ok());
  dev = rig.Activate("lv0", kLinearTable);
  w.Rebind(dev);
  Status st = rig.CheckAll();
  EXPECT_TRUE(st.ok()) << st.message();

  const uint64_t ios = w.stats().ios;
  w.Resume();
  ASSERT_TRUE(rig.sched.RunUntil([&] { return w.stats().ios >= ios + 2000; }));
  w.Stop();
  ASSERT_TRUE(rig.RunToDone(w));
  EXPECT_EQ(w.stats().violations, 0u) << w.first_violation().message();
  st = rig.CheckAll();
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(rig.trace.Count("workload-rebind"), 1u);
}

}  // namespace
}  // namespace lvlab::check
