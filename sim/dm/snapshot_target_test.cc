#include "sim/dm/snapshot_target.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "sim/base/change_clock.h"
#include "sim/dm/test_util.h"

namespace lvlab::dm {
namespace {

constexpr uint64_t kLen = 1024;  // origin sectors
constexpr uint64_t kChunk = 8;

uint64_t Le(const std::vector<uint8_t>& v, size_t at, int bytes) {
  uint64_t x = 0;
  for (int i = bytes - 1; i >= 0; --i) x = (x << 8) | v[at + i];
  return x;
}

// pv1 = the origin's real data, pv2 = the COW. Devices as LVM names them.
class SnapshotTest : public DmTest {
 protected:
  void SetUp() override {
    AddDisk(kLen);
    AddDisk(4096);
  }

  // Lays out vg-lv-real, vg-snap-cow, vg-snap and vg-lv (snapshot-origin).
  void Build(uint64_t cow_sectors = 512) {
    Activate("vg-lv-real", "0 1024 linear 7:1 0");
    Activate("vg-snap-cow", "0 " + std::to_string(cow_sectors) + " linear 7:2 0");
    Activate("vg-snap", "0 1024 snapshot vg-lv-real vg-snap-cow P 8");
    Activate("vg-lv", "0 1024 snapshot-origin vg-lv-real");
  }

  std::string Status(const std::string& dev) { return *kernel_.StatusLines(dev); }

  std::vector<uint8_t> ReadDev(const std::string& dev, uint64_t sector, uint64_t n) {
    std::vector<uint8_t> out;
    lvlab::Status st = Read(dev, sector, n, &out);
    EXPECT_TRUE(st.ok()) << dev << ": " << st.message();
    return out;
  }

