// lvcreate -s, lvconvert --merge (now, and deferred while the origin is
// open) and lvremove of a snapshot, end to end on a simulated machine.
#include "sim/lvm/snapshot.h"

#include <gtest/gtest.h>

#include "sim/lvm/machine.h"
#include "sim/lvm/names.h"
#include "sim/lvm/pvmove.h"
#include "sim/lvm/snapshot_layout.h"

namespace lvlab::lvm {
namespace {

std::vector<uint8_t> Bytes(uint8_t v, size_t n) { return std::vector<uint8_t>(n, v); }

class SnapshotCommandsTest : public ::testing::Test {
 protected:
  // pv1, pv2 of 16 MiB; vg0 with 1 MiB extents; lv0 = 4 MiB on pv1 holding
  // 0xaa; snap = 2 MiB on pv2.
  void SetUp() override {
    Context& c = m_.ctx();
    for (const char* pv : {"pv1", "pv2"}) ASSERT_TRUE(Pvcreate(c, pv, 16 << 20, 1 << 20).ok());
    ASSERT_TRUE(Vgcreate(c, {"vg0", {"pv1", "pv2"}, 1 << 20}).ok());
    LvcreateArgs a;
    a.vg = "vg0", a.name = "lv0", a.extents = "4", a.pvs = {"pv1"};
    ASSERT_TRUE(Lvcreate(c, a).ok()) << m_.TakeErr();
    ASSERT_TRUE(WriteDevice(m_.sys(), "vg0-lv0", 0, Bytes(0xaa, 1 << 20)).ok());
    a.name = "snap", a.extents = "2", a.pvs = {"pv2"}, a.snapshot_origin = "lv0";
    Status st = Lvcreate(c, a);
    ASSERT_TRUE(st.ok()) << st.message();
    m_.TakeOut();
  }

  VolumeGroup Vg() { return m_.lab().ReadVg("vg0")->vg; }
  std::string Table(const std::string& dm) {
    auto t = m_.sys().kernel().Table(dm);
    return t.ok() ? *t : "absent";
  }
  std::vector<uint8_t> ReadLv(const std::string& dm, uint64_t offset, size_t n) {
    auto r = ReadDevice(m_.sys(), dm, offset, n);
    EXPECT_TRUE(r.ok()) << dm << ": " << r.status().message();
    return r.ok() ? *r : std::vector<uint8_t>{};
  }

