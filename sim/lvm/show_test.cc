#include "sim/lvm/show.h"

#include <gtest/gtest.h>

#include <sstream>

namespace lvlab::lvm {
namespace {

Area Pv(const char* key, uint64_t pe) { return Area{Area::Kind::kPv, key, pe}; }
Area Lv(const char* name, uint64_t le) { return Area{Area::Kind::kLv, name, le}; }

Segment Seg(uint64_t start, uint64_t count, std::vector<Area> areas, const char* type = "striped") {
  Segment s;
  s.start_extent = start;
  s.extent_count = count;
  s.type = type;
  s.areas = std::move(areas);
  return s;
}

LogicalVolume MakeLv(const char* name, std::vector<std::string> status, std::vector<Segment> segs) {
  LogicalVolume lv;
  lv.name = name;
  lv.status = std::move(status);
  lv.segments = std::move(segs);
  return lv;
}

// The walk-through's LV: segments on PV1, PV2 (being moved to PV4) and PV3;
// lv2 also sits on PV2, further down the pvmove.
VolumeGroup MakeVg() {
  VolumeGroup vg;
  vg.name = "vg0";
  for (int i = 0; i < 4; ++i) {
    PhysicalVolume pv;
    pv.key = "pv" + std::to_string(i);
    pv.pe_count = 255;
    vg.pvs.push_back(pv);
  }
  vg.lvs.push_back(MakeLv("lv0", {kRead, kWrite, kVisible, kLocked},
                          {Seg(0, 10, {Pv("pv0", 0)}), Seg(10, 5, {Lv("pvmove0", 0)}),
                           Seg(15, 5, {Lv("pvmove0", 5)}), Seg(20, 10, {Pv("pv2", 0)})}));
  vg.lvs.push_back(MakeLv("lv1", {kRead, kWrite, kVisible}, {Seg(0, 5, {Pv("pv0", 10)})}));
  vg.lvs.push_back(
      MakeLv("lv2", {kRead, kWrite, kVisible, kLocked}, {Seg(0, 10, {Lv("pvmove0", 10)})}));
  LogicalVolume mv = MakeLv("pvmove0", {kRead, kWrite, kPvmove, kLocked},
                            {Seg(0, 5, {Pv("pv1", 0), Pv("pv3", 0)}, "mirror"),
                             Seg(5, 5, {Pv("pv1", 5), Pv("pv3", 5)}, "mirror"),
                             Seg(10, 10, {Pv("pv1", 20), Pv("pv3", 10)}, "mirror")});
  mv.allocation_policy = "contiguous";
  mv.segments[0].extents_moved = 5;
  mv.segments[1].extents_moved = 2;
  vg.lvs.push_back(mv);
  return vg;
}

std::string LabName(const PhysicalVolume& pv) {
  return "pv" + std::to_string(std::stoi(pv.key.substr(2)) + 1);
}

std::string Devno(const LogicalVolume& lv) {
  if (lv.name == "lv0") return "254:0";
  if (lv.name == "pvmove0") return "254:3";
  return "";
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ShowTest, DrawsTheWalkThroughLv) {
  const VolumeGroup vg = MakeVg();
  const std::string out = ShowDiagram(vg, "lv0", LabName, Devno);
  EXPECT_EQ(out.substr(0, out.find("PV map")),
            "vg0/lv0  120.00m  30 extents  4 segments  -wI-a-----\n"
            "  +---------------------+-------------+-------------+---------------------+\n"
            "  | pv1:0-9             | pvmove0:0-4 | pvmove0:5-9 | pv3:0-9             | 254:0\n"
            "  +---------------------+-------------+-------------+---------------------+\n"
            "    LE 0-9                LE 10-14      LE 15-19      LE 20-29\n"
            "  pvmove0 beneath LE 10-19:\n"
            "    LE 0-4  pv2:0-4 → pv4:0-4  COMPLETED\n"
            "    LE 5-9  pv2:5-9 → pv4:5-9  RUNNING\n"
            "\n");
}

TEST(ShowTest, LaterPvmoveSegmentsAreDisabled) {
  const VolumeGroup vg = MakeVg();
  const std::string out = ShowDiagram(vg, "lv2", LabName, Devno);
  EXPECT_TRUE(Contains(out, "vg0/lv2  40.00m  10 extents  1 segment  -wI-------\n")) << out;
  EXPECT_TRUE(Contains(out, "  | pvmove0:10-19 ")) << out;
  EXPECT_TRUE(Contains(out, "    LE 10-19  pv2:20-29 → pv4:10-19  DISABLED\n")) << out;
}

TEST(ShowTest, PvmoveLvItselfListsEveryState) {
  const VolumeGroup vg = MakeVg();
  const std::string out = ShowDiagram(vg, "pvmove0", LabName, Devno);
  EXPECT_TRUE(Contains(out, "vg0/pvmove0  80.00m  20 extents  3 segments  p-C-a-m---\n")) << out;
  EXPECT_TRUE(Contains(out, "| pv2:0-4,pv4:0-4 |")) << out;
  EXPECT_TRUE(Contains(out, "| 254:3\n")) << out;
  EXPECT_TRUE(Contains(out,
                       "  pvmove0 segments:\n"
                       "    LE 0-4    pv2:0-4 → pv4:0-4      COMPLETED\n"
                       "    LE 5-9    pv2:5-9 → pv4:5-9      RUNNING\n"
                       "    LE 10-19  pv2:20-29 → pv4:10-19  DISABLED\n"))
      << out;
}

TEST(ShowTest, PvMapShowsOwnersAndFreeRanges) {
  const VolumeGroup vg = MakeVg();
  const std::string out = ShowDiagram(vg, "", LabName, Devno);
  EXPECT_TRUE(Contains(out,
                       "PV map of vg0 (extent size 4.00m):\n"
                       "  pv1: 0-9 lv0, 10-14 lv1, 15-254 free\n"
                       "  pv2: 0-9 [pvmove0], 10-19 free, 20-29 [pvmove0], 30-254 free\n"
                       "  pv3: 0-9 lv0, 10-254 free\n"
                       "  pv4: 0-19 [pvmove0], 20-254 free\n"))
      << out;
}

TEST(ShowTest, AllVisibleLvsByNameWithoutTrailingSpaces) {
  const VolumeGroup vg = MakeVg();
  const std::string out = ShowDiagram(vg, "", LabName, Devno);
  const size_t lv0 = out.find("vg0/lv0 "), lv1 = out.find("vg0/lv1 "), lv2 = out.find("vg0/lv2 ");
  ASSERT_NE(lv0, std::string::npos);
  EXPECT_LT(lv0, lv1);
  EXPECT_LT(lv1, lv2);
  EXPECT_FALSE(Contains(out, "vg0/pvmove0 "));  // hidden: drawn only beneath its users
  EXPECT_TRUE(Contains(out, "  | pv1:10-14"));  // inactive lv1: no devno after the box
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_TRUE(line.empty() || line.back() != ' ') << "trailing space: [" << line << "]";
  }
  EXPECT_EQ(out, ShowDiagram(vg, "", LabName, Devno));  // deterministic
}

TEST(ShowTest, CellsGrowWithExtentsButFitTheirLabels) {
  VolumeGroup vg = MakeVg();
  vg.lvs.push_back(MakeLv("big", {kRead, kWrite, kVisible},
                          {Seg(0, 100, {Pv("pv0", 100)}), Seg(100, 1, {Pv("pv2", 100)})}));
  const std::string out = ShowDiagram(vg, "big", LabName, Devno);
  const std::string box =
      out.substr(out.find('\n') + 1, out.find('\n', out.find('\n') + 1) - out.find('\n') - 1);
  // 100 of 101 extents take nearly all 64 columns; the 1-extent cell still
  // fits "pv3:100-100" and "LE 100-100".
  EXPECT_EQ(box,
            "  +---------------------------------------------------------------+-------------+");
  EXPECT_TRUE(Contains(out, "| pv1:100-199 "));
  EXPECT_TRUE(Contains(out, "| pv3:100-100 |"));
}

TEST(ShowTest, UnknownLvSaysSo) {
  const VolumeGroup vg = MakeVg();
  EXPECT_EQ(ShowDiagram(vg, "nope", LabName, Devno), "Logical volume \"vg0/nope\" not found\n");
}

}  // namespace
}  // namespace lvlab::lvm
