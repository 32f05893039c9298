// PVs without a metadata area (pvcreate --metadatacopies 0): they never
// carry VG metadata, the VG knows them by UUID, and after a reboot the lab
// finds their VG from the other PVs' copies, as LVM's scan does.
#include <gtest/gtest.h>

#include "sim/lvm/machine.h"

namespace lvlab::lvm {
namespace {

void Make(Machine& m, const char* pv, uint32_t copies) {
  ASSERT_TRUE(Pvcreate(m.ctx(), pv, 16 << 20, 1 << 20, copies).ok()) << m.TakeErr();
}

TEST(MdalessPv, BelongsToItsVgByUuidAcrossReboots) {
  Machine m;
  Make(m, "pv1", 1);
  Make(m, "pv2", 0);
  Make(m, "pv3", 0);
  ASSERT_TRUE(Vgcreate(m.ctx(), {"vg0", {"pv1", "pv2"}, 1 << 20}).ok());
  EXPECT_EQ(m.lab().FindPv("pv2")->vg_name, "vg0");
  EXPECT_FALSE(m.lab().FindPv("pv2")->text.has_value()) << "no metadata on a 0-mda PV";
  m.Reboot();
  EXPECT_EQ(m.lab().FindPv("pv2")->vg_name, "vg0") << "found by UUID in pv1's copy";
  EXPECT_EQ(m.lab().FindPv("pv3")->vg_name, "");
  auto r = m.lab().ReadVg("vg0");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->warnings.empty()) << r->warnings.front();
  EXPECT_EQ(r->members.size(), 2u);

  // vgcreate with pv2 again is refused: it is in use by vg0.
  EXPECT_FALSE(Vgcreate(m.ctx(), {"vg1", {"pv2"}, 1 << 20}).ok());
  ASSERT_TRUE(Vgreduce(m.ctx(), "vg0", {"pv2"}).ok()) << m.TakeErr();
  EXPECT_EQ(m.lab().FindPv("pv2")->vg_name, "");
  m.Reboot();
  EXPECT_EQ(m.lab().FindPv("pv2")->vg_name, "") << "vg0's newest copy no longer lists it";
}

TEST(MdalessPv, VgWithoutAnyMetadataAreaIsRefusedAndLeavesNothing) {
  Machine m;
  Make(m, "pv1", 0);
  Make(m, "pv2", 0);
  Status st = Vgcreate(m.ctx(), {"vg0", {"pv1", "pv2"}, 1 << 20});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("No metadata areas to write to"), std::string::npos) << st.message();
  EXPECT_TRUE(m.lab().VgNames().empty());
  m.Reboot();
  EXPECT_TRUE(m.lab().VgNames().empty());
  EXPECT_EQ(m.lab().FindPv("pv1")->vg_name, "");
}

TEST(MdalessPv, SecondMetadataAreaIsRefusedWithAReason) {
  Machine m;
  Status st = Pvcreate(m.ctx(), "pv1", 16 << 20, 1 << 20, 2);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("use 0 or 1"), std::string::npos) << st.message();
  EXPECT_EQ(m.lab().FindPv("pv1"), nullptr) << "nothing created";
}

}  // namespace
}  // namespace lvlab::lvm
