#include "sim/lvm/report.h"

#include <gtest/gtest.h>

namespace lvlab::lvm {
namespace {

// vg0: four 1 GiB PVs (keys pv0..pv3, lab names pv1..pv4) of 255 4 MiB
// extents. pv2 is being moved to pv4:
//   lv0 (LOCKED): pv1:0-9 | pvmove0:0-4 | pvmove0:5-9 | pv3:0-9
//   lv1:          pv1:10-14 | pv3:10-14
//   lv2 (LOCKED): pvmove0:10-19
//   pvmove0:      pv2:0-4 -> pv4:0-4 (done) | pv2:5-9 -> pv4:5-9 | pv2:20-29 -> pv4:10-19
// pv5 is an orphan.
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
  lv.id = std::string("uuid-") + name;
  lv.status = std::move(status);
  lv.segments = std::move(segs);
  return lv;
}

VolumeGroup MakeVg() {
  VolumeGroup vg;
  vg.name = "vg0";
  vg.id = "vg0-uuid";
  vg.seqno = 7;
  for (int i = 0; i < 4; ++i) {
    PhysicalVolume pv;
    pv.key = "pv" + std::to_string(i);
    pv.id = "id-pv" + std::to_string(i + 1);
    pv.status = {kAllocatable};
    pv.dev_size = 2097152;
    pv.pe_start = 2048;
    pv.pe_count = 255;
    vg.pvs.push_back(pv);
  }
  vg.lvs.push_back(MakeLv("lv0", {kRead, kWrite, kVisible, kLocked},
                          {Seg(0, 10, {Pv("pv0", 0)}), Seg(10, 5, {Lv("pvmove0", 0)}),
                           Seg(15, 5, {Lv("pvmove0", 5)}), Seg(20, 10, {Pv("pv2", 0)})}));
  vg.lvs.push_back(MakeLv("lv1", {kRead, kWrite, kVisible},
                          {Seg(0, 5, {Pv("pv0", 10)}), Seg(5, 5, {Pv("pv2", 10)})}));
  vg.lvs.push_back(
      MakeLv("lv2", {kRead, kWrite, kVisible, kLocked}, {Seg(0, 10, {Lv("pvmove0", 10)})}));
  LogicalVolume mv = MakeLv("pvmove0", {kRead, kWrite, kPvmove, kLocked},
                            {Seg(0, 5, {Pv("pv1", 0), Pv("pv3", 0)}, "mirror"),
                             Seg(5, 5, {Pv("pv1", 5), Pv("pv3", 5)}, "mirror"),
                             Seg(10, 10, {Pv("pv1", 20), Pv("pv3", 10)}, "mirror")});
  mv.allocation_policy = "contiguous";
  for (Segment& s : mv.segments) s.region_size = 1024;
  mv.segments[0].extents_moved = 5;
  mv.segments[1].extents_moved = 2;
  mv.segments[2].extents_moved = 0;
  vg.lvs.push_back(mv);
  return vg;
}

class ReportTest : public ::testing::Test {
 protected:
  ReportTest() : vg_(MakeVg()) {
    in_.vgs = {&vg_};
    for (int i = 0; i < 4; ++i) {
      in_.pvs.push_back(ReportPv{"pv" + std::to_string(i + 1), "vg0", &vg_.pvs[i], 2097152, 2048,
                                 "7:" + std::to_string(i + 1), false});
    }
    in_.pvs.push_back(ReportPv{"pv5", "", nullptr, 2097152, 2048, "7:5", false});
    in_.lv_state = [](const VolumeGroup&, const LogicalVolume& lv) {
      ReportLvState st;
      const std::optional<double> none;
      if (lv.name == "lv0") st = {true, false, true, none, "vg0-lv0", "254:0", none, false};
      if (lv.name == "lv1") st = {true, false, false, none, "vg0-lv1", "254:1", none, false};
      if (lv.name == "pvmove0") st = {true, false, true, 35.0, "vg0-pvmove0", "254:3", none, false};
      return st;
    };
  }