  Machine m_;
};

TEST_F(SnapshotCommandsTest, CreateWritesLvmMetadataAndTables) {
  const VolumeGroup vg = Vg();
  const LogicalVolume* internal = SnapshotLvOfCow(vg, "snap");
  ASSERT_NE(internal, nullptr);
  EXPECT_EQ(internal->name, "snapshot0");
  const Segment& s = internal->segments[0];
  EXPECT_EQ(s.chunk_size, 8u);
  EXPECT_EQ(s.origin, "lv0");
  EXPECT_EQ(s.extent_count, 4u);
  EXPECT_FALSE(s.merging);
  EXPECT_EQ(Table("vg0-lv0").find("0 8192 snapshot-origin 254:"), 0u) << Table("vg0-lv0");
  EXPECT_NE(Table("vg0-lv0-real").find("linear 7:"), std::string::npos);
  EXPECT_NE(Table("vg0-snap").find(" snapshot 254:"), std::string::npos);
  EXPECT_NE(Table("vg0-snap-cow").find("0 4096 linear"), std::string::npos);
  EXPECT_EQ(m_.sys().kernel().Find("vg0-snap-cow")->uuid(), NodeUuid(vg, "snap:cow"));
  EXPECT_TRUE(NodeUuid(vg, "snap:cow").ends_with("-cow"));
  // Origin writes after the snapshot: the snapshot keeps the old data.
  ASSERT_TRUE(WriteDevice(m_.sys(), "vg0-lv0", 4096, Bytes(0xbb, 8192)).ok());
  EXPECT_EQ(ReadLv("vg0-snap", 4096, 8192), Bytes(0xaa, 8192));
  EXPECT_EQ(ReadLv("vg0-lv0", 4096, 8192), Bytes(0xbb, 8192));
}

TEST_F(SnapshotCommandsTest, MergeOfAnOpenOriginWaitsForItsNextActivation) {
  ASSERT_TRUE(WriteDevice(m_.sys(), "vg0-lv0", 0, Bytes(0xbb, 65536)).ok());
  ASSERT_TRUE(m_.sys().kernel().Open("vg0-lv0").ok());
  LvconvertMergeArgs a;
  a.lv = "vg0/snap";
  Status st = LvconvertMerge(m_.ctx(), a);
  ASSERT_TRUE(st.ok()) << st.message();
  const std::string out = m_.TakeOut();
  EXPECT_NE(out.find("Delaying merge since origin is open."), std::string::npos) << out;
  EXPECT_NE(out.find("will occur on next activation of vg0/lv0"), std::string::npos) << out;
  EXPECT_NE(Table("vg0-lv0").find("snapshot-origin"), std::string::npos);  // nothing changed
  EXPECT_TRUE(SnapshotOfCow(Vg(), "snap")->merging);
  EXPECT_TRUE(Vg().FindLv("lv0")->Has(kMerging));
  EXPECT_EQ(ReadLv("vg0-lv0", 0, 65536), Bytes(0xbb, 65536));
  // Closed, deactivated, activated: the merge runs and finishes.
  ASSERT_TRUE(m_.sys().kernel().Close("vg0-lv0").ok());
  ASSERT_TRUE(Lvchange(m_.ctx(), {"vg0/lv0"}, false).ok());
  EXPECT_EQ(Table("vg0-snap"), "absent");
  EXPECT_EQ(Table("vg0-lv0-real"), "absent");
  ASSERT_TRUE(Lvchange(m_.ctx(), {"vg0/lv0"}, true).ok());
  EXPECT_NE(Table("vg0-lv0").find("snapshot-merge"), std::string::npos) << Table("vg0-lv0");
  EXPECT_EQ(ReadLv("vg0-lv0", 0, 65536), Bytes(0xaa, 65536));  // reads as the snapshot
  ASSERT_TRUE(WaitForPollers(m_.ctx()).ok());
  EXPECT_NE(m_.TakeOut().find("Merge of snapshot into logical volume lv0 has finished."),
            std::string::npos);
  const VolumeGroup vg = Vg();
  EXPECT_EQ(vg.FindLv("snap"), nullptr);
  EXPECT_EQ(vg.FindLv("snapshot0"), nullptr);
  EXPECT_FALSE(vg.FindLv("lv0")->Has(kMerging));
  EXPECT_NE(Table("vg0-lv0").find("0 8192 linear 7:"), std::string::npos) << Table("vg0-lv0");
  EXPECT_EQ(Table("vg0-lv0-real"), "absent");
  EXPECT_EQ(Table("vg0-snap-cow"), "absent");
  EXPECT_EQ(ReadLv("vg0-lv0", 0, 65536), Bytes(0xaa, 65536));
}

TEST_F(SnapshotCommandsTest, MergeNowHandsOverAndFinishes) {
  ASSERT_TRUE(WriteDevice(m_.sys(), "vg0-lv0", 0, Bytes(0xcc, 16384)).ok());
  LvconvertMergeArgs a;
  a.lv = "vg0/snap";
  a.interval_ns = 0;
  Status st = LvconvertMerge(m_.ctx(), a);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_NE(m_.TakeOut().find("Merging of volume vg0/snap started."), std::string::npos);
  EXPECT_EQ(ReadLv("vg0-lv0", 0, 16384), Bytes(0xaa, 16384));
  EXPECT_EQ(Vg().FindLv("snap"), nullptr);
  EXPECT_NE(Table("vg0-lv0").find("linear"), std::string::npos);
}

TEST_F(SnapshotCommandsTest, RemoveASnapshotKeepsTheOrigin) {
  ASSERT_TRUE(WriteDevice(m_.sys(), "vg0-lv0", 0, Bytes(0xdd, 4096)).ok());
  Status st = Lvremove(m_.ctx(), {"vg0/snap"}, true, nullptr);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(Vg().FindLv("snapshot0"), nullptr);
  EXPECT_NE(Table("vg0-lv0").find("linear"), std::string::npos);
  EXPECT_EQ(Table("vg0-lv0-real"), "absent");
  EXPECT_EQ(Table("vg0-snap-cow"), "absent");
  EXPECT_EQ(ReadLv("vg0-lv0", 0, 4096), Bytes(0xdd, 4096));
}

TEST_F(SnapshotCommandsTest, BadRequestsAreRefusedAndChangeNothing) {
  const uint64_t seqno = Vg().seqno;
  LvcreateArgs a;
  a.vg = "vg0", a.name = "s2", a.extents = "1", a.snapshot_origin = "snap";
  EXPECT_NE(Lvcreate(m_.ctx(), a).message().find("Snapshots of snapshots"), std::string::npos);
  a.snapshot_origin = "lv0", a.chunk_size_bytes = 3000;
  EXPECT_NE(Lvcreate(m_.ctx(), a).message().find("Chunk size"), std::string::npos);
  LvconvertMergeArgs merge;
  merge.lv = "vg0/lv0";
  EXPECT_FALSE(LvconvertMerge(m_.ctx(), merge).ok());
  EXPECT_NE(Lvremove(m_.ctx(), {"vg0/lv0"}, true, nullptr).message().find("with snapshots"),
            std::string::npos);
  EXPECT_EQ(Vg().seqno, seqno);
}

}  // namespace
}  // namespace lvlab::lvm
