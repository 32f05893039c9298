#include "sim/lvm/vg_text.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

namespace lvlab::lvm {
namespace {

// From CMake, not __FILE__: ccache with a base_dir makes __FILE__ relative.
const std::filesystem::path kTestdata = LVLAB_TESTDATA;
constexpr const char* kBackupFile = "vg0-250G-lvm2.03.16.vg";
constexpr const char* kOnDiskFile = "testvg-ondisk-mda-lvm2.03.17.txt";
constexpr const char* kPvmoveFile = "pvmove-in-progress.vg";
constexpr const char* kSnapshotFile = "snapshot-merging.vg";

std::string ReadTestdata(const char* name) {
  std::ifstream in(kTestdata / name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << (kTestdata / name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ParsedVg MustParse(const std::string& text) {
  auto r = ParseVgText(text);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : ParsedVg{};
}

std::string ErrorOf(const std::string& text) {
  auto r = ParseVgText(text);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

// Both forms read back to the same model.
void ExpectRoundTrip(const ParsedVg& p) {
  auto raw = ParseVgText(FormatVgRaw(p.vg, p.header));
  ASSERT_TRUE(raw.ok()) << raw.status().message();
  EXPECT_EQ(raw->vg, p.vg);
  EXPECT_EQ(raw->header, p.header);
  auto file = ParseVgText(FormatVgFile(p.vg, p.header, p.utc_offset_seconds));
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ(file->vg, p.vg);
  EXPECT_EQ(file->header, p.header);
  EXPECT_EQ(file->utc_offset_seconds, p.utc_offset_seconds);
}

TEST(VgTextTest, BackupFixtureFields) {
  const ParsedVg p = MustParse(ReadTestdata(kBackupFile));
  const VolumeGroup& vg = p.vg;
  EXPECT_EQ(vg.name, "vg0");
  EXPECT_EQ(vg.id, "VuhVBu-g8uH-mYag-L7Ma-lHst-N60P-p31JU1");
  EXPECT_EQ(vg.seqno, 3u);
  EXPECT_EQ(vg.format, "lvm2");
  EXPECT_EQ(vg.status, (std::vector<std::string>{"RESIZEABLE", "READ", "WRITE"}));
  EXPECT_EQ(vg.extent_size, 8192u);
  ASSERT_EQ(vg.pvs.size(), 1u);
  const PhysicalVolume& pv = vg.pvs[0];
  EXPECT_EQ(pv.key, "pv0");
  EXPECT_EQ(pv.id, "38PCVU-G7iU-n5P0-GBvH-fSoL-HQWc-Khv8b0");
  EXPECT_EQ(pv.device, "/dev/vdb");
  EXPECT_EQ(pv.status, std::vector<std::string>{"ALLOCATABLE"});
  EXPECT_EQ(pv.dev_size, 524288000u);
  EXPECT_EQ(pv.pe_start, 2048u);
  EXPECT_EQ(pv.pe_count, 63999u);
  EXPECT_TRUE(pv.extra.empty());
  ASSERT_EQ(vg.lvs.size(), 2u);
  const LogicalVolume& a = vg.lvs[0];
  EXPECT_EQ(a.name, "608dec48-a7f6-43ea-8319-87f99979a0db");
  EXPECT_EQ(vg.lvs[1].name, "b49090c0-f254-4c5d-a5ca-96d59dfbfb0f");
  EXPECT_EQ(a.tags, std::vector<std::string>{"volname.vol001"});
  EXPECT_EQ(vg.lvs[1].tags, std::vector<std::string>{"volname.vol002"});
  EXPECT_EQ(a.creation_time, 1760225467);
  EXPECT_EQ(a.creation_host, "lima-server");
  ASSERT_EQ(a.segments.size(), 1u);
  EXPECT_EQ(a.segments[0].type, "striped");
  EXPECT_EQ(a.segments[0].extent_count, 2560u);
  EXPECT_EQ(a.segments[0].areas, (std::vector<Area>{{Area::Kind::kPv, "pv0", 0}}));
  EXPECT_EQ(vg.lvs[1].segments[0].areas, (std::vector<Area>{{Area::Kind::kPv, "pv0", 2560}}));
  EXPECT_EQ(p.header.generator, "LVM2 version 2.03.16(2) (2022-05-18)");
  EXPECT_EQ(p.header.description, "vgcfgbackup --file /tmp/tmphpuxcu9w vg0");
  EXPECT_EQ(p.header.creation_host, "lima-server");
  EXPECT_EQ(p.header.creation_uname,
            "Linux lima-server 6.8.0-63-generic #66-Ubuntu SMP PREEMPT_DYNAMIC Fri Jun 13 "
            "20:09:49 UTC 2025 aarch64");
  EXPECT_EQ(p.header.creation_time, 1760226011);
  EXPECT_EQ(p.utc_offset_seconds, 9 * 3600);  // the host wrote +0900 local times
  EXPECT_TRUE(ValidateVg(vg).ok()) << ValidateVg(vg).message();
  EXPECT_EQ(vg.TotalExtents(), 63999u);
  EXPECT_EQ(vg.AllocatedExtents(pv), 2816u);
  EXPECT_EQ(vg.FreeExtents(), 63999u - 2816u);
}

TEST(VgTextTest, BackupFixtureReproducedByteForByte) {
  const std::string text = ReadTestdata(kBackupFile);
  const ParsedVg p = MustParse(text);
  EXPECT_EQ(FormatVgFile(p.vg, p.header, p.utc_offset_seconds), text);
  ExpectRoundTrip(p);
}

TEST(VgTextTest, OnDiskFixtureFields) {
  const ParsedVg p = MustParse(ReadTestdata(kOnDiskFile));
  const VolumeGroup& vg = p.vg;
  EXPECT_EQ(vg.name, "testvg");
  EXPECT_EQ(vg.seqno, 27u);
  EXPECT_EQ(vg.extent_size, 8192u);
  ASSERT_EQ(vg.pvs.size(), 1u);
  EXPECT_EQ(vg.pvs[0].device, "/dev/xvdb4");
  EXPECT_EQ(vg.pvs[0].dev_size, 2097152u);
  EXPECT_EQ(vg.pvs[0].pe_start, 2048u);
  EXPECT_EQ(vg.pvs[0].pe_count, 255u);
  std::vector<std::string> names;
  for (const LogicalVolume& lv : vg.lvs) names.push_back(lv.name);
  EXPECT_EQ(names, (std::vector<std::string>{"testlv3", "testlv4", "testlv9", "testlv5"}));
  const LogicalVolume* lv5 = vg.FindLv("testlv5");
  ASSERT_NE(lv5, nullptr);
  ASSERT_EQ(lv5->segments.size(), 2u);
  EXPECT_EQ(lv5->segments[1].start_extent, 40u);
  EXPECT_EQ(lv5->segments[1].extent_count, 10u);
  EXPECT_EQ(lv5->segments[1].areas, (std::vector<Area>{{Area::Kind::kPv, "pv0", 220}}));
  EXPECT_EQ(lv5->extent_count(), 50u);
  EXPECT_EQ(p.header.generator, "LVM2 version 2.03.17(2) (2022-11-10)");
  EXPECT_EQ(p.header.description, "Write from lvremove testvg/tmp3.");
  EXPECT_EQ(p.header.creation_time, 1699888031);
  EXPECT_EQ(p.utc_offset_seconds, 0);
  EXPECT_TRUE(ValidateVg(vg).ok()) << ValidateVg(vg).message();
  EXPECT_EQ(vg.AllocatedExtents(vg.pvs[0]), 130u);
}

TEST(VgTextTest, OnDiskFixtureReproducedByteForByte) {
  const std::string text = ReadTestdata(kOnDiskFile);
  ASSERT_GE(text.size(), 2u);
  EXPECT_EQ(text.substr(text.size() - 2), "\n\n");  // ctime's newline, then LVM's own
  const ParsedVg p = MustParse(text);
  EXPECT_EQ(FormatVgRaw(p.vg, p.header), text);
  ExpectRoundTrip(p);
}

TEST(VgTextTest, PvmoveExampleFields) {
  const ParsedVg p = MustParse(ReadTestdata(kPvmoveFile));
  const VolumeGroup& vg = p.vg;
  EXPECT_EQ(vg.seqno, 7u);
  ASSERT_EQ(vg.pvs.size(), 3u);
  const LogicalVolume* data = vg.FindLv("lv_data");
  const LogicalVolume* mover = vg.FindLv("pvmove0");
  ASSERT_NE(data, nullptr);
  ASSERT_NE(mover, nullptr);
  EXPECT_TRUE(data->Has(kLocked));
  EXPECT_TRUE(data->visible());
  EXPECT_FALSE(data->Has(kPvmove));
  EXPECT_TRUE(mover->Has(kPvmove));
  EXPECT_TRUE(mover->Has(kLocked));
  EXPECT_FALSE(mover->visible());
  EXPECT_EQ(mover->allocation_policy, "contiguous");
  EXPECT_EQ(data->segments[0].areas, (std::vector<Area>{{Area::Kind::kLv, "pvmove0", 0}}));
  EXPECT_EQ(data->segments[1].areas, (std::vector<Area>{{Area::Kind::kPv, "pv1", 0}}));
  EXPECT_EQ(vg.FindLv("lv_log")->segments[0].areas,
            (std::vector<Area>{{Area::Kind::kLv, "pvmove0", 60}}));
  ASSERT_EQ(mover->segments.size(), 2u);
  const Segment& s1 = mover->segments[0];
  const Segment& s2 = mover->segments[1];
  EXPECT_EQ(s1.type, "mirror");
  EXPECT_EQ(s1.extents_moved, std::optional<uint64_t>(60));
  EXPECT_EQ(s2.extents_moved, std::optional<uint64_t>(0));
  EXPECT_EQ(s1.region_size, 4096u);
  EXPECT_EQ(s1.areas,
            (std::vector<Area>{{Area::Kind::kPv, "pv0", 0}, {Area::Kind::kPv, "pv2", 0}}));
  EXPECT_EQ(s2.areas,
            (std::vector<Area>{{Area::Kind::kPv, "pv0", 60}, {Area::Kind::kPv, "pv2", 60}}));
  EXPECT_EQ(s1.AreaLength(), 60u);
  EXPECT_TRUE(ValidateVg(vg).ok()) << ValidateVg(vg).message();
  EXPECT_EQ(vg.AllocatedExtents(*vg.FindPv("pv0")), 80u);
  EXPECT_EQ(vg.AllocatedExtents(*vg.FindPv("pv1")), 40u);
  EXPECT_EQ(vg.AllocatedExtents(*vg.FindPv("pv2")), 80u);
  EXPECT_EQ(vg.FreeExtents(), 3 * 255u - 200u);
}

TEST(VgTextTest, PvmoveExampleReproducedByteForByte) {
  const std::string text = ReadTestdata(kPvmoveFile);
  const ParsedVg p = MustParse(text);
  EXPECT_EQ(p.utc_offset_seconds, 0);
  EXPECT_EQ(FormatVgFile(p.vg, p.header), text);
  ExpectRoundTrip(p);
}

TEST(VgTextTest, SnapshotFixtureFields) {
  const ParsedVg p = MustParse(ReadTestdata(kSnapshotFile));
  const LogicalVolume* snap = p.vg.FindLv("snapshot0");
  ASSERT_NE(snap, nullptr);
  ASSERT_EQ(snap->segments.size(), 1u);
  const Segment& s = snap->segments[0];
  EXPECT_EQ(s.type, "snapshot");
  EXPECT_EQ(s.chunk_size, 8u);
  EXPECT_EQ(s.origin, "lv0");
  EXPECT_EQ(s.cow_store, "snap");
  EXPECT_TRUE(s.merging);
  EXPECT_TRUE(s.extra.empty());
  EXPECT_TRUE(p.vg.FindLv("lv0")->Has(kMerging));
  EXPECT_TRUE(ValidateVg(p.vg).ok()) << ValidateVg(p.vg).message();
}

TEST(VgTextTest, SnapshotFixtureReproducedByteForByte) {
  const std::string text = ReadTestdata(kSnapshotFile);
  const ParsedVg p = MustParse(text);
  EXPECT_EQ(FormatVgFile(p.vg, p.header, p.utc_offset_seconds), text);
  ExpectRoundTrip(p);
  // Not merging: cow_store.
  ParsedVg q = p;
  q.vg.lvs[2].segments[0].merging = false;
  const std::string raw = FormatVgRaw(q.vg, q.header);
  EXPECT_NE(raw.find("cow_store = \"snap\""), std::string::npos);
  EXPECT_EQ(raw.find("merging_store"), std::string::npos);
  EXPECT_EQ(MustParse(raw).vg, q.vg);
}

TEST(VgTextTest, SnapshotSegmentErrors) {
  std::string text = ReadTestdata(kSnapshotFile);
  std::string both = text;
  both.replace(both.find("merging_store"), 0, "cow_store = \"snap\"\n");
  EXPECT_NE(ErrorOf(both).find("both cow_store and merging_store"), std::string::npos);
  std::string none = text;
  none.replace(none.find("merging_store"), 13, "other_store");
  EXPECT_NE(ErrorOf(none).find("cow_store"), std::string::npos);
  std::string chunk = text;
  chunk.replace(chunk.find("chunk_size = 8"), 14, "chunk_size = 6");
  auto r = ParseVgText(chunk);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_NE(ValidateVg(r->vg).message().find("power of 2"), std::string::npos);
}

TEST(VgTextTest, EachFixtureReadsInTheOtherForm) {
  for (const char* name : {kBackupFile, kOnDiskFile, kPvmoveFile, kSnapshotFile}) {
    const ParsedVg p = MustParse(ReadTestdata(name));
    const std::string raw = FormatVgRaw(p.vg, p.header);
    EXPECT_EQ(raw.find('\t'), raw.find("\t# "));  // tabs only before header comments
    EXPECT_EQ(raw.find("Megabytes"), std::string::npos) << name;
    const std::string file = FormatVgFile(p.vg, p.header);
    EXPECT_EQ(file.rfind("# Generated by ", 0), 0u);
    EXPECT_EQ(MustParse(raw).vg, p.vg) << name;
    EXPECT_EQ(MustParse(file).vg, p.vg) << name;
  }
}

// An LVM-style text with keys and segment types lvlab does not model.
constexpr const char* kExtras =
    R"(# Generated by LVM2 version 2.03.22(2) (2023-08-02): Thu Jan  4 05:06:07 2024

contents = "Text Format Volume Group"
version = 1

description = "Created *after* executing 'lvcreate --type raid1 -m1 -L8m -n r vgx'"

creation_host = "h"	# Linux h 6.1 #1 SMP x86_64
creation_host_system_id = "ignored"
creation_time = 1704344767	# Thu Jan  4 05:06:07 2024

vgx {
	id = "AAAAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAAAA"
	seqno = 4
	format = "lvm2"			# informational
	status = ["RESIZEABLE", "READ", "WRITE"]
	flags = []
	tags = ["t1", "t2"]
	system_id = "host1"
	extent_size = 8192		# 4 Megabytes
	max_lv = 0
	max_pv = 0

	allocation_policy = "cling"
	metadata_copies = 0

	physical_volumes {

		pv0 {
			id = "BBBBBB-BBBB-BBBB-BBBB-BBBB-BBBB-BBBBBB"
			device = "/dev/sda"	# Hint only

			device_id_type = "devname"
			device_id = "/dev/sda"
			status = ["ALLOCATABLE"]
			flags = ["MISSING"]
			dev_size = 262144	# 128 Megabytes
			pe_start = 2048
			pe_count = 31	# 124 Megabytes
			ba_start = 262000
			ba_size = 144	# 72 Kilobytes
		}

		pv1 {
			id = "CCCCCC-CCCC-CCCC-CCCC-CCCC-CCCC-CCCCCC"
			device = "/dev/sdb"	# Hint only

			status = ["ALLOCATABLE"]
			flags = []
			dev_size = 262144	# 128 Megabytes
			pe_start = 2048
			pe_count = 31	# 124 Megabytes
		}
	}

	logical_volumes {

		r {
			id = "DDDDDD-DDDD-DDDD-DDDD-DDDD-DDDD-DDDDDD"
			status = ["READ", "WRITE", "VISIBLE"]
			flags = []
			creation_time = 1704344767	# 2024-01-04 05:06:07 +0000
			creation_host = "h"
			read_ahead = -1		# None
			segment_count = 1

			segment1 {
				start_extent = 0
				extent_count = 2	# 8 Megabytes

				type = "raid1"
				device_count = 2
				region_size = 4096

				raids = [
					"r_rmeta_0", "r_rimage_0",
					"r_rmeta_1", "r_rimage_1"
				]
			}
		}

		s {
			id = "EEEEEE-EEEE-EEEE-EEEE-EEEE-EEEE-EEEEEE"
			status = ["READ", "WRITE", "VISIBLE"]
			flags = []
			segment_count = 1

			segment1 {
				start_extent = 0
				extent_count = 4	# 16 Megabytes

				type = "striped"
				stripe_count = 2
				stripe_size = 128	# 64 Kilobytes
				tags = ["segtag"]

				stripes = [
					"pv0", 10,
					"pv1", 10
				]
			}
		}
	}

	historical_logical_volumes {

		old {
			id = "FFFFFF-FFFF-FFFF-FFFF-FFFF-FFFF-FFFFFF"
			creation_time = 1704344000
			removal_time = 1704344700
		}
	}
}
)";

TEST(VgTextTest, UnmodelledKeysAndSegmentTypesSurvive) {
  const ParsedVg p = MustParse(kExtras);
  const VolumeGroup& vg = p.vg;
  EXPECT_EQ(vg.tags, (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ(vg.allocation_policy, "cling");
  ASSERT_EQ(vg.extra.size(), 2u);
  EXPECT_EQ(vg.extra[0].key, "system_id");
  EXPECT_EQ(vg.extra[1].key, "historical_logical_volumes");
  EXPECT_TRUE(vg.extra[1].is_section);
  const PhysicalVolume& pv0 = vg.pvs[0];
  ASSERT_EQ(pv0.extra.size(), 4u);
  EXPECT_EQ(pv0.extra[0].key, "device_id_type");
  EXPECT_EQ(pv0.extra[3].key, "ba_size");
  EXPECT_EQ(pv0.flags, std::vector<std::string>{"MISSING"});
  const LogicalVolume& r = vg.lvs[0];
  ASSERT_EQ(r.extra.size(), 1u);
  EXPECT_EQ(r.extra[0].value, ConfigValue::Int(-1));
  const Segment& raid = r.segments[0];
  EXPECT_EQ(raid.type, "raid1");  // modelled: raids are the areas, in pairs
  ASSERT_EQ(raid.areas.size(), 4u);
  EXPECT_EQ(raid.areas[0].kind, Area::Kind::kLv);
  EXPECT_TRUE(raid.extra.empty());
  const Segment& striped = vg.lvs[1].segments[0];
  EXPECT_EQ(striped.stripe_size, 128u);
  EXPECT_EQ(striped.tags, std::vector<std::string>{"segtag"});
  EXPECT_EQ(striped.AreaLength(), 2u);
  ExpectRoundTrip(p);

  // In the file form extra keys keep their comments and land where LVM puts
  // ba_size, read_ahead and historical_logical_volumes.
  const std::string file = FormatVgFile(vg, p.header);
  EXPECT_NE(file.find("\t\t\tpe_count = 31\t# 124 Megabytes\n"
                      "\t\t\tdevice_id_type = \"devname\"\n"),
            std::string::npos);
  EXPECT_NE(file.find("\t\t\tba_size = 144\t# 72 Kilobytes\n\t\t}\n"), std::string::npos);
  EXPECT_NE(file.find("\t\t\tread_ahead = -1\t# None\n\t\t\tsegment_count = 1\n"),
            std::string::npos)
      << file;
  EXPECT_NE(
      file.find("\t\t\t\tregion_size = 4096\n\n"  // raids as LVM writes them: a pair a line
                "\t\t\t\traids = [\n\t\t\t\t\t\"r_rmeta_0\", \"r_rimage_0\",\n"
                "\t\t\t\t\t\"r_rmeta_1\", \"r_rimage_1\"\n\t\t\t\t]\n"),
      std::string::npos);
  EXPECT_NE(file.find("\tmax_pv = 0\n\n\tallocation_policy = \"cling\"\n\tmetadata_copies = 0\n"
                      "\tsystem_id = \"host1\"\n\n\tphysical_volumes {\n"),
            std::string::npos);
  EXPECT_NE(file.find("\t}\n\n\thistorical_logical_volumes {\n\t\told {\n"), std::string::npos);
  EXPECT_EQ(file.substr(file.size() - 9), "\t\t}\n\t}\n}\n");
  EXPECT_EQ(file.find("creation_host_system_id"), std::string::npos);
  const std::string raw = FormatVgRaw(vg, p.header);
  EXPECT_NE(raw.find("\nba_size = 144\n"), std::string::npos);
}

TEST(VgTextTest, HiddenLvsAreWrittenAfterVisibleOnes) {
  ParsedVg p = MustParse(ReadTestdata(kPvmoveFile));
  std::rotate(p.vg.lvs.begin(), p.vg.lvs.begin() + 2, p.vg.lvs.end());  // pvmove0 first
  ASSERT_EQ(p.vg.lvs[0].name, "pvmove0");
  const ParsedVg back = MustParse(FormatVgRaw(p.vg, p.header));
  EXPECT_EQ(back.vg.lvs.back().name, "pvmove0");
  EXPECT_NE(back.vg, p.vg);
  PutVisibleLvsFirst(&p.vg);
  EXPECT_EQ(p.vg.lvs[0].name, "lv_data");
  EXPECT_EQ(p.vg.lvs[1].name, "lv_log");
  EXPECT_EQ(back.vg, p.vg);
}

TEST(VgTextTest, WriterUsesTheGivenZoneNeverTheHost) {
  ParsedVg p = MustParse(ReadTestdata(kPvmoveFile));
  const std::string utc = FormatVgFile(p.vg, p.header);
  EXPECT_NE(
      utc.find("# Generated by LVM2 version 2.03.39(2) (2026-03-13): Thu Apr 16 12:00:00 2026\n"),
      std::string::npos);
  EXPECT_NE(utc.find("creation_time = 1776340000\t# 2026-04-16 11:46:40 +0000\n"),
            std::string::npos);
  const std::string west = FormatVgFile(p.vg, p.header, -(5 * 3600 + 30 * 60));
  EXPECT_NE(west.find(": Thu Apr 16 06:30:00 2026\n"), std::string::npos);
  EXPECT_NE(west.find("# 2026-04-16 06:16:40 -0530\n"), std::string::npos);
  EXPECT_EQ(MustParse(west).utc_offset_seconds, -(5 * 3600 + 30 * 60));
  p.header.creation_time = 1704344767;  // ctime pads single-digit days with a space
  EXPECT_NE(FormatVgRaw(p.vg, p.header).find("\t# Thu Jan  4 05:06:07 2024\n"), std::string::npos);
}

TEST(VgTextTest, VgWithoutLvsKeepsLvmLayout) {
  ParsedVg p = MustParse(ReadTestdata(kOnDiskFile));
  p.vg.lvs.clear();
  p.vg.format.clear();  // absent in the text, absent in the model
  const std::string file = FormatVgFile(p.vg, p.header);
  EXPECT_EQ(file.find("format"), std::string::npos);
  EXPECT_NE(file.find("\t\t}\n\t}\n\n\n}\n"), std::string::npos) << file;  // no logical_volumes
  ExpectRoundTrip(p);
  p.header.creation_time = INT64_MAX;  // no ctime for it, but no crash either
  EXPECT_NE(FormatVgRaw(p.vg, p.header).find("creation_time = 9223372036854775807\t# \n"),
            std::string::npos);
}

TEST(VgTextTest, ShapeErrorsNameTheLine) {
  const std::string text = ReadTestdata(kOnDiskFile);
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string t = text;
    const size_t at = t.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return t.replace(at, from.size(), to);
  };
  EXPECT_EQ(ErrorOf(replace("segment_count = 2", "segment_count = 3")),
            "line 91: testvg/testlv5: segment_count is 3 but 2 segments follow");
  EXPECT_EQ(ErrorOf(replace("\"pv0\", 220\n", "\"pv0\", 220, \"pv0\", 0\n")),
            "line 117: testvg/testlv5 segment2: 'stripes' lists 2 areas but the count says 1");
  EXPECT_EQ(ErrorOf(replace("seqno = 27", "seqno = -1")),
            "line 3: testvg: 'seqno' must not be negative");
  EXPECT_EQ(ErrorOf(replace("seqno = 27", "seqno = \"27\"")),
            "line 3: testvg: 'seqno' must be an integer");
  EXPECT_EQ(ErrorOf(replace("pe_count = 255\n", "")), "line 14: testvg/pv0: no 'pe_count'");
  EXPECT_EQ(ErrorOf(replace("seqno = 27", "seqno = 27\nseqno = 28")),
            "line 4: testvg: 'seqno' appears twice");
  EXPECT_EQ(ErrorOf(replace("status = [\"ALLOCATABLE\"]", "status = [1]")),
            "line 18: testvg/pv0: 'status' must hold strings");
  EXPECT_EQ(ErrorOf(replace("contents = \"Text Format Volume Group\"", "contents = \"x\"")),
            "line 127: unrecognised contents field");
  EXPECT_EQ(ErrorOf(replace("version = 1", "version = 2")),
            "line 128: unsupported version (not 1)");
  EXPECT_EQ(ErrorOf(replace("version = 1\n", "")),
            "no 'version' field; this is not LVM2 text metadata");
  EXPECT_EQ(ErrorOf(text + "vg2 {\n}\n"),
            "line 135: second VG section 'vg2' after 'testvg'; metadata text holds one VG");
  EXPECT_EQ(ErrorOf(replace("stripes = [\n\"pv0\", 220", "stripes = [\n\"pv0\", \"220\"")),
            "line 117: testvg/testlv5 segment2: 'stripes' entry 1 is not a name and a non-negative "
            "extent");
  EXPECT_EQ(ErrorOf("contents = \"Text Format Volume Group\"\nversion = 1\n"),
            "no volume group section in metadata text");
  EXPECT_EQ(ErrorOf(replace("testlv9 {", "testlv9 }")),
            "line 70: expected '=' or '{' after 'testlv9', found '}'");
}

TEST(VgTextTest, MirrorCountMustMatchItsImages) {
  const std::string text = ReadTestdata(kPvmoveFile);
  std::string t = text;
  const std::string from = "mirror_count = 2";
  t.replace(t.find(from), from.size(), "mirror_count = 3");
  EXPECT_NE(ErrorOf(t).find("pvmove0 segment1: 'mirrors' lists 2 areas but the count says 3"),
            std::string::npos);
}

// ------------------------------------------------------------- metadata --

VolumeGroup SmallVg() {
  VolumeGroup vg;
  vg.name = "vg0";
  for (int k = 0; k < 3; ++k) {
    PhysicalVolume pv;
    pv.key = "pv" + std::to_string(k + 1);
    pv.id = "id" + std::to_string(k + 1);
    pv.status = {kAllocatable};
    pv.pe_count = 100;
    vg.pvs.push_back(pv);
  }
  LogicalVolume lv1;
  lv1.name = "lv1";
  lv1.status = {kRead, kWrite, kVisible};
  Segment s;
  s.extent_count = 50;
  s.areas = {{Area::Kind::kPv, "pv1", 0}};
  lv1.segments.push_back(s);
  s.start_extent = 50;
  s.extent_count = 20;
  s.areas = {{Area::Kind::kPv, "pv3", 70}};
  lv1.segments.push_back(s);
  vg.lvs.push_back(lv1);
  LogicalVolume lv2 = lv1;
  lv2.name = "lv2";
  lv2.segments.resize(1);
  lv2.segments[0].extent_count = 40;
  lv2.segments[0].stripe_size = 128;
  lv2.segments[0].areas = {{Area::Kind::kPv, "pv1", 50}, {Area::Kind::kPv, "pv2", 0}};
  vg.lvs.push_back(lv2);
  return vg;
}

std::string Invalid(const VolumeGroup& vg) {
  Status st = ValidateVg(vg);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.code(), st.ok() ? Code::kOk : Code::kCorrupt);
  return st.message();
}

TEST(MetadataTest, ValidateAcceptsASaneVg) {
  VolumeGroup vg = SmallVg();
  EXPECT_TRUE(ValidateVg(vg).ok()) << ValidateVg(vg).message();
  EXPECT_EQ(vg.AllocatedExtents(vg.pvs[0]), 70u);
  EXPECT_EQ(vg.TotalExtents(), 300u);
  EXPECT_EQ(vg.FreeExtents(), 300u - 110u);
  vg.pvs[1].status.push_back(kMissing);  // MISSING PVs still count
  EXPECT_EQ(vg.FreeExtents(), 300u - 110u);
  const ParsedVg p{vg, TextHeader{}};
  ExpectRoundTrip(p);
}

TEST(MetadataTest, ValidateRejectsBrokenVgs) {
  VolumeGroup vg = SmallVg();
  vg.lvs[1].segments[0].areas[0].start = 40;  // lv2 stripe on pv1:40-59 hits lv1's pv1:0-49
  EXPECT_EQ(Invalid(vg), "vg0: extents pv1:40-49 are used by both lv1 segment 1 and lv2 segment 1");

  vg = SmallVg();
  vg.lvs[0].segments[1].areas[0].start = 120;
  EXPECT_EQ(Invalid(vg), "vg0/lv1 segment 2: area pv3:120-139 is beyond pv3's 100 extents");
  vg.lvs[0].segments[1].areas[0].start = 90;
  EXPECT_EQ(Invalid(vg), "vg0/lv1 segment 2: area pv3:90-109 is beyond pv3's 100 extents");

  vg = SmallVg();
  vg.lvs[0].segments[1].start_extent = 55;
  EXPECT_EQ(Invalid(vg), "vg0/lv1 segment 2: starts at extent 55 but segment 1 ends at 50 (gap)");
  vg.lvs[0].segments[1].start_extent = 45;
  EXPECT_EQ(Invalid(vg),
            "vg0/lv1 segment 2: starts at extent 45 but segment 1 ends at 50 (overlap)");
  vg = SmallVg();
  vg.lvs[0].segments[0].start_extent = 1;
  EXPECT_EQ(Invalid(vg),
            "vg0/lv1 segment 1: starts at extent 1; the first segment must start at 0");

  vg = SmallVg();
  vg.lvs[0].segments[0].areas[0] = {Area::Kind::kLv, "nosuch", 0};
  EXPECT_EQ(Invalid(vg), "vg0/lv1 segment 1: area nosuch:0 names no LV of vg0");
  vg.lvs[0].segments[0].areas[0] = {Area::Kind::kPv, "pv9", 0};
  EXPECT_EQ(Invalid(vg), "vg0/lv1 segment 1: area pv9:0 names no PV of vg0");
  vg.lvs[0].segments[0].areas[0] = {Area::Kind::kLv, "lv2", 30};
  EXPECT_EQ(Invalid(vg), "vg0/lv1 segment 1: area lv2:30-79 is beyond lv2's 40 extents");

  vg = SmallVg();
  vg.lvs[1].segments[0].extent_count = 41;
  EXPECT_EQ(Invalid(vg), "vg0/lv2 segment 1: 2 stripes do not divide 41 extents");
  vg = SmallVg();
  vg.lvs[1].segments[0].stripe_size = 0;
  EXPECT_EQ(Invalid(vg), "vg0/lv2 segment 1: a segment with 2 stripes needs a stripe_size");

  vg = SmallVg();
  vg.lvs[1].name = "lv1";
  EXPECT_EQ(Invalid(vg), "vg0: LV name lv1 is used twice");
  vg = SmallVg();
  vg.pvs[2].key = "pv1";
  EXPECT_EQ(Invalid(vg), "vg0: PV key pv1 is used twice");
  vg = SmallVg();
  vg.pvs[2].id = "id1";
  EXPECT_EQ(Invalid(vg), "vg0: PV id id1 is used twice (pv3)");
  vg = SmallVg();
  vg.lvs[1].segments.clear();
  EXPECT_EQ(Invalid(vg), "vg0/lv2 has no segments");
  vg = SmallVg();
  vg.lvs[1].extra.push_back(ConfigNode{"segment9", true, {}, {}, 0, ""});
  EXPECT_EQ(Invalid(vg), "vg0/lv2: extra section 'segment9' would read as a segment");
  vg = SmallVg();
  vg.lvs[1].segments[0].type = "thin";
  EXPECT_EQ(Invalid(vg),
            "vg0/lv2 segment 1: areas of a 'thin' segment are not modelled; keep them in the "
            "segment's extra keys");
  vg = SmallVg();
  vg.lvs[1].segments[0].type = "raid1";
  vg.lvs[1].segments[0].areas.resize(2, vg.lvs[1].segments[0].areas[0]);
  EXPECT_EQ(Invalid(vg), "vg0/lv2 segment 1: raid sub-LV pv1 names no LV of vg0");
}

TEST(MetadataTest, ValidateChecksLvAreasAndPvmoveShape) {
  VolumeGroup vg = SmallVg();
  LogicalVolume mover;
  mover.name = "pvmove0";
  mover.status = {kRead, kWrite, kPvmove, kLocked};
  Segment m;
  m.type = "mirror";
  m.extent_count = 20;
  m.region_size = 4096;
  m.extents_moved = 0;
  m.areas = {{Area::Kind::kPv, "pv2", 20}, {Area::Kind::kPv, "pv3", 0}};
  mover.segments.push_back(m);
  vg.lvs.push_back(mover);
  Segment user;
  user.extent_count = 10;
  user.areas = {{Area::Kind::kLv, "pvmove0", 0}};
  vg.lvs[1].segments.push_back(user);
  vg.lvs[1].segments.back().start_extent = 40;
  vg.lvs[0].segments.push_back(user);
  vg.lvs[0].segments.back().start_extent = 70;
  EXPECT_EQ(Invalid(vg),
            "vg0: extents pvmove0:0-9 are used by both lv1 segment 3 and lv2 segment 2");
  vg.lvs[0].segments.back().areas[0].start = 10;
  EXPECT_TRUE(ValidateVg(vg).ok()) << ValidateVg(vg).message();
  ExpectRoundTrip(ParsedVg{vg, TextHeader{}});

  vg.lvs[2].segments[0].extents_moved = 21;
  EXPECT_EQ(Invalid(vg),
            "vg0/pvmove0 segment 1: extents_moved 21 exceeds the segment's 20 extents");
  vg.lvs[2].segments[0].extents_moved = 20;
  vg.lvs[2].segments[0].areas.push_back({Area::Kind::kPv, "pv1", 80});
  EXPECT_EQ(Invalid(vg),
            "vg0/pvmove0 segment 1: a PVMOVE LV's segments must be 2-way mirrors or single areas");
}

TEST(MetadataTest, StatusFlagsKeepLvmOrder) {
  LogicalVolume lv;
  lv.status = {kRead, kWrite, kLocked};
  lv.Set(kVisible, true);
  lv.Set(kPvmove, true);
  lv.Set(kPvmove, true);
  EXPECT_EQ(lv.status, (std::vector<std::string>{"READ", "WRITE", "VISIBLE", "PVMOVE", "LOCKED"}));
  lv.Set("SOMETHING_NEW", true);
  lv.Set(kRead, false);
  lv.Set(kRead, false);
  EXPECT_EQ(lv.status,
            (std::vector<std::string>{"WRITE", "VISIBLE", "PVMOVE", "LOCKED", "SOMETHING_NEW"}));
}

TEST(MetadataTest, LookupsKeysAndIds) {
  VolumeGroup vg = SmallVg();
  EXPECT_EQ(vg.FindPv("pv2"), &vg.pvs[1]);
  EXPECT_EQ(vg.FindPv("pv0"), nullptr);
  EXPECT_EQ(vg.FindPvById("id3"), &vg.pvs[2]);
  EXPECT_EQ(vg.FindLv("lv2"), &vg.lvs[1]);
  EXPECT_EQ(std::as_const(vg).FindLv("nope"), nullptr);
  EXPECT_EQ(vg.NextPvKey(), "pv0");
  vg.pvs[0].key = "pv0";
  EXPECT_EQ(vg.NextPvKey(), "pv1");
  const char raw[33] = "Xr1Ab2Cd3Ef4Gh5iJk6LmNo7Pq8RsTuv";
  EXPECT_EQ(FormatLvmId(raw), "Xr1Ab2-Cd3E-f4Gh-5iJk-6LmN-o7Pq-8RsTuv");
}

}  // namespace
}  // namespace lvlab::lvm
