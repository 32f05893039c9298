// lvconvert --repair of mirror and raid1 LVs, by hand and from dmeventd
// (repair.h, dmeventd.h), and the read-only device of a tracked split image.
#include "sim/lvm/repair.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "sim/lvm/machine.h"
#include "sim/lvm/names.h"
#include "sim/lvm/raid.h"

namespace lvlab::lvm {
namespace {

class RepairTest : public ::testing::Test {
 protected:
  // pv1..pv4 of 64 MiB, vg0 with 1 MiB extents.
  void SetUp() override {
    Context& c = m_.ctx();
    for (const char* pv : {"pv1", "pv2", "pv3", "pv4"}) {
      ASSERT_TRUE(Pvcreate(c, pv, 64 << 20, 1 << 20).ok());
    }
    ASSERT_TRUE(Vgcreate(c, {"vg0", {"pv1", "pv2", "pv3", "pv4"}, 1 << 20}).ok());
    m_.sys().trace().Subscribe(
        [this](std::string_view type, const std::string&) { ++events_[std::string(type)]; });
  }
  Status Create(const std::string& type, std::vector<std::string> pvs) {
    LvcreateArgs a;
    a.vg = "vg0", a.name = type == "mirror" ? "m0" : "r0", a.extents = "8", a.type = type;
    a.mirrors = 1, a.nosync = type == "raid1", a.pvs = std::move(pvs);
    Status st = Lvcreate(m_.ctx(), a);
    Idle(2);
    return st;
  }
  void Fail(const std::string& pv) { m_.lab().FindPv(pv)->disk->faults().failed = true; }
  Status Repair(const std::string& lv, bool policies, std::vector<std::string> pvs = {}) {
    LvconvertRepairArgs a;
    a.lv = lv, a.use_policies = policies, a.yes = true, a.pvs = std::move(pvs);
    return LvconvertRepair(m_.ctx(), a);
  }
  VolumeGroup Vg() { return m_.lab().ReadVg("vg0")->vg; }
  // The lab PV names an LV's first segment's areas are on ("pv1"...).
  std::string PvOf(const std::string& lv) {
    const VolumeGroup vg = Vg();
    const LogicalVolume* l = vg.FindLv(lv);
    if (!l) return "absent";
    const Area& a = l->segments[0].areas[0];
    if (a.kind == Area::Kind::kLv) return a.name;
    return m_.lab().PvFor(*vg.FindPv(a.name))->name;
  }
  std::string DmStatus(const std::string& dm) {
    auto s = m_.sys().kernel().StatusLines(dm);
    return s.ok() ? *s : "absent";
  }
  void Idle(uint64_t seconds) {
    engine::Scheduler& s = m_.sys().scheduler();
    s.RunUntil([] { return false; }, s.now_ns() + seconds * 1'000'000'000);
  }

  Machine m_;
  std::map<std::string, int> events_;
};

TEST_F(RepairTest, AHealthyMirrorHasNothingToRepair) {
  ASSERT_TRUE(Create("mirror", {}).ok()) << m_.TakeErr();
  ASSERT_TRUE(Repair("vg0/m0", false).ok());
  EXPECT_NE(m_.TakeOut().find("Volume vg0/m0 is consistent. Nothing to repair."),
            std::string::npos);
}

TEST_F(RepairTest, RemovePolicyLeavesALinearLvOnTheSurvivingLeg) {
  ASSERT_TRUE(Create("mirror", {"pv1", "pv2", "pv3"}).ok()) << m_.TakeErr();
  const std::vector<uint8_t> data(1 << 20, 0x5a);
  ASSERT_TRUE(WriteDevice(m_.sys(), "vg0-m0", 2 << 20, data).ok());
  Fail("pv2");
  m_.TakeOut();
  ASSERT_TRUE(Repair("vg0/m0", true).ok()) << m_.TakeErr();
  EXPECT_NE(m_.TakeOut().find("Mirror status: 1 of 2 images failed."), std::string::npos);
  const VolumeGroup vg = Vg();
  EXPECT_EQ(vg.FindLv("m0")->segments[0].type, "striped");
  EXPECT_EQ(PvOf("m0"), "pv1");
  EXPECT_EQ(vg.FindLv("m0_mimage_0"), nullptr);
  EXPECT_EQ(vg.FindLv("m0_mlog"), nullptr);
  EXPECT_TRUE(vg.FindPv(vg.pvs[1].key)->Has(kMissing));  // pv2 stays, flagged MISSING
  EXPECT_EQ(m_.sys().kernel().Find("vg0-m0_mimage_1"), nullptr);
  EXPECT_EQ(*ReadDevice(m_.sys(), "vg0-m0", 2 << 20, 1 << 20), data);
}

TEST_F(RepairTest, AllocatePolicyReplacesTheLegAndResyncs) {
  ASSERT_TRUE(Create("mirror", {"pv1", "pv2", "pv3"}).ok()) << m_.TakeErr();
  const std::vector<uint8_t> data(1 << 20, 0x6b);
  ASSERT_TRUE(WriteDevice(m_.sys(), "vg0-m0", 5 << 20, data).ok());
  Fail("pv2");
  m_.lab().mutable_options().config.mirror_image_fault_policy = "allocate";
  ASSERT_TRUE(Repair("vg0/m0", true).ok()) << m_.TakeErr();
  const std::string err = m_.TakeErr();
  EXPECT_NE(err.find("WARNING: Trying to up-convert to 2 images, 1 logs."), std::string::npos);
  EXPECT_EQ(PvOf("m0_mimage_0"), "pv1");
  EXPECT_EQ(PvOf("m0_mimage_1"), "pv3");
  EXPECT_EQ(PvOf("m0_mlog"), "pv4") << err;
  Idle(5);
  EXPECT_NE(DmStatus("vg0-m0").find(" 4/4 1 AA 3 disk "), std::string::npos) << DmStatus("vg0-m0");
  EXPECT_EQ(*ReadDevice(m_.sys(), "vg0-m0_mimage_1", 5 << 20, 1 << 20), data);
}

TEST_F(RepairTest, AFailedLogIsReplacedByDefault) {
  ASSERT_TRUE(Create("mirror", {"pv1", "pv2", "pv3"}).ok()) << m_.TakeErr();
  Fail("pv3");
  ASSERT_TRUE(Repair("vg0/m0", true).ok()) << m_.TakeErr();
  EXPECT_NE(m_.TakeOut().find("Mirror log status: 1 of 1 images failed."), std::string::npos);
  EXPECT_EQ(PvOf("m0_mimage_0"), "pv1");
  EXPECT_EQ(PvOf("m0_mimage_1"), "pv2");
  EXPECT_EQ(PvOf("m0_mlog"), "pv4");
}

TEST_F(RepairTest, RaidWarnPolicyOnlyWarns) {
  ASSERT_TRUE(Create("raid1", {"pv1", "pv2"}).ok()) << m_.TakeErr();
  Fail("pv2");
  const uint64_t seqno = Vg().seqno;
  ASSERT_TRUE(Repair("vg0/r0", true).ok());
  EXPECT_NE(m_.TakeErr().find("Use 'lvconvert --repair vg0/r0' to replace failed device."),
            std::string::npos);
  EXPECT_EQ(Vg().seqno, seqno);
}

TEST_F(RepairTest, RaidRepairByHandRefusesWithoutSpaceThenReplaces) {
  ASSERT_TRUE(Create("raid1", {"pv1", "pv2"}).ok()) << m_.TakeErr();
  const std::vector<uint8_t> data(1 << 20, 0x7c);
  ASSERT_TRUE(WriteDevice(m_.sys(), "vg0-r0", 1 << 20, data).ok());
  Fail("pv2");
  const lvlab::Status st = Repair("vg0/r0", false, {"pv1"});
  EXPECT_EQ(st.code(), Code::kNoSpace);
  EXPECT_NE(st.message().find("Failed to allocate replacement images for vg0/r0."),
            std::string::npos)
      << st.message();
  ASSERT_TRUE(Repair("vg0/r0", false, {"pv4"}).ok()) << m_.TakeErr();
  EXPECT_EQ(PvOf("r0_rimage_1"), "pv4");
  EXPECT_EQ(PvOf("r0_rmeta_1"), "pv4");
  Idle(5);
  EXPECT_NE(DmStatus("vg0-r0").find("raid1 2 AA 16384/16384 idle"), std::string::npos)
      << DmStatus("vg0-r0");
  EXPECT_EQ(events_["raid-region-recovered"], 4);  // the new image, in full
  EXPECT_EQ(*ReadDevice(m_.sys(), "vg0-r0_rimage_1", 1 << 20, 1 << 20), data);
}

TEST_F(RepairTest, DmeventdRepairsAMirrorWhoseLegFailsUnderWrites) {
  ASSERT_TRUE(Create("mirror", {"pv1", "pv2", "pv3"}).ok()) << m_.TakeErr();
  Fail("pv2");
  const std::vector<uint8_t> data(64 << 10, 0x3d);
  // The write is held (handle_errors) until the repair's noflush suspend
  // hands it to the linear table.
  ASSERT_TRUE(WriteDevice(m_.sys(), "vg0-m0", 0, data).ok());
  Idle(2);
  EXPECT_EQ(events_["dmeventd-repair"], 1);
  EXPECT_EQ(Vg().FindLv("m0")->segments[0].type, "striped");
  EXPECT_EQ(*ReadDevice(m_.sys(), "vg0-m0", 0, 64 << 10), data);
}

TEST_F(RepairTest, DmeventdWithRaidAllocateReplacesAFailedLeg) {
  m_.lab().mutable_options().config.raid_fault_policy = "allocate";
  ASSERT_TRUE(Create("raid1", {"pv1", "pv2"}).ok()) << m_.TakeErr();
  Fail("pv2");
  const std::vector<uint8_t> data(64 << 10, 0x4e);
  ASSERT_TRUE(WriteDevice(m_.sys(), "vg0-r0", 0, data).ok());
  Idle(10);
  EXPECT_EQ(events_["raid-leg-failed"], 1);
  EXPECT_EQ(events_["dmeventd-repair"], 1);
  EXPECT_EQ(PvOf("r0_rimage_1"), "pv3");
  EXPECT_NE(DmStatus("vg0-r0").find("raid1 2 AA 16384/16384 idle"), std::string::npos)
      << DmStatus("vg0-r0");
  EXPECT_EQ(*ReadDevice(m_.sys(), "vg0-r0_rimage_1", 0, 64 << 10), data);
}

TEST_F(RepairTest, ATrackedSplitImageIsReadOnlyUntilMergedBack) {
  ASSERT_TRUE(Create("raid1", {"pv1", "pv2"}).ok()) << m_.TakeErr();
  LvconvertSplitArgs split;
  split.lv = "vg0/r0", split.trackchanges = true;
  ASSERT_TRUE(LvconvertSplitMirrors(m_.ctx(), split).ok());
  const std::vector<uint8_t> data(4096, 0x11);
  EXPECT_EQ(WriteDevice(m_.sys(), "vg0-r0_rimage_1", 0, data).code(), Code::kReadOnly);
  EXPECT_TRUE(ReadDevice(m_.sys(), "vg0-r0_rimage_1", 0, 4096).ok());
  EXPECT_TRUE(m_.sys().kernel().Info("vg0-r0_rimage_1")->read_only);
  EXPECT_FALSE(m_.sys().kernel().Info("vg0-r0")->read_only);
  VolumeGroup vg = Vg();
  ASSERT_TRUE(MergeRaidImage(m_.ctx(), vg, "r0_rimage_1").ok());
  EXPECT_FALSE(m_.sys().kernel().Info("vg0-r0_rimage_1")->read_only);
}

TEST_F(RepairTest, VgextendRestoreMissingTakesBackAPvWhoseDriveIsBack) {
  ASSERT_TRUE(Create("mirror", {"pv1", "pv2", "pv3"}).ok()) << m_.TakeErr();
  Fail("pv2");
  ASSERT_TRUE(Repair("vg0/m0", true).ok()) << m_.TakeErr();
  ASSERT_TRUE(Vg().pvs[1].Has(kMissing));
  m_.TakeOut(), m_.TakeErr();
  EXPECT_FALSE(VgextendRestoreMissing(m_.ctx(), "vg0", {"pv2"}).ok());  // still failed
  EXPECT_NE(m_.TakeErr().find("WARNING: The PV pv2 is still missing."), std::string::npos);
  m_.lab().FindPv("pv2")->disk->faults().failed = false;
  ASSERT_TRUE(VgextendRestoreMissing(m_.ctx(), "vg0", {"pv2"}).ok()) << m_.TakeErr();
  EXPECT_NE(m_.TakeOut().find("Volume group \"vg0\" successfully extended"), std::string::npos);
  EXPECT_FALSE(Vg().pvs[1].Has(kMissing));
  const Status again = VgextendRestoreMissing(m_.ctx(), "vg0", {"pv2"});
  EXPECT_EQ(again.message(), "No PV has been restored.");
  EXPECT_NE(m_.TakeErr().find("WARNING: PV pv2 was not missing in VG vg0"), std::string::npos);
}

TEST_F(RepairTest, VgreduceRemoveMissingKeepsPartialLvsUnlessForced) {
  ASSERT_TRUE(Create("raid1", {"pv1", "pv2"}).ok()) << m_.TakeErr();
  Fail("pv2");  // under r0
  Fail("pv4");  // empty
  m_.TakeOut(), m_.TakeErr();
  EXPECT_FALSE(VgreduceRemoveMissing(m_.ctx(), "vg0", false).ok());
  const std::string err = m_.TakeErr();
  EXPECT_NE(err.find("WARNING: Partial LV r0 needs to be repaired or removed."), std::string::npos)
      << err;
  EXPECT_NE(err.find("To remove them unconditionally use: vgreduce --removemissing --force."),
            std::string::npos);
  VolumeGroup vg = Vg();
  ASSERT_EQ(vg.pvs.size(), 3u);  // pv4 went, pv2 stays flagged MISSING
  EXPECT_TRUE(vg.pvs[1].Has(kMissing));
  EXPECT_NE(vg.FindLv("r0"), nullptr);
  ASSERT_TRUE(VgreduceRemoveMissing(m_.ctx(), "vg0", true).ok()) << m_.TakeErr();
  EXPECT_NE(m_.TakeOut().find("Wrote out consistent volume group vg0."), std::string::npos);
  vg = Vg();
  EXPECT_EQ(vg.pvs.size(), 2u);
  EXPECT_EQ(vg.FindLv("r0"), nullptr);
  EXPECT_EQ(vg.FindLv("r0_rimage_0"), nullptr);
  EXPECT_EQ(vg.FindLv("r0_rmeta_1"), nullptr);
  EXPECT_EQ(m_.sys().kernel().Find("vg0-r0"), nullptr);
  EXPECT_EQ(m_.sys().kernel().Find("vg0-r0_rimage_0"), nullptr);
  // Nothing missing any more.
  ASSERT_TRUE(VgreduceRemoveMissing(m_.ctx(), "vg0", false).ok());
  EXPECT_NE(m_.TakeErr().find("Volume group \"vg0\" is already consistent."), std::string::npos);
}

}  // namespace
}  // namespace lvlab::lvm
