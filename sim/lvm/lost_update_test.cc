// A VG read before another commit is never written over it: the write of
// the older copy is refused and nothing changes (LVM's VG lock would make
// the second writer wait; found by the fuzzer as a pvmove abort committed by
// its poller inside `lvcreate -s`, whose stale copy then brought pvmove0
// back).
#include <gtest/gtest.h>

#include "sim/lvm/machine.h"

namespace lvlab::lvm {
namespace {

TEST(LostUpdate, AWriteOfAVgOlderThanTheCommittedOneIsRefusedAndChangesNothing) {
  Machine m;
  for (const char* pv : {"pv1", "pv2"}) {
    ASSERT_TRUE(Pvcreate(m.ctx(), pv, 16 << 20, 1 << 20, 1).ok()) << m.TakeErr();
  }
  ASSERT_TRUE(Vgcreate(m.ctx(), {"vg0", {"pv1", "pv2"}, 1 << 20}).ok());
  auto stale = m.lab().ReadVg("vg0");
  ASSERT_TRUE(stale.ok());
  LvcreateArgs a;
  a.vg = "vg0", a.name = "lv0", a.extents = "4";
  ASSERT_TRUE(Lvcreate(m.ctx(), a).ok()) << m.TakeErr();
  const uint64_t committed = m.lab().FindPv("pv1")->seqno;
  ASSERT_GT(committed, stale->vg.seqno);

  Status st = m.lab().VgWrite(stale->vg);
  EXPECT_EQ(st.code(), Code::kBusy);
  EXPECT_NE(st.message().find("changed while this command ran"), std::string::npos) << st.message();
  EXPECT_EQ(m.lab().Precommitted("vg0"), nullptr) << "nothing precommitted";
  m.Reboot();
  auto now = m.lab().ReadVg("vg0");
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->vg.seqno, committed);
  EXPECT_NE(now->vg.FindLv("lv0"), nullptr) << "lv0's commit stands";
}

}  // namespace
}  // namespace lvlab::lvm
