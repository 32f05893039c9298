// fio's own crc32c verification through live mode: during a pvmove, after
// an aborted --atomic pvmove, after a power cut that loses nothing, after
// the daemon is killed mid-pvmove and the lab remounted, and with four jobs
// on two LVs during a move. Label `mount`; skipped (saying why) without
// /dev/fuse or fio.
#include <cstdlib>
#include <string>

#include "tools/mount_test_util.h"

namespace lvlab::testing {
namespace {

class FioTest : public MountTest {
 protected:
  void SetUp() override {
    MountTest::SetUp();
    if (IsSkipped()) return;
    if (Sh("command -v fio >/dev/null") != 0) GTEST_SKIP() << "fio is not installed";
    Must("pvcreate pv1 --size 256M");
    Must("pvcreate pv2 --size 256M");
    Must("vgcreate -s 4M vg0 pv1 pv2");
    Must("lvcreate -L 128M -n lv0 vg0 pv1");
    Mount();
  }
  // Runs a job file of scenarios/fio on vg/lv; returns fio's exit status.
  int Fio(const std::string& job, const std::string& vg_lv, const std::string& extra = "",
          int seconds = 300) {
    const std::string log = dir_ + "/fio.log";
    const int rc = Sh("LVLAB_LV=" + Lv(vg_lv) + " RUNTIME=10 timeout -k 5 " +
                      std::to_string(seconds) + " fio --output=" + log + " " + extra + " " +
                      LVLAB_FIO_DIR + "/" + job);
    last_log_ = Slurp(log);
    return rc;
  }
  void WaitForMoves(int seconds = 240) {
    for (int t = 0; t < seconds * 10; ++t) {
      Outcome lvs = Lvlab("lvs -a -o lv_name --noheadings");
      if (lvs.code == 0 && lvs.out.find("pvmove") == std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "pvmove did not finish within " << seconds << " s";
  }
  std::string Devices() { return Lvlab("lvs -o devices --noheadings vg0/lv0").out; }

  std::string last_log_;
};

TEST_F(FioTest, VerifyWhileAPvmoveRuns) {
  ASSERT_EQ(Fio("verify-write.fio", "vg0/lv0", "--do_verify=0"), 0) << last_log_;
  Must("pvmove -b -i 1 pv1 pv2");
  // Writes and then verifies everything while the mirror copies underneath.
  ASSERT_EQ(Fio("verify-write.fio", "vg0/lv0", "--randseed=7"), 0) << last_log_;
  WaitForMoves();
  EXPECT_NE(Devices().find("pv2"), std::string::npos);
  EXPECT_EQ(Fio("verify-write.fio", "vg0/lv0", "--randseed=7 --verify_only"), 0) << last_log_;
}

TEST_F(FioTest, VerifyAfterAnAbortedAtomicPvmove) {
  ASSERT_EQ(Fio("verify-write.fio", "vg0/lv0", "--do_verify=0"), 0) << last_log_;
  Must("pvmove -b -i 1 --atomic pv1 pv2");
  Must("pvmove --abort");
  WaitForMoves();
  EXPECT_NE(Devices().find("pv1"), std::string::npos) << "an aborted --atomic move stays";
  EXPECT_EQ(Fio("verify-write.fio", "vg0/lv0", "--verify_only"), 0) << last_log_;
}

TEST_F(FioTest, FsyncedDataSurvivesAPowerCutThatLosesNothing) {
  ASSERT_EQ(Fio("verify-write.fio", "vg0/lv0", "--do_verify=0"), 0) << last_log_;
  Must("crash --lose none");
  Must("vgchange -ay vg0");
  EXPECT_EQ(Fio("verify-write.fio", "vg0/lv0", "--verify_only"), 0) << last_log_;
}

TEST_F(FioTest, DaemonKilledMidPvmoveRemountedResumedVerified) {
  ASSERT_EQ(Fio("verify-write.fio", "vg0/lv0", "--do_verify=0"), 0) << last_log_;
  Must("pvmove -b -i 1 pv1 pv2");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  KillDaemon(SIGKILL);
  Outcome again = Lvlab("mount " + mnt_, 60);
  ASSERT_EQ(again.code, 0) << again.err;
  WaitForMoves();  // the boot resumed the unfinished move
  EXPECT_NE(Devices().find("pv2"), std::string::npos) << Devices();
  EXPECT_EQ(Devices().find("pv1"), std::string::npos) << Devices();
  EXPECT_EQ(Fio("verify-write.fio", "vg0/lv0", "--verify_only"), 0) << last_log_;
}

TEST_F(FioTest, FourJobsOnTwoLvsDuringAMove) {
  Must("lvcreate -L 64M -n lv1 vg0 pv1");
  Must("pvmove -b -i 1 pv1 pv2");
  const std::string jobs = "--numjobs=2 --size=32M --offset_increment=32M";
  const std::string log0 = dir_ + "/a.log", log1 = dir_ + "/b.log";
  const std::string cmd0 = "LVLAB_LV=" + Lv("vg0/lv0") + " timeout -k 5 300 fio --output=" +
                           log0 + " " + jobs + " " + LVLAB_FIO_DIR + "/verify-write.fio";
  const std::string cmd1 = "LVLAB_LV=" + Lv("vg0/lv1") + " timeout -k 5 300 fio --output=" +
                           log1 + " " + jobs + " " + LVLAB_FIO_DIR + "/verify-write.fio";
  const int rc = Sh("(" + cmd0 + ") & a=$!; (" + cmd1 + ") & b=$!; wait $a; ra=$?; wait $b; " +
                    "rb=$?; exit $((ra | rb))");
  EXPECT_EQ(rc, 0) << Slurp(log0) << Slurp(log1);
  WaitForMoves();
}

}  // namespace
}  // namespace lvlab::testing
