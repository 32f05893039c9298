// Drives the lvlab binary in temporary labs, as a user would.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lvlab-cli-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  Outcome Lvlab(const std::string& args, const std::string& input = "") {
    const std::string out = dir_ + "/out", err = dir_ + "/err", in = dir_ + "/in";
    std::ofstream(in) << input;
    std::string cmd = std::string(LVLAB_BINARY) + " --lab " + dir_ + "/lab " + args + " >" + out +
                      " 2>" + err + " <" + in;
    int status = std::system(cmd.c_str());
    Outcome r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, Slurp(out), Slurp(err)};
    return r;
  }
  static std::string Slurp(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  // Everything a failed command must leave untouched: images and metadata.
  std::string Snapshot() {
    std::string all;
    for (const auto& e : fs::directory_iterator(dir_ + "/lab/pvs")) {
      all += e.path().filename().string() + ":" + Slurp(e.path().string()) + "\n";
    }
    return all;
  }
  void Must(const std::string& args) {
    Outcome r = Lvlab(args);
    ASSERT_EQ(r.code, 0) << args << "\n" << r.out << r.err;
  }
  void ThreePvLab(const std::string& size = "64M") {
    Must("pvcreate pv1 --size " + size);
    Must("pvcreate pv2 --size " + size);
    Must("pvcreate pv3 --size " + size);
    Must("vgcreate -s 4M vg0 pv1 pv2 pv3");
  }

  std::string dir_;
};

TEST_F(CliTest, BuildsLabAndShowsKernelTables) {
  ThreePvLab();
  Must("lvcreate -l 30 -n lv0 vg0 pv1:0-9 pv2:0-9 pv3:0-9");
  Outcome t = Lvlab("dmsetup table");
  EXPECT_EQ(t.code, 0);
  EXPECT_EQ(t.out,
            "vg0-lv0: 0 81920 linear 7:0 2048\n"
            "vg0-lv0: 81920 81920 linear 7:1 2048\n"
            "vg0-lv0: 163840 81920 linear 7:2 2048\n");
  Outcome ls = Lvlab("dmsetup ls");
  EXPECT_EQ(ls.out, "vg0-lv0\t(254:0)\n");
  Outcome lvs = Lvlab("lvs -o lv_name,lv_size,seg_pe_ranges --segments --units m");
  EXPECT_EQ(lvs.code, 0) << lvs.err;
  EXPECT_NE(lvs.out.find("pv1:0-9"), std::string::npos) << lvs.out;
  EXPECT_NE(lvs.out.find("pv3:0-9"), std::string::npos) << lvs.out;
  Outcome st = Lvlab("dmsetup status vg0-lv0");
  EXPECT_EQ(st.out, "0 81920 linear \n81920 81920 linear \n163840 81920 linear \n");
}

TEST_F(CliTest, DevicesSurviveBetweenCommandsAndCrashForgetsThem) {
  ThreePvLab();
  Must("lvcreate -L 8M -n a vg0");
  Must("lvcreate -L 8M -n b vg0");
  EXPECT_EQ(Lvlab("dmsetup ls").out, "vg0-a\t(254:0)\nvg0-b\t(254:1)\n");
  Must("crash");
  EXPECT_EQ(Lvlab("dmsetup ls").out, "No devices found\n");
  Must("vgchange -ay vg0");
  EXPECT_EQ(Lvlab("dmsetup ls").out, "vg0-a\t(254:0)\nvg0-b\t(254:1)\n");
  Must("lvchange -an vg0/a");
  EXPECT_EQ(Lvlab("dmsetup ls").out, "vg0-b\t(254:1)\n");
}