  std::string Run(ReportKind kind, ReportOptions opts) {
    Result<std::string> r = Report(kind, in_, opts);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : "";
  }

  VolumeGroup vg_;
  ReportInput in_;
};

TEST_F(ReportTest, DefaultLvs) {
  EXPECT_EQ(Run(ReportKind::kLvs, {}),
            "  LV   VG  Attr       LSize   Pool Origin Data%  Meta%  Move Log Cpy%Sync Convert\n"
            "  lv0  vg0 -wI-ao---- 120.00m                                                    \n"
            "  lv1  vg0 -wi-a-----  40.00m                                                    \n"
            "  lv2  vg0 -wI-------  40.00m                                                    \n");
}

TEST_F(ReportTest, AllShowsHiddenPvmoveInBrackets) {
  ReportOptions o;
  o.all = true;
  EXPECT_EQ(Run(ReportKind::kLvs, o),
            "  LV        VG  Attr       LSize   Pool Origin Data%  Meta%  Move Log Cpy%Sync "
            "Convert\n"
            "  lv0       vg0 -wI-ao---- 120.00m                                             "
            "       \n"
            "  lv1       vg0 -wi-a-----  40.00m                                             "
            "       \n"
            "  lv2       vg0 -wI-------  40.00m                                             "
            "       \n"
            "  [pvmove0] vg0 p-C-aom---  80.00m                           pv2      35.00    "
            "       \n");
}

TEST_F(ReportTest, AttributesAndMovePv) {
  ReportOptions o;
  o.fields = {
      "lv_name,lv_attr,move_pv,copy_percent,lv_layout,seg_count,lv_kernel_major,"
      "lv_kernel_minor,lv_active"};
  o.all = true;
  o.json = true;
  EXPECT_EQ(Run(ReportKind::kLvs, o),
            "  {\n"
            "      \"report\": [\n"
            "          {\n"
            "              \"lv\": [\n"
            "                  {\"lv_name\":\"lv0\", \"lv_attr\":\"-wI-ao----\", \"move_pv\":\"\", "
            "\"copy_percent\":\"\", \"lv_layout\":\"linear\", \"seg_count\":\"4\", "
            "\"lv_kernel_major\":\"254\", \"lv_kernel_minor\":\"0\", \"lv_active\":\"active\"},\n"
            "                  {\"lv_name\":\"lv1\", \"lv_attr\":\"-wi-a-----\", \"move_pv\":\"\", "
            "\"copy_percent\":\"\", \"lv_layout\":\"linear\", \"seg_count\":\"2\", "
            "\"lv_kernel_major\":\"254\", \"lv_kernel_minor\":\"1\", \"lv_active\":\"active\"},\n"
            "                  {\"lv_name\":\"lv2\", \"lv_attr\":\"-wI-------\", \"move_pv\":\"\", "
            "\"copy_percent\":\"\", \"lv_layout\":\"linear\", \"seg_count\":\"1\", "
            "\"lv_kernel_major\":\"-1\", \"lv_kernel_minor\":\"-1\", \"lv_active\":\"\"},\n"
            "                  {\"lv_name\":\"[pvmove0]\", \"lv_attr\":\"p-C-aom---\", "
            "\"move_pv\":\"pv2\", \"copy_percent\":\"35.00\", \"lv_layout\":\"mirror\", "
            "\"seg_count\":\"3\", \"lv_kernel_major\":\"254\", \"lv_kernel_minor\":\"3\", "
            "\"lv_active\":\"active\"}\n"
            "              ]\n"
            "          }\n"
            "      ]\n"
            "  }\n");
}

TEST_F(ReportTest, LvAttrOfPlainAndSuspendedLvs) {
  const LogicalVolume& lv1 = vg_.lvs[1];
  EXPECT_EQ(LvAttr(vg_, lv1, {}), "-wi-------");
  ReportLvState st;
  st.active = st.suspended = st.open = true;
  EXPECT_EQ(LvAttr(vg_, lv1, st), "-wi-so----");
  LogicalVolume ro = lv1;
  ro.status = {kRead, kVisible};
  ro.allocation_policy = "cling";
  EXPECT_EQ(LvAttr(vg_, ro, {}), "-rl-------");
}

TEST_F(ReportTest, DefaultPvsWithOrphan) {
  EXPECT_EQ(Run(ReportKind::kPvs, {}),
            "  PV         VG  Fmt  Attr PSize    PFree  \n"
            "  pv1        vg0 lvm2 a--  1020.00m 960.00m\n"
            "  pv2        vg0 lvm2 a--  1020.00m 940.00m\n"
            "  pv3        vg0 lvm2 a--  1020.00m 960.00m\n"
            "  pv4        vg0 lvm2 a--  1020.00m 940.00m\n"
            "  pv5            lvm2 ---     1.00g   1.00g\n");
}

TEST_F(ReportTest, MissingPvMarksPvAndVg) {
  in_.pvs[1].missing = true;
  ReportOptions o;
  o.fields = {"pv_name,pv_attr,pv_missing"};
  o.select_names = {"pv2", "pv5"};
  EXPECT_EQ(Run(ReportKind::kPvs, o),
            "  PV         Attr Missing   \n"
            "  pv2        a-m     missing\n"
            "  pv5        ---            \n");
  EXPECT_EQ(Run(ReportKind::kVgs, {}),
            "  VG  #PV #LV #SN Attr   VSize  VFree \n"
            "  vg0   4   3   0 wz-pn- <3.99g <3.72g\n");
}

TEST_F(ReportTest, DriveCountersOnlyWhereTheDrivesAreKept) {
  ReportOptions o;
  o.fields = {"pv_name,io_writes,io_bytes_written"};
  o.select_names = {"pv2"};
  Result<std::string> refused = Report(ReportKind::kPvs, in_, o);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("pv2: io_writes counts the PV drive's I/O"),
            std::string::npos)
      << refused.status().message();
  in_.pvs[1].io = store::DiskStats{.reads = 1, .writes = 3, .bytes_written = 4096};
  EXPECT_EQ(Run(ReportKind::kPvs, o),
            "  PV         Writes BytesWritten\n"
            "  pv2             3         4096\n");
}

