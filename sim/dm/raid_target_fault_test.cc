// The raid target's failed legs (MD's md_error): a leg whose I/O fails is
// Faulty ('D' in status), the array goes on with the others and raises an
// event; and a read-only device refuses writes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/base/rng.h"
#include "sim/dm/raid_target.h"
#include "sim/dm/test_util.h"

namespace lvlab::dm {
namespace {

// pv1/pv3 meta, pv2/pv4 data (1024 sectors, regions of 128 sectors).
class RaidFaultTest : public DmTest {
 protected:
  void SetUp() override {
    for (int i = 0; i < 4; ++i) AddDisk(2048);
    trace_.Subscribe([this](std::string_view type, const std::string&) {
      if (type == "raid-leg-failed") ++failed_;
    });
  }
  std::string DmStatus() { return *kernel_.StatusLines("r"); }
  int failed_ = 0;
};

TEST_F(RaidFaultTest, AFailedDataLegIsMarkedDeadAndWritesGoOn) {
  Activate("r", "0 1024 raid raid1 4 0 nosync region_size 128 2 7:1 7:2 7:3 7:4");
  int events = 0;
  kernel_.Find("r")->set_on_event([&events](Device&) { ++events; });
  disks_[3]->faults().failed = true;                 // the second data leg
  ASSERT_TRUE(Write("r", 300, Pattern(5, 8)).ok());  // pv2 took it
  EXPECT_EQ(DmStatus(), "0 1024 raid raid1 2 AD 1024/1024 idle 0 0 -");
  EXPECT_EQ(failed_, 1);
  EXPECT_EQ(events, 1);
  EXPECT_EQ(DiskSectors(1, 300, 8), Pattern(5, 8));
  // Later writes skip the dead leg: no new failure, no new event.
  ASSERT_TRUE(Write("r", 600, Pattern(6, 8)).ok());
  EXPECT_EQ(failed_, 1);
  EXPECT_EQ(events, 1);
  std::vector<uint8_t> out;
  ASSERT_TRUE(Read("r", 600, 8, &out).ok());
  EXPECT_EQ(out, Pattern(6, 8));
}

TEST_F(RaidFaultTest, AFailedReadIsRetriedOnTheOtherLeg) {
  ASSERT_TRUE(Write("pv2", 0, Pattern(7, 1024)).ok());
  ASSERT_TRUE(Write("pv4", 0, Pattern(7, 1024)).ok());
  Activate("r", "0 1024 raid raid1 4 0 nosync region_size 128 2 7:1 7:2 7:3 7:4");
  disks_[1]->faults().failed = true;  // the first data leg, read first
  std::vector<uint8_t> out;
  ASSERT_TRUE(Read("r", 0, 16, &out).ok());
  EXPECT_EQ(out, Slice(Pattern(7, 1024), 0, 16));
  EXPECT_EQ(DmStatus(), "0 1024 raid raid1 2 DA 1024/1024 idle 0 0 -");
  EXPECT_EQ(failed_, 1);
}

TEST_F(RaidFaultTest, AllLegsFailedFailsTheWrite) {
  Activate("r", "0 1024 raid raid1 4 0 nosync region_size 128 2 7:1 7:2 7:3 7:4");
  disks_[1]->faults().failed = true;
  disks_[3]->faults().failed = true;
  EXPECT_FALSE(Write("r", 0, Pattern(8, 8)).ok());
  EXPECT_EQ(DmStatus(), "0 1024 raid raid1 2 DD 1024/1024 idle 0 0 -");
}

TEST_F(RaidFaultTest, AnUnreadableSuperblockStartsTheArrayDegraded) {
  Activate("r", "0 1024 raid raid1 4 0 nosync region_size 128 2 7:1 7:2 7:3 7:4");
  ASSERT_TRUE(Write("r", 0, Pattern(10, 8)).ok());
  ASSERT_TRUE(kernel_.Suspend("r").ok());
  disks_[2]->faults().failed = true;  // the second leg's meta device
  disks_[3]->faults().failed = true;  // and its data device: the drive is gone
  ASSERT_TRUE(kernel_.Load("r", "0 1024 raid raid1 3 0 region_size 128 2 7:1 7:2 7:3 7:4").ok());
  ASSERT_TRUE(kernel_.Resume("r").ok());
  EXPECT_EQ(DmStatus(), "0 1024 raid raid1 2 AD 1024/1024 idle 0 0 -");
  std::vector<uint8_t> out;
  ASSERT_TRUE(Read("r", 0, 8, &out).ok());
  EXPECT_EQ(out, Pattern(10, 8));
  ASSERT_TRUE(Write("r", 8, Pattern(11, 8)).ok());
  // No superblock readable at all: the table cannot start.
  ASSERT_TRUE(kernel_.Suspend("r").ok());
  disks_[0]->faults().failed = true;
  ASSERT_TRUE(kernel_.Load("r", "0 1024 raid raid1 3 0 region_size 128 2 7:1 7:2 7:3 7:4").ok());
  EXPECT_FALSE(kernel_.Resume("r").ok());
}

// The fuzzer's raid1-split-crash-merge-crash, reduced: a write that leg 0
// failed and leg 1 took is acknowledged; the power goes. Leg 0 must come
// back as recovering from leg 1 (the superblocks list it), not as in sync
// with a dirty region that a resync from leg 0 overwrites leg 1 with; and a
// second power cut before that recovery ends must not change that.
TEST_F(RaidFaultTest, ALegFailedUnderAnAcknowledgedWriteIsRecoveredNotResyncedOverTheData) {
  const std::string table = "0 1024 raid raid1 3 0 region_size 128 2 7:1 7:2 7:3 7:4";
  Activate("r", "0 1024 raid raid1 4 0 nosync region_size 128 2 7:1 7:2 7:3 7:4");
  disks_[1]->faults().failed = true;  // leg 0's data
  ASSERT_TRUE(Write("r", 8, Pattern(12, 8), Bio::kFua).ok());
  Rng rng(7);
  auto power_cut = [&] {
    ASSERT_TRUE(kernel_.Suspend("r").ok());
    for (auto& d : disks_) d->Crash(store::LossPolicy::kAll, rng);
    disks_[1]->faults().failed = false;  // the drive is back after the reboot
    ASSERT_TRUE(kernel_.Load("r", table).ok());
    ASSERT_TRUE(kernel_.Resume("r").ok());
  };
  power_cut();
  // Cut again before the recovery copies anything.
  power_cut();
  EXPECT_NE(DmStatus().find("aA"), std::string::npos) << DmStatus();
  std::vector<uint8_t> out;
  ASSERT_TRUE(Read("r", 8, 8, &out).ok());
  EXPECT_EQ(out, Pattern(12, 8));
  sched_.RunUntilIdle();
  EXPECT_EQ(DmStatus(), "0 1024 raid raid1 2 AA 1024/1024 idle 0 0 -");
  EXPECT_EQ(DiskSectors(1, 8, 8), Pattern(12, 8));
  // In sync now, and the superblocks say so: a power cut changes nothing.
  power_cut();
  EXPECT_EQ(DmStatus(), "0 1024 raid raid1 2 AA 1024/1024 idle 0 0 -");
  ASSERT_TRUE(Read("r", 8, 8, &out).ok());
  EXPECT_EQ(out, Pattern(12, 8));
}

TEST_F(RaidFaultTest, AReadOnlyDeviceRefusesWritesWithEROFS) {
  Activate("lin", "0 1024 linear 7:1 0");
  kernel_.Find("lin")->set_read_only(true);
  EXPECT_EQ(kernel_.Info("lin")->State(), "ACTIVE (READ-ONLY)");
  const lvlab::Status st = Write("lin", 0, Pattern(9, 8));
  EXPECT_EQ(st.code(), Code::kReadOnly) << st.message();
  std::vector<uint8_t> out;
  EXPECT_TRUE(Read("lin", 0, 8, &out).ok());
  EXPECT_EQ(DiskSectors(0, 0, 8), std::vector<uint8_t>(8 * kSectorSize, 0));
  kernel_.Find("lin")->set_read_only(false);
  EXPECT_TRUE(Write("lin", 0, Pattern(9, 8)).ok());
}

}  // namespace
}  // namespace lvlab::dm
