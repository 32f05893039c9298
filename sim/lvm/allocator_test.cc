#include "sim/lvm/allocator.h"

#include <gtest/gtest.h>

namespace lvlab::lvm {
namespace {

VolumeGroup ThreePvs(uint64_t pe_count = 100) {
  VolumeGroup vg;
  vg.name = "vg0";
  for (int i = 0; i < 3; ++i) {
    PhysicalVolume pv;
    pv.key = "pv" + std::to_string(i);
    pv.status = {kAllocatable};
    pv.pe_count = pe_count;
    vg.pvs.push_back(pv);
  }
  return vg;
}

LogicalVolume Lv(const std::string& name, const std::string& pv, uint64_t start, uint64_t n) {
  LogicalVolume lv;
  lv.name = name;
  Segment s;
  s.extent_count = n;
  s.areas = {{Area::Kind::kPv, pv, start}};
  lv.segments.push_back(s);
  return lv;
}

std::string Show(const std::vector<Chunk>& chunks) {
  std::string out;
  for (const Chunk& c : chunks) {
    out += (out.empty() ? "" : " ") + c.areas[0].name + ":" + std::to_string(c.areas[0].start) +
           "+" + std::to_string(c.length);
  }
  return out;
}

TEST(Allocator, NormalTakesThePvWithTheLargestFittingAreaFirstPvOnTies) {
  VolumeGroup vg = ThreePvs();
  AllocRequest r;
  r.extents = 10;
  EXPECT_EQ(Show(*Allocate(vg, r)), "pv0:0+10");
  vg.lvs.push_back(Lv("a", "pv0", 0, 10));
  EXPECT_EQ(Show(*Allocate(vg, r)), "pv1:0+10");  // pv1's 100 beat pv0's 90
}

TEST(Allocator, WithinAPvTheSmallestAreaThatFits) {
  VolumeGroup vg = ThreePvs(100);
  vg.pvs.resize(1);
  vg.lvs.push_back(Lv("a", "pv0", 20, 60));  // free: 0-19 (20) and 80-99 (20)
  vg.lvs.push_back(Lv("b", "pv0", 0, 5));    // free: 5-19 (15) and 80-99 (20)
  AllocRequest r;
  r.extents = 12;
  EXPECT_EQ(Show(*Allocate(vg, r)), "pv0:5+12");
  r.extents = 30;  // nothing fits whole: largest first, then the rest
  EXPECT_EQ(Show(*Allocate(vg, r)), "pv0:80+20 pv0:5+10");
}

TEST(Allocator, PeRangesAreHonouredExactly) {
  VolumeGroup vg = ThreePvs();
  AllocRequest r;
  r.extents = 30;
  r.allowed = {{"pv0", 0, 10}, {"pv1", 0, 10}, {"pv2", 0, 10}};
  EXPECT_EQ(Show(*Allocate(vg, r)), "pv0:0+10 pv1:0+10 pv2:0+10");
  r.allowed = {{"pv2", 40, 5}};
  r.extents = 5;
  EXPECT_EQ(Show(*Allocate(vg, r)), "pv2:40+5");
  r.extents = 6;
  auto fail = Allocate(vg, r);
  ASSERT_FALSE(fail.ok());
  EXPECT_EQ(fail.status().message(), "Insufficient free space: 6 extents needed, but only 5 available");
}

TEST(Allocator, ExtendContinuesContiguouslyThenClingsToTheSamePv) {
  VolumeGroup vg = ThreePvs();
  vg.lvs.push_back(Lv("a", "pv1", 0, 10));
  AllocRequest r;
  r.extents = 5;
  r.extend = &vg.lvs[0];
  EXPECT_EQ(Show(*Allocate(vg, r)), "pv1:10+5");
  vg.lvs.push_back(Lv("b", "pv1", 10, 1));  // blocks the contiguous extents
  r.extend = &vg.lvs[0];
  EXPECT_EQ(Show(*Allocate(vg, r)), "pv1:11+5");  // cling: same PV
  AllocRequest c = r;
  c.policy = "contiguous";
  EXPECT_FALSE(Allocate(vg, c).ok());
}

TEST(Allocator, StripesUseDistinctPvs) {
  VolumeGroup vg = ThreePvs();
  AllocRequest r;
  r.extents = 30;
  r.stripes = 3;
  auto chunks = *Allocate(vg, r);
  ASSERT_EQ(chunks.size(), 1u);
  ASSERT_EQ(chunks[0].areas.size(), 3u);
  EXPECT_EQ(chunks[0].length, 10u);
  EXPECT_NE(chunks[0].areas[0].name, chunks[0].areas[1].name);
  EXPECT_NE(chunks[0].areas[1].name, chunks[0].areas[2].name);
}

TEST(Allocator, SkipsNonAllocatableAndMissingPvs) {
  VolumeGroup vg = ThreePvs();
  vg.pvs[0].status = {};
  vg.pvs[1].status.push_back(kMissing);
  AllocRequest r;
  r.extents = 10;
  EXPECT_EQ(Show(*Allocate(vg, r)), "pv2:0+10");
}

TEST(Allocator, AppendSegmentsMergesContinuations) {
  LogicalVolume lv = Lv("a", "pv0", 0, 10);
  AppendSegments(lv, {{5, {{Area::Kind::kPv, "pv0", 10}}}, {5, {{Area::Kind::kPv, "pv1", 0}}}}, 0);
  ASSERT_EQ(lv.segments.size(), 2u);
  EXPECT_EQ(lv.segments[0].extent_count, 15u);
  EXPECT_EQ(lv.segments[1].start_extent, 15u);
}

}  // namespace
}  // namespace lvlab::lvm
