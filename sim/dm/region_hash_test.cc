// RegionHash: the recovery slot that a failed flush leaks (dm_rh_dec turns
// a region waiting for recovery NOSYNC and never queues it).
#include "sim/dm/region_hash.h"

#include <gtest/gtest.h>

#include <memory>

#include "sim/dm/target.h"
#include "sim/engine/scheduler.h"

namespace lvlab::dm {
namespace {

TEST(RegionHashTest, AFailedFlushLeaksTheSlotOfARegionWaitingForRecovery) {
  engine::Scheduler scheduler;
  TargetArgs args;
  args.scheduler = &scheduler;
  args.len_sectors = 8 * 1024;  // 8 regions of 1024 sectors
  DirtyLogEnv env{&args, nullptr};
  auto log = NewDirtyLog("core", {"1024"}, env);
  ASSERT_TRUE(log.ok()) << log.status().message();
  RegionHash rh(log->get(),
                {[](std::deque<MirrorBio>) {}, [] {}, [](uint64_t, bool, bool) {}, nullptr});
  rh.StartRecovery();
  rh.Inc(0);             // a write in flight to region 0
  rh.RecoveryPrepare();  // region 0 is next to recover: RECOVERING, not quiesced
  EXPECT_EQ(rh.GetState(0), RegionState::kRecovering);
  EXPECT_EQ(rh.recovery_slots(), 0u);
  EXPECT_FALSE(rh.RecoverySlotLeaked());
  MirrorBio flush;
  flush.bio.op = engine::Bio::Op::kFlush;
  rh.MarkNosync(flush);  // a flush failed on a leg
  rh.Dec(0);             // the write ends: dm_rh_dec makes the region NOSYNC
  EXPECT_EQ(rh.GetState(0), RegionState::kNosync);
  EXPECT_EQ(rh.RecoveryStart(), std::nullopt);  // never handed to the copier
  EXPECT_TRUE(rh.RecoverySlotLeaked());
  rh.ReclaimLeakedSlot();
  EXPECT_EQ(rh.recovery_slots(), 1u);
  EXPECT_EQ(rh.recovery_in_flight(), 0u);
  EXPECT_FALSE(rh.RecoverySlotLeaked());
}

}  // namespace
}  // namespace lvlab::dm