TEST_F(ReportTest, DefaultVgs) {
  EXPECT_EQ(Run(ReportKind::kVgs, {}),
            "  VG  #PV #LV #SN Attr   VSize  VFree \n"
            "  vg0   4   3   0 wz--n- <3.99g <3.72g\n");
}

TEST_F(ReportTest, VgFieldsAndNoHeadings) {
  ReportOptions o;
  o.fields = {"vg_name,vg_seqno,vg_extent_size,vg_extent_count,vg_free_count,max_lv,vg_uuid"};
  o.headings = false;
  EXPECT_EQ(Run(ReportKind::kVgs, o),
            "  vg0   7 4.00m 1020  950     0 vg0-uuid                              \n");
}

TEST_F(ReportTest, PlusFieldsAppendAndSegmentFieldsGiveOneRowPerSegment) {
  ReportOptions o;
  o.fields = {"lv_name,lv_size", "+devices,seg_pe_ranges"};
  o.select_names = {"vg0/lv0"};
  EXPECT_EQ(Run(ReportKind::kLvs, o),
            "  LV   LSize   Devices    PE Ranges   \n"
            "  lv0  120.00m pv1(0)     pv1:0-9     \n"
            "  lv0  120.00m pvmove0(0) pvmove0:0-19\n"
            "  lv0  120.00m pvmove0(0) pvmove0:0-19\n"
            "  lv0  120.00m pv3(0)     pv3:0-9     \n");
}

TEST_F(ReportTest, MinusRemovesAndAliasesResolve) {
  ReportOptions o;
  o.fields = {"name,size,attr", "-attr"};
  o.select_names = {"vg0/lv1"};
  EXPECT_EQ(Run(ReportKind::kLvs, o),
            "  LV   LSize \n"
            "  lv1  40.00m\n");
}

