#include "sim/store/disk_faults.h"

#include <gtest/gtest.h>

#include <vector>

#include "sim/store/disk.h"

namespace lvlab::store {
namespace {

class DiskFaultsTest : public ::testing::Test {
 protected:
  DiskFaultsTest() : disk_("pv1", NewMemImage(1 << 20), DiskOptions{}) {
    disk_.set_clock([this] { return now_; });
  }
  Status Put(uint64_t sector, uint8_t fill) {
    std::vector<uint8_t> d(512, fill);
    return disk_.Write(sector, 1, d.data(), false);
  }
  Result<uint8_t> Get(uint64_t sector) {
    std::vector<uint8_t> d(512);
    LVLAB_RETURN_IF_ERROR(disk_.Read(sector, 1, d.data()));
    return d[1];
  }
  uint64_t now_ = 0;
  Disk disk_;
};

TEST_F(DiskFaultsTest, ErrorsHitOnlyTheirRangeDirectionAndCount) {
  FaultChange c;
  c.errors.push_back({*SectorRanges::Parse("10-19"), FaultOp::kRead, 2});
  c.ApplyTo(&disk_.faults(), 0);
  ASSERT_TRUE(Put(10, 1).ok());  // writes pass
  EXPECT_TRUE(Get(9).ok());
  EXPECT_FALSE(Get(10).ok());
  EXPECT_FALSE(Get(19).ok());
  EXPECT_EQ(*Get(10), 1);  // the count is spent
  EXPECT_EQ(disk_.faults().Describe(), "read errors on sectors 10-19 (0 left)");
}

TEST_F(DiskFaultsTest, LostWritesAreAcknowledgedAndNeverStored) {
  ASSERT_TRUE(Put(5, 7).ok());
  FaultChange c;
  c.lose_writes = *SectorRanges::Parse("5");
  c.ApplyTo(&disk_.faults(), 0);
  ASSERT_TRUE(Put(5, 9).ok());
  ASSERT_TRUE(Put(6, 9).ok());
  EXPECT_EQ(*Get(5), 7);
  EXPECT_EQ(*Get(6), 9);
}

TEST_F(DiskFaultsTest, CorruptOnReadLeavesTheStoredDataAlone) {
  ASSERT_TRUE(Put(3, 4).ok());
  FaultChange c;
  c.corrupt.push_back({SectorRanges{}, FaultOp::kRead, 2, 0xab});
  c.ApplyTo(&disk_.faults(), 0);
  EXPECT_EQ(*Get(3), 0xab);
  disk_.faults() = DiskFaults{};
  EXPECT_EQ(*Get(3), 4);
}

TEST_F(DiskFaultsTest, FlakeyFollowsTheClockFromWhenItWasSet) {
  FaultChange c;
  c.flakey = FlakeyFault{1000, 500, FlakeyFault::Mode::kErrorWrites, 0};
  c.ApplyTo(&disk_.faults(), 100);  // up 100..1100, down 1100..1600
  now_ = 1099;
  EXPECT_TRUE(Put(1, 1).ok());
  now_ = 1100;
  EXPECT_FALSE(Put(1, 2).ok());
  EXPECT_TRUE(Get(1).ok());  // error-writes: reads pass
  EXPECT_FALSE(disk_.Flush().ok());
  now_ = 1600;
  EXPECT_TRUE(Put(1, 3).ok());
}

TEST_F(DiskFaultsTest, DelayAddsToTheCompletionTime) {
  const uint64_t base = disk_.CompletionTimeNs(0, true, 512);
  FaultChange c;
  c.delay_ns = {{0, 20'000'000}};
  c.ApplyTo(&disk_.faults(), 0);
  EXPECT_EQ(disk_.CompletionTimeNs(0, true, 512), base + 20'000'000);
}

TEST_F(DiskFaultsTest, SerializeParsesBackAndRestoreClearsAll) {
  FaultChange c;
  c.failed = true;
  c.delay_ns = {{5, 6}};
  c.errors.push_back({*SectorRanges::Parse("0-7,100-199"), FaultOp::kWrite, -1});
  c.flakey = FlakeyFault{1, 2, FlakeyFault::Mode::kDropWrites, 0};
  c.corrupt.push_back({*SectorRanges::Parse("all"), FaultOp::kWrite, 9, 200});
  c.lose_writes = *SectorRanges::Parse("42");
  DiskFaults f;
  c.ApplyTo(&f, 77);
  Result<DiskFaults> back = DiskFaults::Parse(f.Serialize());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(*back, f);
  FaultChange r;
  r.restore = true;
  r.ApplyTo(&f, 0);
  EXPECT_FALSE(f.any());
  EXPECT_EQ(f.Describe(), "none");
  EXPECT_FALSE(DiskFaults::Parse("frobnicate\n").ok());
  EXPECT_FALSE(SectorRanges::Parse("9-3").ok());
}

}  // namespace
}  // namespace lvlab::store
