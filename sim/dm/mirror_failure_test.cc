// The mirror target under leg failures (reference 1.5, 1.7) and the
// recovery_write_one_leg bug switch.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sim/dm/mirror_test_util.h"

namespace lvlab::dm {
namespace {

class MirrorFailureTest : public MirrorTestBase {
 protected:
  // Legs pv1 and pv2 of 8192 sectors with a 1 ms latency; pv1 holds data.
  void Legs() {
    store::DiskModel model;
    model.read_latency_ns = kMs;
    model.write_latency_ns = kMs;
    AddDisk(8192, model);
    AddDisk(8192, model);
    ASSERT_TRUE(Write("pv1", 0, data_).ok());
  }

  std::vector<uint8_t> data_ = Pattern(1, 8192);
  const std::string table_ = "0 8192 mirror core 1 1024 2 7:1 0 7:2 0";
};

TEST_F(MirrorFailureTest, AFailedLegAfterSyncLetsWritesSucceedButStallsTheSyncCount) {
  Legs();
  Activate("m", table_);
  ASSERT_TRUE(RunUntilSynced("m"));
  disks_[1]->SetFailed(true);
  const std::vector<uint8_t> data = Pattern(2, 8);
  ASSERT_TRUE(Write("m", 2 * 1024, data).ok());  // "pretend that the I/O succeeded"
  EXPECT_EQ(StatusOf("m"), "0 8192 mirror 2 7:1 7:2 7/8 1 AD 1 core");
  EXPECT_EQ(Mirror("m")->TEST_region_state(2), RegionState::kNosync);
  sched_.RunUntilIdle();
  EXPECT_EQ(Mirror("m")->in_sync_regions(), 7u);  // the search is past the end until a resume
  // The region is out of sync: later writes go to the default leg only.
  ASSERT_TRUE(Write("m", 2 * 1024 + 8, data).ok());
  EXPECT_EQ(DiskSectors(0, 2 * 1024, 8), data);
  EXPECT_EQ(DiskSectors(0, 2 * 1024 + 8, 8), data);
  EXPECT_EQ(trace_.Count("mirror-leg-error"), 1u);
}

TEST_F(MirrorFailureTest, WithHandleErrorsAFailedCopyLeavesTheRegionOutOfSync) {
  Legs();
  disks_[1]->SetFailed(true);
  Activate("m", table_ + " 1 handle_errors");
  const uint32_t events = kernel_.Info("m")->event_nr;
  sched_.RunUntilIdle();
  EXPECT_EQ(recovering_.size(), 8u);  // each region tried once
  EXPECT_EQ(StatusOf("m"), "0 8192 mirror 2 7:1 7:2 0/8 1 AS 1 core");
  EXPECT_GT(kernel_.Info("m")->event_nr, events);  // the leg failure raised an event
  // Writes are now held for userspace to repair the mirror...
  std::vector<uint8_t> buf = Pattern(3, 8);
  auto done = Start(kernel_.Resolve("m"), Bio::Op::kWrite, 100, 8, buf.data());
  sched_.RunUntilIdle();
  EXPECT_FALSE(done->has_value());
  EXPECT_EQ(Mirror("m")->TEST_held(), 1u);
  // ...which it does with a noflush suspend: DM core takes the bio back and
  // reissues it to the new table.
  ASSERT_TRUE(kernel_.Suspend("m", /*noflush=*/true).ok());
  EXPECT_FALSE(done->has_value());
  EXPECT_EQ(kernel_.Find("m")->deferred(), 1u);
  ASSERT_TRUE(kernel_.Load("m", "0 8192 linear 7:1 0").ok());
  ASSERT_TRUE(kernel_.Resume("m").ok());
  ASSERT_TRUE(sched_.RunUntil([&] { return done->has_value(); }));
  EXPECT_TRUE((*done)->ok()) << (*done)->message();
  EXPECT_EQ(DiskSectors(0, 100, 8), Pattern(3, 8));
}

TEST_F(MirrorFailureTest, AHeldWriteFailsOnASuspendWithoutNoflush) {
  Legs();
  Activate("m", table_ + " 1 handle_errors");
  ASSERT_TRUE(RunUntilSynced("m"));
  disks_[1]->SetFailed(true);
  std::vector<uint8_t> buf = Pattern(3, 8);
  auto done = Start(kernel_.Resolve("m"), Bio::Op::kWrite, 100, 8, buf.data());
  sched_.RunUntilIdle();
  EXPECT_FALSE(done->has_value());
  EXPECT_EQ(StatusOf("m"), "0 8192 mirror 2 7:1 7:2 7/8 1 AD 1 core");
  ASSERT_TRUE(kernel_.Suspend("m").ok());
  ASSERT_TRUE(done->has_value());
  EXPECT_EQ((*done)->code(), Code::kIOError);
  EXPECT_NE((*done)->message().find("without noflush"), std::string::npos) << (*done)->message();
}

TEST_F(MirrorFailureTest, WithoutHandleErrorsAFailedCopyStillCountsAsInSync) {
  // The kernel's choice (dm_rh_update_states with errors not handled): the
  // region is set in sync although the copy failed, and when the last region
  // is in sync the leg errors are forgotten.
  Legs();
  disks_[1]->SetFailed(true);
  Activate("m", table_);
  ASSERT_TRUE(kernel_.WaitEvent("m", kernel_.Info("m")->event_nr).ok());
  EXPECT_EQ(StatusOf("m"), "0 8192 mirror 2 7:1 7:2 8/8 1 AA 1 core");
  EXPECT_EQ(trace_.Count("mirror-leg-error"), 1u);
  EXPECT_NE(lines_.end(), std::find_if(lines_.begin(), lines_.end(), [](const std::string& l) {
              return l.find("\"ev\":\"region-recovered\"") != std::string::npos &&
                     l.find("\"ok\":false,\"in_sync\":true") != std::string::npos;
            }));
}

TEST_F(MirrorFailureTest, AFailedSourceServesInSyncReadsFromLegOneAndFailsTheOthers) {
  Legs();
  Activate("m", table_);
  ASSERT_TRUE(RunUntilRecovered(2));
  disks_[0]->SetFailed(true);
  std::vector<uint8_t> back;
  // Region 0 is in sync: the read fails on leg 0 and is retried on leg 1.
  ASSERT_TRUE(Read("m", 10, 8, &back).ok());
  EXPECT_EQ(back, Slice(data_, 10, 8));
  // Region 7 is not: only leg 0 has its data.
  ASSERT_FALSE(Mirror("m")->TEST_log().InSync(7));
  Status st = Read("m", 7 * 1024, 8, &back);
  EXPECT_EQ(st.code(), Code::kIOError);
}

TEST_F(MirrorFailureTest, EveryLegFailedFailsWrites) {
  Legs();
  Activate("m", table_ + " 1 handle_errors");
  ASSERT_TRUE(RunUntilSynced("m"));
  disks_[0]->SetFailed(true);
  disks_[1]->SetFailed(true);
  Status st = Write("m", 0, Pattern(4, 8));
  EXPECT_EQ(st.code(), Code::kIOError);
  EXPECT_NE(st.message().find("every leg failed"), std::string::npos) << st.message();
  EXPECT_EQ(StatusOf("m"), "0 8192 mirror 2 7:1 7:2 7/8 1 DD 1 core");
}

// A write to the region being copied: faithful (held, then both legs) or
// with MirrorBugs::recovery_write_one_leg (leg 0 only, overwritten by the
// copy's stale data on leg 1).
class RecoveryRaceTest : public MirrorFailureTest, public ::testing::WithParamInterface<bool> {};

TEST_P(RecoveryRaceTest, AWriteDuringTheCopyOfItsRegion) {
  const bool bug = GetParam();
  kernel_.bugs().recovery_write_one_leg = bug;
  Legs();
  Activate("m", table_);
  ASSERT_TRUE(sched_.RunUntil([this] { return recovering_.size() == 4; }));
  // The copy of region 3 has just read leg 0; the write reaches leg 0 after.
  const std::vector<uint8_t> data = Pattern(9, 16);
  std::vector<uint8_t> buf = data;
  const uint64_t sector = 3 * 1024 + 40;
  auto done = Start(kernel_.Resolve("m"), Bio::Op::kWrite, sector, 16, buf.data());
  ASSERT_TRUE(RunUntilSynced("m"));
  ASSERT_TRUE(done->has_value());
  EXPECT_TRUE((*done)->ok());
  EXPECT_EQ(DiskSectors(0, sector, 16), data);
  EXPECT_EQ(StatusOf("m"), "0 8192 mirror 2 7:1 7:2 8/8 1 AA 1 core");
  if (bug) {
    EXPECT_EQ(DiskSectors(1, sector, 16), Slice(data_, sector, 16));  // stale: the legs differ
  } else {
    EXPECT_EQ(DiskSectors(1, 0, 8192), DiskSectors(0, 0, 8192));
  }
}

INSTANTIATE_TEST_SUITE_P(FaithfulAndBuggy, RecoveryRaceTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return p.param ? "RecoveryWriteOneLeg" : "Faithful";
                         });

}  // namespace
}  // namespace lvlab::dm