TEST_F(ReportTest, SegmentsReport) {
  ReportOptions o;
  o.segments = true;
  o.select_names = {"vg0/lv0"};
  EXPECT_EQ(Run(ReportKind::kLvs, o),
            "  LV   VG  Attr       #Str Type   SSize \n"
            "  lv0  vg0 -wI-ao----    1 linear 40.00m\n"
            "  lv0  vg0 -wI-ao----    1 linear 20.00m\n"
            "  lv0  vg0 -wI-ao----    1 linear 20.00m\n"
            "  lv0  vg0 -wI-ao----    1 linear 40.00m\n");
}

TEST_F(ReportTest, PvmoveSegmentsAsJsonSeg) {
  ReportOptions o;
  o.segments = true;
  o.fields = {"lv_name,segtype,stripes,seg_start_pe,seg_size_pe,region_size,seg_pe_ranges"};
  o.select_names = {"vg0/pvmove0"};
  o.json = true;
  EXPECT_EQ(Run(ReportKind::kLvs, o),
            "  {\n"
            "      \"report\": [\n"
            "          {\n"
            "              \"seg\": [\n"
            "                  {\"lv_name\":\"[pvmove0]\", \"segtype\":\"mirror\", "
            "\"stripes\":\"2\", \"seg_start_pe\":\"0\", \"seg_size_pe\":\"5\", "
            "\"region_size\":\"512.00k\", \"seg_pe_ranges\":\"pv2:0-4 pv4:0-4\"},\n"
            "                  {\"lv_name\":\"[pvmove0]\", \"segtype\":\"mirror\", "
            "\"stripes\":\"2\", \"seg_start_pe\":\"5\", \"seg_size_pe\":\"5\", "
            "\"region_size\":\"512.00k\", \"seg_pe_ranges\":\"pv2:5-9 pv4:5-9\"},\n"
            "                  {\"lv_name\":\"[pvmove0]\", \"segtype\":\"mirror\", "
            "\"stripes\":\"2\", \"seg_start_pe\":\"10\", \"seg_size_pe\":\"10\", "
            "\"region_size\":\"512.00k\", \"seg_pe_ranges\":\"pv2:20-29 pv4:10-19\"}\n"
            "              ]\n"
            "          }\n"
            "      ]\n"
            "  }\n");
}

TEST_F(ReportTest, PvSegments) {
  ReportOptions o;
  o.segments = true;
  o.select_names = {"pv2", "pv5"};
  EXPECT_EQ(Run(ReportKind::kPvs, o),
            "  PV         VG  Fmt  Attr PSize    PFree   Start SSize\n"
            "  pv2        vg0 lvm2 a--  1020.00m 940.00m     0     5\n"
            "  pv2        vg0 lvm2 a--  1020.00m 940.00m     5     5\n"
            "  pv2        vg0 lvm2 a--  1020.00m 940.00m    10    10\n"
            "  pv2        vg0 lvm2 a--  1020.00m 940.00m    20    10\n"
            "  pv2        vg0 lvm2 a--  1020.00m 940.00m    30   225\n"
            "  pv5            lvm2 ---     1.00g   1.00g     0     0\n");
}

TEST_F(ReportTest, PvsWithLvFieldsGivesPvSegmentRows) {
  ReportOptions o;
  o.fields = {"pv_name,pvseg_start,pvseg_size,lv_name,seg_start_pe"};
  o.select_names = {"pv1"};
  EXPECT_EQ(Run(ReportKind::kPvs, o),
            "  PV         Start SSize LV   Start\n"
            "  pv1            0    10 lv0      0\n"
            "  pv1           10     5 lv1      0\n"
            "  pv1           15   240           \n");
}

