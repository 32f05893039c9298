// CheckLegsIdentical over two disks at different offsets, as the legs of a
// mirror are, and ReadSync on a suspended device.
#include "sim/check/checkers.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/base/change_clock.h"
#include "sim/check/check_test_util.h"
#include "sim/check/sector_format.h"

namespace lvlab::check {
namespace {

Status WriteSync(dm::BlockDevice* dev, uint64_t sector, std::vector<uint8_t> data,
                 engine::Scheduler& sched) {
  auto result = std::make_shared<std::optional<Status>>();
  dev->Submit(engine::Bio{engine::Bio::Op::kWrite, sector, data.size() / kSectorSize, 0,
                          data.data(), [result](Status st) { *result = std::move(st); }});
  EXPECT_TRUE(sched.RunUntil([&] { return result->has_value(); }));
  return **result;
}

TEST(CheckersTest, LegsIdenticalAndTheFirstDifference) {
  Rig rig(1);
  rig.AddDisk(kDiskSectors);
  rig.AddDisk(kDiskSectors);
  dm::BlockDevice* pv1 = rig.kernel.FindDisk(1);
  dm::BlockDevice* pv2 = rig.kernel.FindDisk(2);
  std::vector<uint8_t> data(3000 * kSectorSize);
  for (uint64_t i = 0; i < 3000; ++i) FillSector(&data[i * kSectorSize], 0xabc + i / 8, i);
  ASSERT_TRUE(WriteSync(pv1, 2048, data, rig.sched).ok());
  ASSERT_TRUE(WriteSync(pv2, 4096, data, rig.sched).ok());
  EXPECT_TRUE(CheckLegsIdentical(pv1, 2048, pv2, 4096, 3000, rig.sched).ok());
  EXPECT_FALSE(CheckLegsIdentical(pv1, 2048, pv2, 4097, 3000, rig.sched).ok());

  std::vector<uint8_t> zero(kSectorSize);
  ASSERT_TRUE(WriteSync(pv2, 4096 + 2500, zero, rig.sched).ok());
  const Status st = CheckLegsIdentical(pv1, 2048, pv2, 4096, 3000, rig.sched);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kCorrupt);
  EXPECT_EQ(st.message(),
            "legs differ at sector 2500 of the range: pv1 (7:1) sector 4548 holds token "
            "0x0000000000000bf4 for LV sector 2500, pv2 (7:2) sector 6596 holds zeros");
}

// A pair found identical is not read again where both legs, even through
// reloaded tables, read the same disk sectors unchanged since: a change
// made straight to a disk's image (which no change record sees) shows
// only where the legs are read.
TEST(CheckersTest, LegsFoundIdenticalAreReadAgainOnlyWhereTheirDiskSectorsChanged) {
  Rig rig(1);
  store::DiskOptions durable;
  durable.volatile_cache = false;
  rig.AddDisk(kDiskSectors, durable);
  rig.AddDisk(kDiskSectors, durable);
  std::vector<uint8_t> data(3000 * kSectorSize);
  for (uint64_t i = 0; i < 3000; ++i) FillSector(&data[i * kSectorSize], 0xabc + i / 8, i);
  ASSERT_TRUE(WriteSync(rig.kernel.FindDisk(1), 2048, data, rig.sched).ok());
  ASSERT_TRUE(WriteSync(rig.kernel.FindDisk(2), 4096, data, rig.sched).ok());
  dm::BlockDevice* a = rig.Activate("a", "0 3000 linear 7:1 2048");
  dm::BlockDevice* b = rig.Activate("b", "0 3000 linear 7:2 4096");
  const uint64_t start = ChangeStampNow();
  ASSERT_TRUE(CheckLegsIdentical(a, 0, b, 0, 3000, rig.sched).ok());
  const LegsPassed passed = PassedLegs(a, 0, b, 0, 3000, start);
  ASSERT_EQ(passed.b_where.size(), 1u);
  EXPECT_EQ(passed.b_where[0].sector, 4096u);

  // The same mapping, reloaded.
  for (const char* dev : {"a", "b"}) {
    const std::string table =
        std::string(dev) == "a" ? "0 3000 linear 7:1 2048" : "0 3000 linear 7:2 4096";
    ASSERT_TRUE(rig.kernel.Load(dev, table).ok());
    ASSERT_TRUE(rig.kernel.Suspend(dev).ok());
    ASSERT_TRUE(rig.kernel.Resume(dev).ok());
  }
  std::vector<uint8_t> zero(kSectorSize);
  ASSERT_TRUE(
      rig.disks[1]->image()->Write((4096 + 100) * kSectorSize, zero.data(), zero.size()).ok());
  EXPECT_TRUE(CheckLegsIdentical(a, 0, b, 0, 3000, rig.sched, &passed).ok()) << "nothing read";
  EXPECT_EQ(CheckLegsIdentical(a, 0, b, 0, 3000, rig.sched).code(), Code::kCorrupt);
  // A write through the disk into the same chunk: that chunk is read again.
  ASSERT_TRUE(WriteSync(rig.kernel.FindDisk(2), 4096 + 900,
                        std::vector<uint8_t>(data.begin() + 900 * kSectorSize,
                                             data.begin() + 901 * kSectorSize),
                        rig.sched)
                  .ok());
  const Status st = CheckLegsIdentical(a, 0, b, 0, 3000, rig.sched, &passed);
  EXPECT_EQ(st.code(), Code::kCorrupt);
  EXPECT_NE(st.message().find("at sector 100 of the range"), std::string::npos) << st.message();
}

TEST(CheckersTest, ReadSyncOnASuspendedDeviceSaysSo) {
  Rig rig(1);
  rig.AddDisk(kDiskSectors);
  dm::BlockDevice* dev = rig.Activate("lv0", kLinearTable);
  ASSERT_TRUE(rig.kernel.Suspend("lv0").ok());
  std::vector<uint8_t> buf(kSectorSize);
  const Status st = ReadSync(dev, 0, 1, buf.data(), rig.sched);
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  EXPECT_NE(st.message().find("never completed"), std::string::npos);
  ASSERT_TRUE(rig.kernel.Resume("lv0").ok());  // releases the deferred read
  rig.sched.RunUntilIdle();
}

}  // namespace
}  // namespace lvlab::check