  // Switches vg-lv to snapshot-merge the way LVM does: the snapshot is
  // suspended, the origin reloaded.
  void StartMerge() {
    ASSERT_TRUE(kernel_.Suspend("vg-snap").ok());
    ASSERT_TRUE(kernel_.Load("vg-lv", "0 1024 snapshot-merge vg-lv-real vg-snap-cow P 8").ok());
    lvlab::Status st = kernel_.Resume("vg-lv");
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_TRUE(kernel_.Resume("vg-snap").ok());
  }
};

TEST_F(SnapshotTest, NewStoreWritesTheKernelHeader) {
  Build();
  const std::vector<uint8_t> header = DiskSectors(1, 0, 1);
  EXPECT_EQ(Le(header, 0, 4), 0x70416e53u);  // "SnAp"
  EXPECT_EQ(Le(header, 4, 4), 1u);           // valid
  EXPECT_EQ(Le(header, 8, 4), 1u);           // version
  EXPECT_EQ(Le(header, 12, 4), kChunk);
  EXPECT_EQ(Status("vg-snap"), "0 1024 snapshot 16/512 16");
  EXPECT_EQ(Status("vg-lv"), "0 1024 snapshot-origin");
  EXPECT_EQ(*kernel_.Table("vg-snap"), "0 1024 snapshot 254:0 254:1 P 8");
}

TEST_F(SnapshotTest, OriginWriteCopiesTheOldChunkFirst) {
  ASSERT_TRUE(Write("pv1", 0, Pattern(1, kLen)).ok());
  Build();
  ASSERT_TRUE(Write("vg-lv", 20, Pattern(2, 4)).ok());  // chunk 2
  EXPECT_EQ(ReadDev("vg-snap", 16, 8), Slice(Pattern(1, kLen), 16, 8));
  EXPECT_EQ(ReadDev("vg-lv", 20, 4), Pattern(2, 4));
  EXPECT_EQ(Status("vg-snap"), "0 1024 snapshot 24/512 16");
  // Area 0 (chunk 1) holds {old 2, new 2}; data chunk 2 holds the old data.
  const std::vector<uint8_t> area = DiskSectors(1, kChunk, 1);
  EXPECT_EQ(Le(area, 0, 8), 2u);
  EXPECT_EQ(Le(area, 8, 8), 2u);
  EXPECT_EQ(Le(area, 16, 8), 0u);
  EXPECT_EQ(DiskSectors(1, 2 * kChunk, kChunk), Slice(Pattern(1, kLen), 16, 8));
  // A second write to the chunk copies nothing more.
  ASSERT_TRUE(Write("vg-lv", 16, Pattern(3, 8)).ok());
  EXPECT_EQ(Status("vg-snap"), "0 1024 snapshot 24/512 16");
  EXPECT_EQ(ReadDev("vg-snap", 16, 8), Slice(Pattern(1, kLen), 16, 8));
}

TEST_F(SnapshotTest, SnapshotWritesGoToTheCowAndSurviveReactivation) {
  ASSERT_TRUE(Write("pv1", 0, Pattern(1, kLen)).ok());
  Build();
  ASSERT_TRUE(Write("vg-snap", 42, Pattern(4, 2)).ok());  // partial: copy first
  ASSERT_TRUE(Write("vg-snap", 64, Pattern(5, 8)).ok());  // a whole chunk
  std::vector<uint8_t> want = Slice(Pattern(1, kLen), 40, 8);
  std::memcpy(&want[2 * kSectorSize], Pattern(4, 2).data(), 2 * kSectorSize);
  EXPECT_EQ(ReadDev("vg-snap", 40, 8), want);
  EXPECT_EQ(ReadDev("vg-snap", 64, 8), Pattern(5, 8));
  EXPECT_EQ(ReadDev("vg-lv", 40, 8), Slice(Pattern(1, kLen), 40, 8));  // origin unchanged
  // Tear the snapshot down and build it again: the exceptions come back
  // from the COW device.
  ASSERT_TRUE(kernel_.Remove("vg-lv").ok());
  ASSERT_TRUE(kernel_.Remove("vg-snap").ok());
  Activate("vg-snap", "0 1024 snapshot vg-lv-real vg-snap-cow P 8");
  EXPECT_EQ(ReadDev("vg-snap", 40, 8), want);
  EXPECT_EQ(ReadDev("vg-snap", 64, 8), Pattern(5, 8));
  EXPECT_EQ(Status("vg-snap"), "0 1024 snapshot 32/512 16");
}

TEST_F(SnapshotTest, FullSnapshotTurnsInvalidButTheOriginWriteGoesOn) {
  ASSERT_TRUE(Write("pv1", 0, Pattern(1, kLen)).ok());
  Build(/*cow_sectors=*/32);  // header, area 0, two data chunks
  ASSERT_TRUE(Write("vg-lv", 0, Pattern(2, 8)).ok());
  ASSERT_TRUE(Write("vg-lv", 8, Pattern(3, 8)).ok());
  EXPECT_EQ(Status("vg-snap"), "0 1024 snapshot 32/32 16");
  ASSERT_TRUE(Write("vg-lv", 16, Pattern(4, 8)).ok());  // no room: invalid
  EXPECT_EQ(Status("vg-snap"), "0 1024 snapshot Invalid");
  EXPECT_EQ(ReadDev("vg-lv", 16, 8), Pattern(4, 8));
  std::vector<uint8_t> out;
  EXPECT_FALSE(Read("vg-snap", 0, 8, &out).ok());  // EIO, reads too
  EXPECT_EQ(Le(DiskSectors(1, 0, 1), 4, 4), 0u);   // valid = 0 on disk
  // Activated again it stays invalid.
  ASSERT_TRUE(kernel_.Remove("vg-lv").ok());
  ASSERT_TRUE(kernel_.Remove("vg-snap").ok());
  Activate("vg-snap", "0 1024 snapshot vg-lv-real vg-snap-cow P 8");
  EXPECT_EQ(Status("vg-snap"), "0 1024 snapshot Invalid");
}

TEST_F(SnapshotTest, ABadMagicRefusesToActivate) {
  std::vector<uint8_t> junk(kSectorSize, 0x5a);
  ASSERT_TRUE(Write("pv2", 0, junk).ok());
  Activate("vg-lv-real", "0 1024 linear 7:1 0");
  Activate("vg-snap-cow", "0 512 linear 7:2 0");
  ASSERT_TRUE(kernel_.Create("vg-snap", "").ok());
  ASSERT_TRUE(kernel_.Load("vg-snap", "0 1024 snapshot vg-lv-real vg-snap-cow P 8").ok());
  lvlab::Status st = kernel_.Resume("vg-snap");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("bad magic"), std::string::npos) << st.message();
}

TEST_F(SnapshotTest, MergeCopiesTheSnapshotBackIntoTheOrigin) {
  const std::vector<uint8_t> base = Pattern(1, kLen);
  ASSERT_TRUE(Write("pv1", 0, base).ok());
  Build();
  for (uint64_t c = 0; c < 4; ++c) ASSERT_TRUE(Write("vg-lv", c * 8, Pattern(10 + c, 8)).ok());
  ASSERT_TRUE(Write("vg-snap", 80, Pattern(7, 8)).ok());  // chunk 10
  ASSERT_TRUE(Write("vg-lv", 200, Pattern(8, 8)).ok());   // chunk 25
  StartMerge();
  std::vector<uint8_t> out;
  EXPECT_FALSE(Read("vg-snap", 0, 8, &out).ok());  // handed over: EIO
  EXPECT_EQ(Status("vg-snap"), "0 1024 snapshot Invalid");
  sched_.RunUntilIdle();
  EXPECT_EQ(Status("vg-lv"), "0 1024 snapshot-merge 16/512 16");
  // The origin now reads as the snapshot did.
  EXPECT_EQ(ReadDev("vg-lv", 0, 32), Slice(base, 0, 32));
  EXPECT_EQ(ReadDev("vg-lv", 80, 8), Pattern(7, 8));
  EXPECT_EQ(ReadDev("vg-lv", 200, 8), Slice(base, 200, 8));
  EXPECT_EQ(DiskSectors(0, 0, 32), Slice(base, 0, 32));  // on the real device
  // Area 0 is empty on disk.
  EXPECT_EQ(Le(DiskSectors(1, kChunk, 1), 8, 8), 0u);
}

TEST_F(SnapshotTest, WritesDuringMergeLandAndAreNotOverwritten) {
  const std::vector<uint8_t> base = Pattern(1, kLen);
  ASSERT_TRUE(Write("pv1", 0, base).ok());
  Build();
  for (uint64_t c = 0; c < 8; ++c) ASSERT_TRUE(Write("vg-lv", c * 8, Pattern(10 + c, 8)).ok());
  StartMerge();
  // While merging, rewrite chunk 0 (still an exception: goes to the COW and
  // is merged later) and chunk 20 (no exception: the origin).
  ASSERT_TRUE(Write("vg-lv", 0, Pattern(30, 8)).ok());
  ASSERT_TRUE(Write("vg-lv", 160, Pattern(31, 8)).ok());
  EXPECT_EQ(ReadDev("vg-lv", 0, 8), Pattern(30, 8));
  sched_.RunUntilIdle();
  EXPECT_EQ(ReadDev("vg-lv", 0, 8), Pattern(30, 8));
  EXPECT_EQ(ReadDev("vg-lv", 8, 56), Slice(base, 8, 56));
  EXPECT_EQ(ReadDev("vg-lv", 160, 8), Pattern(31, 8));
  EXPECT_EQ(Status("vg-lv"), "0 1024 snapshot-merge 16/512 16");
}

TEST_F(SnapshotTest, AHeldMergeStartsNoStepUntilReleased) {
  const std::vector<uint8_t> base = Pattern(1, kLen);
  ASSERT_TRUE(Write("pv1", 0, base).ok());
  Build();
  for (uint64_t c = 0; c < 4; ++c) ASSERT_TRUE(Write("vg-lv", c * 8, Pattern(10 + c, 8)).ok());
  StartMerge();
  auto* merge =
      dynamic_cast<SnapshotTarget*>(kernel_.Find("vg-lv")->live_table()->at(0).target.get());
  ASSERT_NE(merge, nullptr);
  merge->HoldMerge();
  sched_.RunUntilIdle();
  // Nothing merged, nothing in flight: the origin still holds the new data.
  EXPECT_FALSE(merge->MergeStepInFlight());
  EXPECT_EQ(merge->TEST_exceptions(), 4u);
  EXPECT_EQ(DiskSectors(0, 0, 8), Pattern(10, 8));
  merge->ReleaseMerge();
  sched_.RunUntilIdle();
  EXPECT_EQ(merge->TEST_exceptions(), 0u);
  EXPECT_EQ(DiskSectors(0, 0, 32), Slice(base, 0, 32));
}

TEST_F(SnapshotTest, MergeStartedFromDiskWithoutASnapshotDevice) {
  const std::vector<uint8_t> base = Pattern(1, kLen);
  ASSERT_TRUE(Write("pv1", 0, base).ok());
  Build();
  ASSERT_TRUE(Write("vg-lv", 8, Pattern(2, 8)).ok());
  ASSERT_TRUE(kernel_.Remove("vg-lv").ok());
  ASSERT_TRUE(kernel_.Remove("vg-snap").ok());
  Activate("vg-lv", "0 1024 snapshot-merge vg-lv-real vg-snap-cow P 8");
  sched_.RunUntilIdle();
  EXPECT_EQ(ReadDev("vg-lv", 8, 8), Slice(base, 8, 8));
  EXPECT_EQ(Status("vg-lv"), "0 1024 snapshot-merge 16/512 16");
}

// Every range NextData reports over the whole device.
std::vector<SectorRange> DataRanges(BlockDevice* dev) {
  std::vector<SectorRange> out;
  uint64_t s = 0;
  while (std::optional<SectorRange> r = dev->NextData(s, dev->size_sectors())) {
    out.push_back(*r);
    s = r->second;
  }
  return out;
}

bool Covers(const std::vector<SectorRange>& ranges, uint64_t sector) {
  for (const SectorRange& r : ranges) {
    if (sector >= r.first && sector < r.second) return true;
  }
  return false;
}

TEST_F(SnapshotTest, NextDataFollowsTheExceptionsAndTheOrigin) {
  ASSERT_TRUE(Write("pv1", 900, Pattern(1, 8)).ok());  // origin data in chunk 112
  Build();
  BlockDevice* snap = kernel_.Find("vg-snap");
  std::vector<SectorRange> data = DataRanges(snap);
  EXPECT_TRUE(Covers(data, 900));
  EXPECT_FALSE(Covers(data, 64));
  EXPECT_FALSE(Covers(data, 300));  // a hole of the origin
  // A whole-chunk snapshot write: chunk 8 maps to the COW, which holds it.
  ASSERT_TRUE(Write("vg-snap", 64, Pattern(5, 8)).ok());
  data = DataRanges(snap);
  ASSERT_FALSE(data.empty());
  EXPECT_EQ(data.front(), SectorRange(64, 72));  // cut at the chunk's end
  EXPECT_TRUE(Covers(data, 900));
  EXPECT_FALSE(Covers(data, 300));
  // An origin write copies the old chunk (zeros, a hole on the origin) to
  // the COW: what the COW holds there counts, and the snapshot still reads
  // zeros.
  ASSERT_TRUE(Write("vg-lv", 300, Pattern(6, 4)).ok());
  EXPECT_EQ(ReadDev("vg-snap", 296, 8), std::vector<uint8_t>(8 * kSectorSize, 0));
  for (uint64_t s = 0; s < 1024; ++s) {
    if (Covers(DataRanges(snap), s)) continue;
    std::vector<uint8_t> out = ReadDev("vg-snap", s, 1);
    EXPECT_EQ(out, std::vector<uint8_t>(kSectorSize, 0)) << "sector " << s;
  }
  // The merging origin answers the same way.
  StartMerge();
  data = DataRanges(kernel_.Find("vg-lv"));
  EXPECT_TRUE(Covers(data, 64));
  EXPECT_TRUE(Covers(data, 900));
  // An invalid snapshot's reads fail: all of it is "data".
  EXPECT_EQ(DataRanges(snap), std::vector<SectorRange>{SectorRange(0, 1024)});
}

TEST_F(SnapshotTest, ChangedSinceSeesNewExceptionsAndTheirData) {
  ASSERT_TRUE(Write("pv1", 0, Pattern(1, kLen)).ok());
  Build();
  BlockDevice* snap = kernel_.Find("vg-snap");
  BlockDevice* origin = kernel_.Find("vg-lv");
  const uint64_t t0 = ChangeStampNow();
  EXPECT_FALSE(snap->ChangedSince(t0, 0, kLen));
  EXPECT_FALSE(origin->ChangedSince(t0, 0, kLen));
  // An origin write makes an exception: the snapshot's map changed, though
  // it reads the same.
  ASSERT_TRUE(Write("vg-lv", 20, Pattern(2, 4)).ok());
  EXPECT_TRUE(snap->ChangedSince(t0, 0, kLen));
  EXPECT_TRUE(origin->ChangedSince(t0, 20, 24));
  EXPECT_FALSE(origin->ChangedSince(t0, 24, kLen));
  const uint64_t t1 = ChangeStampNow();
  EXPECT_FALSE(snap->ChangedSince(t1, 0, kLen));
  // A write to the snapshot's own exception lands on the COW: that chunk
  // changed, the others did not.
  ASSERT_TRUE(Write("vg-snap", 16, Pattern(3, 8)).ok());
  EXPECT_TRUE(snap->ChangedSince(t1, 16, 24));
  EXPECT_FALSE(snap->ChangedSince(t1, 24, kLen));
  EXPECT_FALSE(snap->ChangedSince(t1, 0, 16));
  // A merge is always "changed".
  StartMerge();
  EXPECT_TRUE(origin->ChangedSince(ChangeStampNow(), 0, kLen));
}

TEST_F(SnapshotTest, ResolveFollowsTheExceptionsDownToTheDisks) {
  ASSERT_TRUE(Write("pv1", 0, Pattern(1, kLen)).ok());
  Build();
  EXPECT_EQ(Resolved("vg-snap", 0, 1024), "pv1:0+1024");
  // An origin write copies chunk 2 (sectors 16..23) to the COW: the
  // snapshot reads it from there now, and its map changed.
  const uint64_t t0 = ChangeStampNow();
  ASSERT_TRUE(Write("vg-lv", 20, Pattern(2, 4)).ok());
  uint64_t newest_table = 0;
  const std::string where = Resolved("vg-snap", 0, 1024, &newest_table);
  EXPECT_GT(newest_table, t0);
  ASSERT_EQ(where.substr(0, 11), "pv1:0+16 pv") << where;
  EXPECT_NE(where.find(" pv1:24+1000"), std::string::npos) << where;
  // What the snapshot reads is what the COW extent holds.
  const uint64_t cow_at = std::stoull(where.substr(where.find("pv2:") + 4));
  EXPECT_EQ(ReadDev("vg-snap", 16, 8), Slice(Pattern(1, kLen), 16, 8));
  EXPECT_EQ(DiskSectors(1, cow_at, 8), Slice(Pattern(1, kLen), 16, 8));
  // A merging snapshot does not resolve.
  StartMerge();
  EXPECT_EQ(Resolved("vg-lv", 0, 1024), "none");
}

TEST_F(SnapshotTest, TableErrorsNameTheProblem) {
  Activate("vg-lv-real", "0 1024 linear 7:1 0");
  Activate("vg-snap-cow", "0 512 linear 7:2 0");
  ASSERT_TRUE(kernel_.Create("vg-snap", "").ok());
  EXPECT_FALSE(kernel_.Load("vg-snap", "0 1024 snapshot vg-lv-real vg-snap-cow P 6").ok());
  EXPECT_FALSE(kernel_.Load("vg-snap", "0 1024 snapshot vg-lv-real vg-snap-cow X 8").ok());
  EXPECT_FALSE(kernel_.Load("vg-snap", "0 1024 snapshot vg-lv-real P 8").ok());
  EXPECT_FALSE(kernel_.Load("vg-snap", "0 1024 snapshot-merge vg-lv-real vg-snap-cow N 8").ok());
}

}  // namespace
}  // namespace lvlab::dm
