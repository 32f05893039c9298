// raid1 LVs end to end on a simulated machine: lvcreate --type raid1, split
// with --trackchanges and merge back (only dirty regions recovered), a
// completed split, refused requests.
#include "sim/lvm/raid.h"

#include <gtest/gtest.h>

#include "sim/lvm/machine.h"
#include "sim/lvm/names.h"
#include "sim/lvm/pvmove.h"
#include "sim/lvm/snapshot.h"

namespace lvlab::lvm {
namespace {

class RaidCommandsTest : public ::testing::Test {
 protected:
  // pv1..pv3 of 64 MiB, vg0 with 1 MiB extents; r0 = 2-way raid1 of 8 MiB.
  void SetUp() override {
    Context& c = m_.ctx();
    for (const char* pv : {"pv1", "pv2", "pv3"}) {
      ASSERT_TRUE(Pvcreate(c, pv, 64 << 20, 1 << 20).ok());
    }
    ASSERT_TRUE(Vgcreate(c, {"vg0", {"pv1", "pv2", "pv3"}, 1 << 20}).ok());
    m_.sys().trace().Subscribe([this](std::string_view type, const std::string&) {
      if (type == "raid-region-recovered") ++recovered_;
      if (type == "raid-in-sync") ++in_sync_;
    });
  }
  Status Create(uint32_t mirrors, bool nosync, std::vector<std::string> pvs = {}) {
    LvcreateArgs a;
    a.vg = "vg0", a.name = "r0", a.extents = "8", a.type = "raid1", a.mirrors = mirrors;
    a.nosync = nosync, a.pvs = std::move(pvs);
    return Lvcreate(m_.ctx(), a);
  }
  VolumeGroup Vg() { return m_.lab().ReadVg("vg0")->vg; }
  std::string Table(const std::string& dm) {
    auto t = m_.sys().kernel().Table(dm);
    return t.ok() ? *t : "absent";
  }
  void Idle(uint64_t seconds) {
    engine::Scheduler& s = m_.sys().scheduler();
    s.RunUntil([] { return false; }, s.now_ns() + seconds * 1'000'000'000);
  }

  Machine m_;
  int recovered_ = 0;
  int in_sync_ = 0;
};

TEST_F(RaidCommandsTest, CreateLaysOutImagesOnDistinctPvsAndResyncs) {
  ASSERT_TRUE(Create(1, false).ok()) << m_.TakeErr();
  const VolumeGroup vg = Vg();
  const Segment& seg = vg.FindLv("r0")->segments[0];
  EXPECT_EQ(seg.type, "raid1");
  ASSERT_EQ(seg.areas.size(), 4u);
  EXPECT_EQ(seg.areas[0].name, "r0_rmeta_0");
  EXPECT_EQ(seg.areas[3].name, "r0_rimage_1");
  EXPECT_FALSE(vg.FindLv("r0_rimage_1")->visible());
  EXPECT_NE(vg.FindLv("r0_rimage_0")->segments[0].areas[0].name,
            vg.FindLv("r0_rimage_1")->segments[0].areas[0].name);
  EXPECT_EQ(Table("vg0-r0").find("0 16384 raid raid1 3 0 region_size 4096 2 254:"), 0u)
      << Table("vg0-r0");
  Idle(1);
  EXPECT_EQ(recovered_, 4);  // a new array: every region resynced once
  EXPECT_NE(m_.sys().kernel().StatusLines("vg0-r0")->find("AA 16384/16384 idle"),
            std::string::npos);
}

TEST_F(RaidCommandsTest, TrackedSplitMergesBackCopyingOnlyDirtyRegions) {
  ASSERT_TRUE(Create(1, true).ok()) << m_.TakeErr();
  Idle(10);  // nothing written: nothing dirty
  LvconvertSplitArgs split;
  split.lv = "vg0/r0", split.trackchanges = true;
  ASSERT_TRUE(LvconvertSplitMirrors(m_.ctx(), split).ok());
  EXPECT_NE(Table("vg0-r0").find(" - -"), std::string::npos) << Table("vg0-r0");
  EXPECT_TRUE(Vg().FindLv("r0_rimage_1")->visible());
  EXPECT_FALSE(Vg().FindLv("r0_rimage_1")->Has(kWrite));
  const std::vector<uint8_t> data(1 << 20, 0x42);
  ASSERT_TRUE(WriteDevice(m_.sys(), "vg0-r0", 3 << 20, data).ok());  // region 1
  EXPECT_NE(*ReadDevice(m_.sys(), "vg0-r0_rimage_1", 3 << 20, 1 << 20), data);
  LvconvertMergeArgs merge;
  merge.lv = "vg0/r0_rimage_1";
  ASSERT_TRUE(LvconvertMerge(m_.ctx(), merge).ok());
  EXPECT_FALSE(Vg().FindLv("r0_rimage_1")->visible());
  Idle(1);
  EXPECT_EQ(in_sync_, 1);
  EXPECT_EQ(recovered_, 1);
  EXPECT_EQ(*ReadDevice(m_.sys(), "vg0-r0_rimage_1", 3 << 20, 1 << 20), data);
}

// command-lines.in, lvconvert_merge: RULE: all not lv_is_locked. A tracked
// image that a pvmove is moving (LOCKED) is not merged back until the move
// is done; the lab merged it under the move (found by the fuzzer).
TEST_F(RaidCommandsTest, TrackedImageUnderAPvmoveIsNotMergedBack) {
  ASSERT_TRUE(Create(1, true, {"pv1", "pv2"}).ok()) << m_.TakeErr();
  LvconvertSplitArgs split;
  split.lv = "vg0/r0", split.trackchanges = true;
  ASSERT_TRUE(LvconvertSplitMirrors(m_.ctx(), split).ok());
  PvmoveArgs move;
  move.source = "pv2", move.dests = {"pv3"}, move.lv = "r0_rimage_1", move.wait = false;
  ASSERT_TRUE(Pvmove(m_.ctx(), move).ok()) << m_.TakeErr();
  ASSERT_TRUE(Vg().FindLv("r0_rimage_1")->Has(kLocked));
  const uint64_t seqno = Vg().seqno;
  LvconvertMergeArgs merge;
  merge.lv = "vg0/r0_rimage_1";
  const Status refused = LvconvertMerge(m_.ctx(), merge);
  EXPECT_NE(refused.message().find("lv_is_locked"), std::string::npos) << refused.message();
  EXPECT_EQ(Vg().seqno, seqno);
  EXPECT_TRUE(Vg().FindLv("r0_rimage_1")->visible());
  ASSERT_TRUE(WaitForPollers(m_.ctx()).ok()) << m_.TakeErr();
  ASSERT_TRUE(LvconvertMerge(m_.ctx(), merge).ok()) << m_.TakeErr();
  EXPECT_FALSE(Vg().FindLv("r0_rimage_1")->visible());
}

TEST_F(RaidCommandsTest, ACompletedSplitLeavesTwoLinearLvs) {
  ASSERT_TRUE(Create(1, true).ok());
  const std::vector<uint8_t> data(1 << 20, 0x17);
  ASSERT_TRUE(WriteDevice(m_.sys(), "vg0-r0", 0, data).ok());
  LvconvertSplitArgs split;
  split.lv = "vg0/r0", split.name = "copy";
  Status st = LvconvertSplitMirrors(m_.ctx(), split);
  ASSERT_TRUE(st.ok()) << st.message();
  const VolumeGroup vg = Vg();
  EXPECT_EQ(vg.FindLv("r0")->segments[0].type, "striped");
  EXPECT_TRUE(vg.FindLv("copy")->visible());
  EXPECT_EQ(vg.FindLv("r0_rimage_0"), nullptr);
  EXPECT_EQ(Table("vg0-r0_rimage_1"), "absent");
  EXPECT_EQ(*ReadDevice(m_.sys(), "vg0-copy", 0, 1 << 20), data);
  EXPECT_EQ(*ReadDevice(m_.sys(), "vg0-r0", 0, 1 << 20), data);
}

TEST_F(RaidCommandsTest, BadRequestsAreRefusedAndChangeNothing) {
  const uint64_t seqno = Vg().seqno;
  EXPECT_FALSE(Create(0, false).ok());
  EXPECT_FALSE(Create(4, false).ok());
  EXPECT_EQ(Create(1, false, {"pv1"}).code(), Code::kNoSpace);  // one PV for two images
  EXPECT_EQ(Vg().seqno, seqno);
  ASSERT_TRUE(Create(1, true).ok());
  LvconvertMergeArgs merge;
  merge.lv = "vg0/r0_rimage_1";  // not split
  EXPECT_NE(LvconvertMerge(m_.ctx(), merge).message().find("not a raid1 image split off"),
            std::string::npos);
  LvconvertSplitArgs split;
  split.lv = "vg0/r0";
  EXPECT_FALSE(LvconvertSplitMirrors(m_.ctx(), split).ok());  // neither --name nor tracking
}

TEST_F(RaidCommandsTest, MirrorLvsWithDiskAndCoreLogsSyncTheirImages) {
  LvcreateArgs a;
  a.vg = "vg0", a.name = "m0", a.extents = "4", a.type = "mirror", a.mirrors = 1;
  Status st = Lvcreate(m_.ctx(), a);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(Vg().FindLv("m0")->segments[0].mirror_log, "m0_mlog");
  EXPECT_NE(Table("vg0-m0").find(" mirror disk 2 254:"), std::string::npos) << Table("vg0-m0");
  EXPECT_NE(Table("vg0-m0").find(" 1 handle_errors"), std::string::npos) << Table("vg0-m0");
  a.name = "m1", a.mirrorlog = "core";
  ASSERT_TRUE(Lvcreate(m_.ctx(), a).ok());
  EXPECT_NE(Table("vg0-m1").find(" mirror core 1 4096 2 254:"), std::string::npos)
      << Table("vg0-m1");
  Idle(2);
  const std::vector<uint8_t> data(1 << 20, 0x61);
  ASSERT_TRUE(WriteDevice(m_.sys(), "vg0-m0", 1 << 20, data).ok());
  EXPECT_EQ(*ReadDevice(m_.sys(), "vg0-m0_mimage_0", 1 << 20, 1 << 20), data);
  EXPECT_EQ(*ReadDevice(m_.sys(), "vg0-m0_mimage_1", 1 << 20, 1 << 20), data);
  EXPECT_NE(m_.sys().kernel().StatusLines("vg0-m0")->find("2/2"), std::string::npos)
      << *m_.sys().kernel().StatusLines("vg0-m0");
}

}  // namespace
}  // namespace lvlab::lvm