TEST_F(CliTest, BadInputFailsClearlyAndChangesNothing) {
  ThreePvLab("24M");  // small: every case compares the whole images
  Must("lvcreate -L 40M -n lv0 vg0");
  const std::string before = Snapshot();
  struct Case {
    const char* args;
    const char* message;
  } cases[] = {
      {"lvcreate -L 40M -n lv0 vg0", "already exists"},
      {"crash --during metadata-write", "mount the lab first"},
      {"crash --writes 3", "mount the lab first"},
      {"crash --count 1", "add --during"},
      {"events", "no daemon is running for this lab; events are counted by a mounted lab"},
      {"lvcreate -L 1G -n big vg0", "Insufficient free space"},
      {"lvcreate -L 4M -n x vgX", "Volume group \"vgX\" not found"},
      {"lvcreate -l 5 -n x vg0 pv1:200-300", "PE range error"},
      {"lvcreate -l 2 -n x vg0 pv1:0-1", "Insufficient free space"},  // lv0 holds them
      {"lvcreate -l 5 -n x vg0 pv9", "pv9"},
      {"lvcreate -L 4Q -n x vg0", "unknown unit"},
      {"vgcreate vg1 pv1", "already in volume group"},
      {"vgcreate vg0 pv2", "already exists"},
      {"lvextend -L 10G vg0/lv0", "Insufficient free space"},
      {"lvremove vg0/nope", "Failed to find logical volume"},
      {"lvremove vg0/lv0", "not removed"},
      {"pvremove pv1", "vgreduce"},
      {"vgremove vg0", "still contains"},
      {"lvcreate -L 4M -n pvmove9 vg0", "reserved"},
  };
  for (const Case& c : cases) {
    Outcome r = Lvlab(c.args);
    // LVM's exit codes: 3 for an argument refused before the lab is read.
    EXPECT_EQ(r.code, std::string(c.message) == "unknown unit" ? 3 : 5) << c.args;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << " said: " << r.err;
    EXPECT_EQ(Snapshot(), before) << c.args << " changed the lab";
  }
  Outcome vgs = Lvlab("vgs -o vg_seqno --noheadings");
  EXPECT_EQ(vgs.out, "    2\n");  // vgcreate, lvcreate
}