TEST_F(ReportTest, UnitsAndNoSuffix) {
  ReportOptions o;
  o.fields = {"lv_name,lv_size"};
  o.select_names = {"vg0/lv1"};
  o.headings = false;
  o.units = 'b';
  EXPECT_EQ(Run(ReportKind::kLvs, o), "  lv1  41943040B\n");
  o.suffix = false;
  EXPECT_EQ(Run(ReportKind::kLvs, o), "  lv1  41943040\n");
  o.units = 's';
  EXPECT_EQ(Run(ReportKind::kLvs, o), "  lv1  81920\n");
  o.units = 'm';
  EXPECT_EQ(Run(ReportKind::kLvs, o), "  lv1  40.00\n");
  o.units = 'g';
  o.suffix = true;
  EXPECT_EQ(Run(ReportKind::kLvs, o), "  lv1  0.04g\n");
  o.units = 'M';
  EXPECT_EQ(Run(ReportKind::kLvs, o), "  lv1  41.94M\n");
  o.units = 'h';
  o.suffix = false;  // LVM keeps the suffix of human-readable units
  EXPECT_EQ(Run(ReportKind::kLvs, o), "  lv1  40.00m\n");
}

TEST_F(ReportTest, ZeroSizesShowAsLvmDoes) {
  EXPECT_EQ(ReportSize(0, 'h', true), "0 ");
  EXPECT_EQ(ReportSize(0, 'h', false), "0");
  EXPECT_EQ(ReportSize(0, 'm', true), "0m");
  EXPECT_EQ(ReportSize(0, 'b', true), "0B");
  EXPECT_EQ(ReportSize(0, 's', true), "0S");
  ReportOptions o;
  o.fields = {"pv_name,pv_used,pv_pe_count,pv_pe_alloc_count,pe_start,dev_size"};
  o.select_names = {"pv5"};
  EXPECT_EQ(Run(ReportKind::kPvs, o),
            "  PV         Used PE  Alloc 1st PE  DevSize\n"
            "  pv5          0    0     0   1.00m   1.00g\n");
}

TEST_F(ReportTest, UnknownFieldSuggestsCloseNames) {
  ReportOptions o;
  o.fields = {"lv_nmae"};
  Result<std::string> r = Report(ReportKind::kLvs, in_, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "Unrecognised field: lv_nmae. Did you mean lv_name?");
  o.fields = {"+xyzzy"};
  r = Report(ReportKind::kVgs, in_, o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Unrecognised field: xyzzy. Valid fields: "),
            std::string::npos);
  EXPECT_NE(r.status().message().find("vg_seqno"), std::string::npos);
}

TEST_F(ReportTest, LvAndPvFieldsDoNotMixInLvs) {
  ReportOptions o;
  o.fields = {"+pv_name"};
  Result<std::string> r = Report(ReportKind::kLvs, in_, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "Can't report LV and PV fields at the same time in report type \"lv\".");
}

TEST_F(ReportTest, NotFoundMessagesAsLvm) {
  ReportOptions o;
  o.select_names = {"vgX"};
  Result<std::string> r = Report(ReportKind::kVgs, in_, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kNotFound);
  EXPECT_EQ(r.status().message(), "Volume group \"vgX\" not found");
  o.select_names = {"vg0/lvX"};
  r = Report(ReportKind::kLvs, in_, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "Failed to find logical volume \"vg0/lvX\"");
  o.select_names = {"pvX"};
  r = Report(ReportKind::kPvs, in_, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "Failed to find physical volume \"pvX\".");
}

TEST_F(ReportTest, SelectByVgAndNamedHiddenLv) {
  ReportOptions o;
  o.fields = {"lv_full_name"};
  o.select_names = {"vg0/pvmove0"};
  EXPECT_EQ(Run(ReportKind::kLvs, o),
            "  LV         \n"
            "  vg0/pvmove0\n");
}

TEST_F(ReportTest, EmptyReports) {
  ReportInput empty;
  Result<std::string> r = Report(ReportKind::kLvs, empty, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "");
  ReportOptions o;
  o.json = true;
  r = Report(ReportKind::kVgs, empty, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r,
            "  {\n"
            "      \"report\": [\n"
            "          {\n"
            "              \"vg\": [\n"
            "              ]\n"
            "          }\n"
            "      ]\n"
            "  }\n");
}

TEST_F(ReportTest, BadUnitsRejected) {
  ReportOptions o;
  o.units = 'x';
  EXPECT_EQ(Report(ReportKind::kLvs, in_, o).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace lvlab::lvm
