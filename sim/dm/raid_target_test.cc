#include "sim/dm/raid_target.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/base/change_clock.h"
#include "sim/dm/test_util.h"

namespace lvlab::dm {
namespace {

// pv1/pv3 are the meta devices, pv2/pv4 the data legs (1024 sectors, regions
// of 128 sectors: 8 regions).
class RaidTest : public DmTest {
 protected:
  void SetUp() override {
    for (int i = 0; i < 4; ++i) AddDisk(2048);
    trace_.Subscribe([this](std::string_view type, const std::string& line) {
      if (type == "raid-region-recovered") ++recovered_;
      if (type == "bio-submit") bios_.push_back(line);
    });
  }
  static std::string Table(const std::string& sync, bool second_leg = true) {
    return "0 1024 raid raid1 " + std::string(sync.empty() ? "3 0" : "4 0 " + sync) +
           " region_size 128 2 7:1 7:2 " + (second_leg ? "7:3 7:4" : "- -");
  }
  void Reload(const std::string& table) {
    ASSERT_TRUE(kernel_.Load("r", table).ok());
    ASSERT_TRUE(kernel_.Suspend("r").ok());
    ASSERT_TRUE(kernel_.Resume("r").ok());
  }
  std::string Status() { return *kernel_.StatusLines("r"); }

  int recovered_ = 0;
  std::vector<std::string> bios_;
};

TEST_F(RaidTest, ANewArrayResyncsFromLegZero) {
  ASSERT_TRUE(Write("pv2", 0, Pattern(1, 1024)).ok());
  Activate("r", Table(""));
  sched_.RunUntilIdle();
  EXPECT_EQ(Status(), "0 1024 raid raid1 2 AA 1024/1024 idle 0 0 -");
  EXPECT_EQ(recovered_, 8);
  EXPECT_EQ(DiskSectors(3, 0, 1024), Pattern(1, 1024));
  EXPECT_EQ(*kernel_.Table("r"), "0 1024 raid raid1 3 0 region_size 128 2 7:1 7:2 7:3 7:4");
}

TEST_F(RaidTest, NosyncStartsInSyncAndTheBitIsDurableBeforeTheData) {
  Activate("r", Table("nosync"));
  EXPECT_EQ(Status(), "0 1024 raid raid1 2 AA 1024/1024 idle 0 0 -");
  kernel_.set_trace_io(true);
  bios_.clear();
  ASSERT_TRUE(Write("r", 300, Pattern(2, 8)).ok());
  ASSERT_GE(bios_.size(), 4u);
  // The bitmap (sector 8 of both meta disks, FUA) goes out before the data.
  EXPECT_NE(bios_[0].find("\"sector\":8"), std::string::npos) << bios_[0];
  EXPECT_NE(bios_[0].find("FUA"), std::string::npos) << bios_[0];
  EXPECT_NE(bios_[2].find("\"sector\":300"), std::string::npos) << bios_[2];
  EXPECT_EQ(DiskSectors(3, 300, 8), Pattern(2, 8));
  EXPECT_EQ(recovered_, 0);
  // Region 2's bit is set on disk (bits start at byte 4096 + 256).
  EXPECT_EQ(DiskSectors(0, 8, 1)[256] & 0x04, 0x04);
}

TEST_F(RaidTest, ASplitLegIsTrackedAndOnlyDirtyRegionsAreRecovered) {
  Activate("r", Table("nosync"));
  sched_.RunUntil([] { return false; }, 20'000'000'000);  // bits of nothing get cleared
  Reload(Table("nosync", /*second_leg=*/false));
  EXPECT_EQ(Status(), "0 1024 raid raid1 2 A- 1024/1024 idle 0 0 -");
  ASSERT_TRUE(Write("r", 2 * 128 + 5, Pattern(3, 4)).ok());
  ASSERT_TRUE(Write("r", 5 * 128, Pattern(4, 128)).ok());
  sched_.RunUntil([] { return false; }, 60'000'000'000);  // degraded: bits stay
  EXPECT_EQ(DiskSectors(3, 5 * 128, 128), std::vector<uint8_t>(128 * kSectorSize, 0));
  Reload(Table(""));
  EXPECT_NE(Status().find("Aa"), std::string::npos) << Status();
  EXPECT_NE(Status().find("recover"), std::string::npos) << Status();
  sched_.RunUntilIdle();
  EXPECT_EQ(recovered_, 2);
  EXPECT_EQ(Status(), "0 1024 raid raid1 2 AA 1024/1024 idle 0 0 -");
  EXPECT_EQ(DiskSectors(3, 0, 1024), DiskSectors(1, 0, 1024));
}

// Checkers skip re-reading what provably reads as before: reads go to one
// leg, and Resolve says which, down to the disk.
TEST_F(RaidTest, ResolveFollowsTheLegReadsGoTo) {
  Activate("r", Table("nosync"));
  sched_.RunUntilIdle();
  EXPECT_EQ(Resolved("r", 0, 1024), "pv2:0+1024");
  const uint64_t t0 = ChangeStampNow();
  uint64_t newest_table = 0;
  EXPECT_EQ(Resolved("r", 0, 1024, &newest_table), "pv2:0+1024");
  EXPECT_LE(newest_table, t0) << "nothing changed where reads go";
  // A read error on leg 0: it is failed, the read is retried on leg 1, and
  // reads go there from now on.
  ASSERT_TRUE(Write("r", 0, Pattern(5, 8)).ok());
  disks_[1]->SetFailed(true);
  std::vector<uint8_t> back;
  ASSERT_TRUE(Read("r", 0, 8, &back).ok());
  EXPECT_EQ(back, Pattern(5, 8));
  EXPECT_EQ(Resolved("r", 0, 1024, &newest_table), "pv4:0+1024");
  EXPECT_GT(newest_table, t0);
}

TEST_F(RaidTest, TableErrors) {
  ASSERT_TRUE(kernel_.Create("r", "").ok());
  EXPECT_FALSE(kernel_.Load("r", "0 1024 raid raid5 3 0 region_size 128 2 7:1 7:2 7:3 7:4").ok());
  EXPECT_FALSE(kernel_.Load("r", "0 1024 raid raid1 3 0 region_size 100 2 7:1 7:2 7:3 7:4").ok());
  EXPECT_FALSE(kernel_.Load("r", "0 1024 raid raid1 3 0 region_size 128 3 7:1 7:2 7:3 7:4").ok());
  EXPECT_FALSE(kernel_.Load("r", "0 1024 raid raid1 3 0 region_size 128 2 7:1 7:2 7:3 -").ok());
  EXPECT_FALSE(
      kernel_.Load("r", "0 1024 raid raid1 5 0 sync nosync region_size 128 2 7:1 7:2 7:3 7:4")
          .ok());
}

}  // namespace
}  // namespace lvlab::dm