TEST_F(CliTest, CorruptImageIsReportedByNameOthersKeepWorking) {
  ThreePvLab();
  Must("pvcreate pv4 --size 64M");
  Must("vgcreate vg1 pv4");
  {
    std::fstream f(dir_ + "/lab/pvs/pv4.img", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(512 + 40);
    f.write("garbage!", 8);
  }
  Outcome pvs = Lvlab("pvs");
  EXPECT_EQ(pvs.code, 0);
  EXPECT_NE(pvs.err.find("pv4"), std::string::npos) << pvs.err;
  EXPECT_NE(pvs.out.find("pv1"), std::string::npos);
  Must("lvcreate -L 8M -n ok vg0");
  fs::resize_file(dir_ + "/lab/pvs/pv3.img", 8 << 20);
  Outcome lvs = Lvlab("lvs");
  EXPECT_NE(lvs.err.find("pv3"), std::string::npos) << lvs.err;
}

TEST_F(CliTest, MissingImageBlocksChangesButNotReports) {
  ThreePvLab();
  Must("lvcreate -L 8M -n a vg0 pv1");
  Must("lvchange -an vg0/a");
  fs::rename(dir_ + "/lab/pvs/pv3.img", dir_ + "/pv3.img");
  Outcome lvs = Lvlab("lvs");
  EXPECT_EQ(lvs.code, 0);
  EXPECT_NE(lvs.err.find("Couldn't find device with uuid"), std::string::npos) << lvs.err;
  Outcome pvs = Lvlab("pvs");
  EXPECT_NE(pvs.out.find("[unknown]"), std::string::npos) << pvs.out;
  Outcome create = Lvlab("lvcreate -L 4M -n b vg0");
  EXPECT_EQ(create.code, 5);
  EXPECT_NE(create.err.find("Cannot change VG vg0 while PVs are missing"), std::string::npos)
      << create.err;
  Must("lvchange -ay vg0/a");  // its PV is there: activation works
  fs::rename(dir_ + "/pv3.img", dir_ + "/lab/pvs/pv3.img");
  Must("lvcreate -L 4M -n b vg0");
}

TEST_F(CliTest, ExtendRemoveAndReportJson) {
  ThreePvLab();
  Must("lvcreate -L 40M -n lv0 vg0");
  Must("lvextend -L +8M vg0/lv0");
  Outcome json = Lvlab("lvs -o lv_name,lv_size --units m --reportformat json");
  EXPECT_NE(json.out.find("\"report\": ["), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("{\"lv_name\":\"lv0\", \"lv_size\":\"48.00m\"}"), std::string::npos)
      << json.out;
  Must("lvremove -y vg0/lv0");
  Outcome lvs = Lvlab("lvs --noheadings");
  EXPECT_EQ(lvs.out, "");
  EXPECT_EQ(Lvlab("dmsetup ls").out, "No devices found\n");
  Must("vgremove vg0");
  Outcome pvs = Lvlab("pvs -o pv_name,vg_name --noheadings");
  EXPECT_EQ(pvs.out.find("vg0"), std::string::npos) << pvs.out;
}

// As LVM's process_each_lv: the LVs that can be removed are, the others
// are reported, and the command fails.
TEST_F(CliTest, LvremoveGoesOnPastWhatItCannotRemoveAndFailsAtTheEnd) {
  ThreePvLab();
  Must("lvcreate -L 8M -n a vg0");
  Must("lvcreate -L 8M -n b vg0");
  Outcome r = Lvlab("lvremove -y vg0/nope vg0/a vg0/gone vg0/b");
  EXPECT_EQ(r.code, 5);
  EXPECT_NE(r.out.find("Logical volume \"a\" successfully removed."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Logical volume \"b\" successfully removed."), std::string::npos) << r.out;
  EXPECT_EQ(r.err,
            "  Failed to find logical volume \"vg0/nope\"\n"
            "  Failed to find logical volume \"vg0/gone\"\n");
  EXPECT_EQ(Lvlab("lvs --noheadings").out, "");
}

TEST_F(CliTest, BackupRestoreRoundTripsAndArchivesEveryVersion) {
  ThreePvLab();
  Must("lvcreate -L 40M -n lv0 vg0");
  Must("vgcfgbackup -f " + dir_ + "/vg0.vg vg0");
  Must("lvcreate -L 8M -n lv1 vg0");
  Must("vgchange -an vg0");
  Must("vgcfgrestore -f " + dir_ + "/vg0.vg vg0");
  Outcome lvs = Lvlab("lvs -o lv_name --noheadings");
  EXPECT_EQ(lvs.out, "  lv0 \n");  // LVM pads LV to 4
  int archived = 0;
  for (const auto& e : fs::directory_iterator(dir_ + "/lab/archive")) {
    (void)e;
    ++archived;
  }
  EXPECT_EQ(archived, 4);  // seqno 1, 2, 3 and the restore's 4
}

TEST_F(CliTest, RestoresMetadataWrittenMidPvmove) {
  Must("vgcfgrestore --create-pvs -f " LVLAB_FIXTURES "/pvmove-in-progress.vg vg0");
  Outcome lvs = Lvlab("lvs -a -o lv_name,lv_attr,devices --noheadings");
  EXPECT_NE(lvs.out.find("[pvmove0]"), std::string::npos) << lvs.out;
  EXPECT_NE(lvs.out.find("-wI-------"), std::string::npos) << "LOCKED parents: " << lvs.out;
  EXPECT_NE(lvs.out.find("pv0(60),pv2(60)"), std::string::npos) << lvs.out;
  Outcome show = Lvlab("show vg0");
  EXPECT_NE(show.out.find("pv0:0-59 → pv2:0-59  COMPLETED"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("pv0:60-79 → pv2:60-79  RUNNING"), std::string::npos) << show.out;
  // Backing up what was restored gives the same VG (seqno moved on by one).
  Must("vgcfgbackup -f " + dir_ + "/again.vg vg0");
  Outcome again = Lvlab("vgs -o vg_seqno --noheadings");
  EXPECT_EQ(again.out, "    8\n");
}

// Fills bytes [offset, offset + size) of a PV image with a pattern.
void Fill(const std::string& image, uint64_t offset, uint64_t size, char seed) {
  std::fstream f(image, std::ios::in | std::ios::out | std::ios::binary);
  std::string block(1 << 20, seed);
  for (size_t i = 0; i < block.size(); i += 512) block[i] = static_cast<char>(i >> 9);
  f.seekp(static_cast<std::streamoff>(offset));
  for (uint64_t done = 0; done < size; done += block.size()) f.write(block.data(), block.size());
}

std::string Bytes(const std::string& image, uint64_t offset, uint64_t size) {
  std::ifstream f(image, std::ios::binary);
  std::string out(size, '\0');
  f.seekg(static_cast<std::streamoff>(offset));
  f.read(out.data(), static_cast<std::streamsize>(size));
  return out;
}

TEST_F(CliTest, PvmoveMovesTheBytesAndTheMapping) {
  ThreePvLab();
  Must("pvcreate pv4 --size 64M");
  Must("vgextend vg0 pv4");
  Must("lvcreate -l 30 -n lv0 vg0 pv1:0-9 pv2:0-9 pv3:0-9");
  Fill(dir_ + "/lab/pvs/pv2.img", 1 << 20, 40 << 20, 'x');
  Outcome mv = Lvlab("pvmove -i 1 pv2 pv4");
  ASSERT_EQ(mv.code, 0) << mv.out << mv.err;
  EXPECT_NE(mv.out.find("pv2: Moved: 100.00%"), std::string::npos) << mv.out;
  Outcome lvs = Lvlab("lvs -a -o lv_name,devices --noheadings");
  EXPECT_EQ(lvs.out.find("pvmove0"), std::string::npos) << lvs.out;
  EXPECT_NE(lvs.out.find("pv4(0)"), std::string::npos) << lvs.out;
  EXPECT_EQ(Bytes(dir_ + "/lab/pvs/pv4.img", 1 << 20, 40 << 20),
            Bytes(dir_ + "/lab/pvs/pv2.img", 1 << 20, 40 << 20));
  EXPECT_EQ(Lvlab("dmsetup table vg0-lv0").out,
            "0 81920 linear 7:0 2048\n81920 81920 linear 7:3 2048\n163840 81920 linear 7:2 2048\n");
  Outcome none = Lvlab("pvmove pv2 pv4");
  EXPECT_EQ(none.code, 5);
  EXPECT_NE(none.err.find("No data to move for pv2"), std::string::npos) << none.err;
}

TEST_F(CliTest, KilledPvmoveResumesAndBackgroundPvmoveReturns) {
  ThreePvLab();
  Must("pvcreate pv4 --size 64M");
  Must("vgextend vg0 pv4");
  Must("lvcreate -l 10 -n lv0 vg0 pv2:0-9");
  Fill(dir_ + "/lab/pvs/pv2.img", 1 << 20, 40 << 20, 'k');
  // A foreground pvmove polls every 30 s: kill it after the setup commit.
  std::string cmd = std::string(LVLAB_BINARY) + " --lab " + dir_ + "/lab pvmove -i 30 pv2 pv4 " +
                    ">/dev/null 2>&1 & sleep 2; kill -9 $!; wait $! 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()) == -1, false);
  Outcome mid = Lvlab("lvs -a -o lv_name,lv_attr --noheadings");
  EXPECT_NE(mid.out.find("[pvmove0]"), std::string::npos) << mid.out << mid.err;
  Outcome resume = Lvlab("pvmove -i 1");
  ASSERT_EQ(resume.code, 0) << resume.out << resume.err;
  EXPECT_NE(resume.out.find("pv2: Moved: 100.00%"), std::string::npos) << resume.out;
  EXPECT_EQ(Bytes(dir_ + "/lab/pvs/pv4.img", 1 << 20, 40 << 20),
            Bytes(dir_ + "/lab/pvs/pv2.img", 1 << 20, 40 << 20));
  // -b returns at once; the next command waits for the lab and sees the result.
  Outcome bg = Lvlab("pvmove -b -i 1 pv4 pv3");
  ASSERT_EQ(bg.code, 0) << bg.err;
  Outcome after = Lvlab("lvs -a -o lv_name,devices --noheadings");
  EXPECT_NE(after.out.find("pv3(0)"), std::string::npos) << after.out;
  EXPECT_EQ(after.out.find("pvmove"), std::string::npos) << after.out;
}

TEST_F(CliTest, RestoresRealLvmBackupWithCreatePvs) {
  Must("vgcfgrestore --create-pvs -f " LVLAB_FIXTURES "/testvg-ondisk-mda-lvm2.03.17.txt testvg");
  Outcome pvs = Lvlab("pvs -o pv_name,vg_name,pv_size,pe_start --units s --noheadings");
  EXPECT_NE(pvs.out.find("pv0"), std::string::npos) << pvs.out << pvs.err;
  EXPECT_NE(pvs.out.find("2048S"), std::string::npos) << pvs.out;
  Must("vgchange -ay testvg");
  Outcome t = Lvlab("dmsetup table testvg-testlv5");
  EXPECT_EQ(t.out, "0 327680 linear 7:0 83968\n327680 81920 linear 7:0 1804288\n");
}

}  // namespace
