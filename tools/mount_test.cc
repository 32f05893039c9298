// Live mode through the lvlab binary: mount, files following activation,
// block-device I/O semantics, refused operations, the control socket, a
// second daemon, SIGKILL, power cuts and the PV drives' I/O counters.
// Label `mount`.
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <future>
#include <sstream>
#include <thread>
#include <vector>

#include "tools/mount_test_util.h"

namespace lvlab::testing {
namespace {

constexpr size_t kMiB = 1 << 20;

std::vector<char> Pattern(size_t n, char seed) {
  std::vector<char> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<char>(seed + i * 7 + i / 4096);
  return v;
}

// An aligned buffer for O_DIRECT.
struct Aligned {
  explicit Aligned(size_t n) : size(n), p(static_cast<char*>(std::aligned_alloc(4096, n))) {
    std::memset(p, 0, n);
  }
  ~Aligned() { std::free(p); }
  size_t size;
  char* p;
};

class LiveTest : public MountTest {
 protected:
  void SetUp() override {
    MountTest::SetUp();
    if (IsSkipped()) return;
    Must("pvcreate pv1 --size 64M");
    Must("pvcreate pv2 --size 64M");
    Must("vgcreate -s 4M vg0 pv1 pv2");
    Must("lvcreate -L 16M -n lv0 vg0 pv1");
  }

  // Writes Pattern(kMiB, seed) at the start of vg0/lv0 and fsyncs it.
  void WriteSynced(char seed) {
    const int fd = open(Lv("vg0/lv0").c_str(), O_RDWR | O_DIRECT);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    Aligned buf(kMiB);
    std::vector<char> want = Pattern(kMiB, seed);
    std::memcpy(buf.p, want.data(), kMiB);
    ASSERT_EQ(pwrite(fd, buf.p, kMiB, 0), static_cast<ssize_t>(kMiB));
    ASSERT_EQ(fsync(fd), 0);
    close(fd);
  }

  // Every kind of write to vg0/lv0 (large and small O_DIRECT, unaligned
  // buffered, zero range, discard), each checked against a model of the LV
  // by O_DIRECT reads, before and after an fsync.
  void EveryWriteKindLands() {
    constexpr size_t kSize = 16 << 20;
    std::vector<char> model(kSize, 0);
    const int fd = open(Lv("vg0/lv0").c_str(), O_RDWR | O_DIRECT);
    ASSERT_GE(fd, 0) << std::strerror(errno);
    auto check = [&](const char* after) {
      Aligned got(kSize);
      ASSERT_EQ(pread(fd, got.p, kSize, 0), static_cast<ssize_t>(kSize)) << after;
      for (size_t at = 0; at < kSize; at += 4096) {
        ASSERT_EQ(std::memcmp(got.p + at, model.data() + at, 4096), 0) << after << ": at " << at;
      }
    };
    auto write_direct = [&](size_t at, size_t n, char seed) {
      Aligned buf(n);
      std::vector<char> p = Pattern(n, seed);
      std::memcpy(buf.p, p.data(), n);
      ASSERT_EQ(pwrite(fd, buf.p, n, static_cast<off_t>(at)), static_cast<ssize_t>(n));
      std::copy(p.begin(), p.end(), model.begin() + static_cast<ptrdiff_t>(at));
    };
    write_direct(0, kSize, 1);         // 1 MiB requests
    write_direct(3 * kMiB, 65536, 2);  // one small request
    write_direct(4 * kMiB + 512, 512, 3);
    check("direct writes");
    const int bfd = open(Lv("vg0/lv0").c_str(), O_RDWR);
    ASSERT_GE(bfd, 0);
    const char msg[] = "hello, logical volume";
    ASSERT_EQ(pwrite(bfd, msg, sizeof msg, 5 * kMiB + 1001), static_cast<ssize_t>(sizeof msg));
    std::copy(msg, msg + sizeof msg, model.begin() + 5 * kMiB + 1001);
    ASSERT_EQ(fsync(bfd), 0);
    close(bfd);
    check("an unaligned buffered write");
    ASSERT_EQ(
        fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 6 * kMiB + 512, 2 * kMiB + 1024),
        0)
        << std::strerror(errno);
    std::fill_n(model.begin() + 6 * kMiB + 512, 2 * kMiB + 1024, 0);
    ASSERT_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 10 * kMiB, 65536), 0)
        << std::strerror(errno);
    std::fill_n(model.begin() + 10 * kMiB, 65536, 0);
    check("zero range and discard");
    ASSERT_EQ(fsync(fd), 0);
    ASSERT_EQ(fdatasync(fd), 0);
    check("fsync");
    close(fd);
  }

  // Whether vg0/lv0's file goes within 5 s (an armed cut's reboot).
  bool WaitLvGone() {
    struct stat st {};
    for (int i = 0; i < 250; ++i) {
      if (stat(Lv("vg0/lv0").c_str(), &st) != 0) return true;
      usleep(20'000);
    }
    return false;
  }
};

TEST_F(LiveTest, FilesFollowActivationAndCommandsGoThroughTheDaemon) {
  Mount();
  struct stat st {};
  ASSERT_EQ(stat(Lv("vg0/lv0").c_str(), &st), 0) << std::strerror(errno);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_uid, getuid());
  EXPECT_EQ(st.st_size, 16 << 20);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/lab/run/control"));
  EXPECT_EQ(std::filesystem::status(dir_ + "/lab/run/control").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  // A command through the socket acts on the daemon's kernel.
  Must("lvcreate -L 8M -n lv1 vg0 pv2");
  ASSERT_EQ(stat(Lv("vg0/lv1").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 8 << 20);
  Outcome ls = Lvlab("dmsetup ls");
  EXPECT_EQ(ls.code, 0);
  EXPECT_NE(ls.out.find("vg0-lv1"), std::string::npos) << ls.out;
  Must("lvchange -an vg0/lv1");
  EXPECT_NE(stat(Lv("vg0/lv1").c_str(), &st), 0);
  EXPECT_EQ(errno, ENOENT);
  Must("lvchange -ay vg0/lv1");
  EXPECT_EQ(stat(Lv("vg0/lv1").c_str(), &st), 0);

  // Same exit codes and messages as without a daemon.
  Outcome bad = Lvlab("lvcreate -L 8M vg0");
  EXPECT_EQ(bad.code, 3) << bad.out << bad.err;
  Outcome failed = Lvlab("lvchange -ay vg0/nosuch");
  EXPECT_EQ(failed.code, 5);
  EXPECT_NE(failed.err.find("nosuch"), std::string::npos) << failed.err;

  Must("umount " + mnt_);
  EXPECT_NE(stat(Lv("vg0/lv0").c_str(), &st), 0);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/lab/run/pid"));
  // The daemon saved its devices: lv1 is still active without it.
  Outcome after = Lvlab("dmsetup ls");
  EXPECT_NE(after.out.find("vg0-lv1"), std::string::npos) << after.out << after.err;
}

TEST_F(LiveTest, ReadWriteFsyncDiscardAsABlockDevice) {
  Mount();
  const int fd = open(Lv("vg0/lv0").c_str(), O_RDWR | O_DIRECT);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  std::vector<char> want = Pattern(kMiB, 3);
  Aligned buf(kMiB);
  std::memcpy(buf.p, want.data(), kMiB);
  ASSERT_EQ(pwrite(fd, buf.p, kMiB, 4 * kMiB), static_cast<ssize_t>(kMiB));
  EXPECT_EQ(fsync(fd), 0);
  EXPECT_EQ(fdatasync(fd), 0);
  Aligned got(kMiB);
  ASSERT_EQ(pread(fd, got.p, kMiB, 4 * kMiB), static_cast<ssize_t>(kMiB));
  EXPECT_EQ(std::memcmp(got.p, want.data(), kMiB), 0);

  // O_DIRECT wants 512-byte alignment of offsets and lengths.
  errno = 0;
  EXPECT_EQ(pread(fd, got.p, 4096, 100), -1);
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_EQ(pwrite(fd, buf.p, 100, 0), -1);
  EXPECT_EQ(errno, EINVAL);

  // The end of the LV: reads stop, writes find no space.
  const off_t end = 16 << 20;
  EXPECT_EQ(pread(fd, got.p, 4096, end), 0);
  EXPECT_EQ(pread(fd, got.p, 8192, end - 4096), 4096);
  errno = 0;
  EXPECT_EQ(pwrite(fd, buf.p, 4096, end), -1);
  EXPECT_EQ(errno, ENOSPC);
  EXPECT_EQ(pwrite(fd, buf.p, 8192, end - 4096), 4096);

  // Punch hole = discard: zeros afterwards; misaligned or past the end: EINVAL.
  ASSERT_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4 * kMiB, 65536), 0)
      << std::strerror(errno);
  ASSERT_EQ(pread(fd, got.p, 65536 + 4096, 4 * kMiB), 65536 + 4096);
  EXPECT_EQ(std::vector<char>(got.p, got.p + 65536), std::vector<char>(65536, 0));
  EXPECT_EQ(std::memcmp(got.p + 65536, want.data() + 65536, 4096), 0);
  errno = 0;
  EXPECT_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 512), -1);
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_EQ(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, end - 512, 1024), -1);
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_EQ(fallocate(fd, 0, 0, 4096), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  close(fd);

  // Buffered and unaligned: read-modify-write of whole sectors.
  const int bfd = open(Lv("vg0/lv0").c_str(), O_RDWR);
  ASSERT_GE(bfd, 0);
  const char msg[] = "hello, logical volume";
  ASSERT_EQ(pwrite(bfd, msg, sizeof msg, 5 * kMiB + 1001), static_cast<ssize_t>(sizeof msg));
  ASSERT_EQ(fsync(bfd), 0);
  close(bfd);
  const int dfd = open(Lv("vg0/lv0").c_str(), O_RDONLY | O_DIRECT);
  ASSERT_GE(dfd, 0);
  ASSERT_EQ(pread(dfd, got.p, 4096, 5 * kMiB), 4096);
  EXPECT_EQ(std::memcmp(got.p + 1001, msg, sizeof msg), 0);
  EXPECT_EQ(std::memcmp(got.p, want.data() + kMiB - kMiB, 0), 0);
  close(dfd);
}

TEST_F(LiveTest, EveryWriteKindLands) {
  Mount();
  EveryWriteKindLands();
}

// The same with every I/O a bio on the engine thread (the daemon's direct
// I/O off): the answers come from the engine thread.
TEST_F(LiveTest, EveryWriteKindLandsThroughTheEngine) {
  setenv("LVLAB_NO_DIRECT_IO", "1", 1);
  Mount();
  unsetenv("LVLAB_NO_DIRECT_IO");
  EveryWriteKindLands();
}

// A suspended LV holds its own I/O, not the daemon's workers (there are as
// many as cores): another LV is read, written and flushed meanwhile, and
// the held writes land after the resume.
TEST_F(LiveTest, ASuspendedLvHoldsItsOwnIoNotTheWorkers) {
  Must("lvcreate -L 8M -n lv1 vg0 pv2");
  Mount();
  Must("dmsetup suspend vg0-lv0");
  const unsigned cores = std::max(2u, std::thread::hardware_concurrency());
  const size_t writers = std::min<size_t>(4 * cores, 16);
  constexpr size_t kWrite = 1 << 20;
  std::atomic<size_t> landed{0};
  std::vector<std::thread> held;
  for (size_t i = 0; i < writers; ++i) {
    held.emplace_back([&, i] {
      const int fd = open(Lv("vg0/lv0").c_str(), O_RDWR | O_DIRECT);
      if (fd < 0) return;
      Aligned buf(kWrite);
      std::vector<char> p = Pattern(kWrite, static_cast<char>(50 + i));
      std::memcpy(buf.p, p.data(), kWrite);
      if (pwrite(fd, buf.p, kWrite, static_cast<off_t>(i * kWrite)) ==
          static_cast<ssize_t>(kWrite)) {
        ++landed;
      }
      close(fd);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let them queue
  auto other = std::async(std::launch::async, [&] {
    const int fd = open(Lv("vg0/lv1").c_str(), O_RDWR | O_DIRECT);
    if (fd < 0) return std::string("open: ") + std::strerror(errno);
    Aligned buf(kMiB), got(kMiB);
    std::vector<char> p = Pattern(kMiB, 7);
    std::memcpy(buf.p, p.data(), kMiB);
    std::string err;
    if (pwrite(fd, buf.p, kMiB, 0) != static_cast<ssize_t>(kMiB)) err = "pwrite failed";
    if (err.empty() && fsync(fd) != 0) err = "fsync failed";
    if (err.empty() && pread(fd, got.p, kMiB, 0) != static_cast<ssize_t>(kMiB))
      err = "pread failed";
    if (err.empty() && std::memcmp(got.p, p.data(), kMiB) != 0) err = "read back other data";
    close(fd);
    return err;
  });
  const bool served = other.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  EXPECT_TRUE(served) << "vg0/lv1's I/O waited for the suspended vg0/lv0";
  EXPECT_EQ(landed.load(), 0u) << "a write to the suspended LV completed";
  Must("dmsetup resume vg0-lv0");
  for (std::thread& t : held) t.join();
  EXPECT_EQ(other.get(), "");
  EXPECT_EQ(landed.load(), writers);
  const int fd = open(Lv("vg0/lv0").c_str(), O_RDONLY | O_DIRECT);
  ASSERT_GE(fd, 0);
  Aligned got(kWrite);
  for (size_t i = 0; i < writers; ++i) {
    ASSERT_EQ(pread(fd, got.p, kWrite, static_cast<off_t>(i * kWrite)),
              static_cast<ssize_t>(kWrite));
    std::vector<char> p = Pattern(kWrite, static_cast<char>(50 + i));
    EXPECT_EQ(std::memcmp(got.p, p.data(), kWrite), 0) << "MiB " << i;
  }
  close(fd);
}

TEST_F(LiveTest, RefusedOperationsGiveTheirErrno) {
  Mount();
  const std::string lv = Lv("vg0/lv0");
  errno = 0;
  EXPECT_EQ(open((mnt_ + "/vg0/new").c_str(), O_CREAT | O_RDWR, 0600), -1);
  EXPECT_EQ(errno, EPERM);
  errno = 0;
  EXPECT_EQ(unlink(lv.c_str()), -1);
  EXPECT_EQ(errno, EPERM);
  errno = 0;
  EXPECT_EQ(rename(lv.c_str(), (mnt_ + "/vg0/other").c_str()), -1);
  EXPECT_EQ(errno, EPERM);
  errno = 0;
  EXPECT_EQ(mkdir((mnt_ + "/vg1").c_str(), 0755), -1);
  EXPECT_EQ(errno, EPERM);
  errno = 0;
  EXPECT_EQ(rmdir((mnt_ + "/vg0").c_str()), -1);
  EXPECT_EQ(errno, EPERM);
  errno = 0;
  EXPECT_EQ(truncate(lv.c_str(), 4096), -1);
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_EQ(chmod(lv.c_str(), 0644), -1);
  EXPECT_EQ(errno, EPERM);
  errno = 0;
  EXPECT_EQ(setxattr(lv.c_str(), "user.x", "1", 1, 0), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  errno = 0;
  EXPECT_EQ(symlink("x", (mnt_ + "/vg0/link").c_str()), -1);
  EXPECT_EQ(errno, EPERM);
  // O_TRUNC is ignored, as on a block device (dd without conv=notrunc).
  const int fd = open(lv.c_str(), O_WRONLY | O_TRUNC);
  EXPECT_GE(fd, 0) << std::strerror(errno);
  if (fd >= 0) close(fd);
  struct stat st {};
  ASSERT_EQ(stat(lv.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 16 << 20);
  // The daemon still serves.
  Must("lvs");
}

// An open file holds the LV's device open, as an opener of a block device:
// lvs shows it and LVM refuses to deactivate it until the file is closed.
TEST_F(LiveTest, AnOpenFileHoldsTheDeviceOpen) {
  Mount();
  auto attr = [&] { return Lvlab("lvs --noheadings -o lv_attr vg0/lv0").out; };
  EXPECT_NE(attr().find("-wi-a-----"), std::string::npos) << attr();
  const int fd = open(Lv("vg0/lv0").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  EXPECT_NE(attr().find("-wi-ao----"), std::string::npos) << attr();
  Outcome busy = Lvlab("lvchange -an vg0/lv0");
  EXPECT_EQ(busy.code, 5);
  EXPECT_NE(busy.err.find("Logical volume vg0/lv0 in use."), std::string::npos) << busy.err;
  struct stat st {};
  EXPECT_EQ(stat(Lv("vg0/lv0").c_str(), &st), 0);  // still active
  close(fd);
  // FUSE sends the release after close(2) returns: wait for it to land.
  for (int i = 0; i < 100 && attr().find("-wi-a-----") == std::string::npos; ++i) {
    usleep(20'000);
  }
  EXPECT_NE(attr().find("-wi-a-----"), std::string::npos) << attr();
  Must("lvchange -an vg0/lv0");
  EXPECT_NE(stat(Lv("vg0/lv0").c_str(), &st), 0);
}

TEST_F(LiveTest, SecondDaemonIsRefused) {
  Mount();
  const std::string other = dir_ + "/mnt2";
  std::filesystem::create_directories(other);
  Outcome second = Lvlab("mount " + other, 30);
  EXPECT_EQ(second.code, 5);
  EXPECT_NE(second.err.find("already served by a live daemon"), std::string::npos)
      << second.err;
  EXPECT_NE(second.err.find(mnt_), std::string::npos) << second.err;
  struct stat st {};
  EXPECT_EQ(stat(Lv("vg0/lv0").c_str(), &st), 0);  // the first one still serves
}

TEST_F(LiveTest, SigkillLeavesStaleFilesTheNextMountRecovers) {
  Mount();
  WriteSynced(9);
  const pid_t pid = DaemonPid();
  ASSERT_GT(pid, 0);
  KillDaemon(SIGKILL);
  ASSERT_FALSE(Running(pid));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/lab/run/pid"));
  Outcome again = Lvlab("mount " + mnt_, 60);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.err.find("stale"), std::string::npos) << again.err;
  EXPECT_NE(DaemonPid(), pid);
  const int fd = open(Lv("vg0/lv0").c_str(), O_RDONLY | O_DIRECT);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  Aligned got(kMiB);
  ASSERT_EQ(pread(fd, got.p, kMiB, 0), static_cast<ssize_t>(kMiB));
  EXPECT_EQ(std::memcmp(got.p, Pattern(kMiB, 9).data(), kMiB), 0);
  close(fd);
}

TEST_F(LiveTest, CrashCutsPowerOpenFilesGetEioFlushedDataSurvives) {
  Mount();
  const int fd = open(Lv("vg0/lv0").c_str(), O_RDWR | O_DIRECT);
  ASSERT_GE(fd, 0);
  Aligned buf(kMiB);
  std::vector<char> synced = Pattern(kMiB, 1), unsynced = Pattern(kMiB, 2);
  std::memcpy(buf.p, synced.data(), kMiB);
  ASSERT_EQ(pwrite(fd, buf.p, kMiB, 0), static_cast<ssize_t>(kMiB));
  ASSERT_EQ(fsync(fd), 0);
  std::memcpy(buf.p, unsynced.data(), kMiB);
  ASSERT_EQ(pwrite(fd, buf.p, kMiB, 2 * kMiB), static_cast<ssize_t>(kMiB));

  Outcome crash = Lvlab("crash --lose all");
  ASSERT_EQ(crash.code, 0) << crash.err;
  EXPECT_NE(crash.out.find("Power cut (lose all)"), std::string::npos) << crash.out;
  errno = 0;
  EXPECT_EQ(pread(fd, buf.p, 4096, 0), -1);
  EXPECT_EQ(errno, EIO);
  close(fd);
  struct stat st {};
  EXPECT_NE(stat(Lv("vg0/lv0").c_str(), &st), 0);  // nothing active after the reboot

  Must("vgchange -ay vg0");
  const int again = open(Lv("vg0/lv0").c_str(), O_RDONLY | O_DIRECT);
  ASSERT_GE(again, 0) << std::strerror(errno);
  ASSERT_EQ(pread(again, buf.p, kMiB, 0), static_cast<ssize_t>(kMiB));
  EXPECT_EQ(std::memcmp(buf.p, synced.data(), kMiB), 0) << "fsynced data lost";
  ASSERT_EQ(pread(again, buf.p, kMiB, 2 * kMiB), static_cast<ssize_t>(kMiB));
  EXPECT_EQ(std::vector<char>(buf.p, buf.p + kMiB), std::vector<char>(kMiB, 0))
      << "--lose all kept an unflushed write";
  close(again);
}

// A PV's drive writes its cache back on its own thread, down to half its
// 64 MiB, once it holds more than three quarters: after 128 MiB of
// unflushed writes, a power cut
// that loses everything the caches hold still finds the oldest 64 MiB
// (written back so that the writes could go on) and never the newest 32
// MiB (the drive keeps half its cache).
TEST_F(LiveTest, TheDriveWritesBackItsOldestDataAndACrashLosesTheRest) {
  Must("pvcreate pv3 --size 132M");
  Must("vgcreate -s 4M vg1 pv3");
  Must("lvcreate -L 128M -n big vg1");
  Mount();
  const int fd = open(Lv("vg1/big").c_str(), O_RDWR | O_DIRECT);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  Aligned buf(kMiB);
  constexpr int kWrites = 128;
  for (int i = 0; i < kWrites; ++i) {
    std::memcpy(buf.p, Pattern(kMiB, static_cast<char>(i)).data(), kMiB);
    ASSERT_EQ(pwrite(fd, buf.p, kMiB, static_cast<off_t>(i * kMiB)), static_cast<ssize_t>(kMiB));
  }
  close(fd);
  Must("crash --lose all");
  Must("vgchange -ay vg1");
  const int again = open(Lv("vg1/big").c_str(), O_RDONLY | O_DIRECT);
  ASSERT_GE(again, 0) << std::strerror(errno);
  for (int i = 0; i < kWrites; ++i) {
    if (i >= 64 && i < 96) continue;  // written back or not, by timing
    ASSERT_EQ(pread(again, buf.p, kMiB, static_cast<off_t>(i * kMiB)), static_cast<ssize_t>(kMiB));
    if (i < 64) {
      EXPECT_EQ(std::memcmp(buf.p, Pattern(kMiB, static_cast<char>(i)).data(), kMiB), 0)
          << "MiB " << i << " was not written back before the cache filled";
    } else {
      EXPECT_EQ(std::vector<char>(buf.p, buf.p + kMiB), std::vector<char>(kMiB, 0))
          << "MiB " << i << " survived --lose all: the drive wrote back past half its cache";
    }
  }
  close(again);
}

TEST_F(LiveTest, ArmedCrashCutsInsideTheNextMetadataWrite) {
  Mount();
  WriteSynced(3);

  Outcome bad = Lvlab("crash --pv pv1");
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("add --during"), std::string::npos) << bad.err;
  Outcome armed = Lvlab("crash --lose all --during metadata-write --pv pv1");
  ASSERT_EQ(armed.code, 0) << armed.err;
  EXPECT_NE(armed.out.find("Power cut armed: inside the next metadata-write to pv1"),
            std::string::npos)
      << armed.out;
  struct stat st {};
  EXPECT_EQ(stat(Lv("vg0/lv0").c_str(), &st), 0) << "an armed cut waits for its write";

  // The precommit of the new LV's metadata writes to pv1: the power goes
  // there, the command fails and the machine reboots with nothing active.
  Outcome create = Lvlab("lvcreate -n lvx -L 4M vg0");
  EXPECT_NE(create.code, 0) << create.out;
  EXPECT_TRUE(WaitLvGone()) << "the machine did not reboot after the armed cut";
  Outcome lvs = Lvlab("lvs --noheadings -o lv_name vg0");
  ASSERT_EQ(lvs.code, 0) << lvs.err;
  EXPECT_EQ(lvs.out.find("lvx"), std::string::npos) << "a cut precommit committed: " << lvs.out;

  Must("vgchange -ay vg0");
  const int again = open(Lv("vg0/lv0").c_str(), O_RDONLY | O_DIRECT);
  ASSERT_GE(again, 0) << std::strerror(errno);
  Aligned got(kMiB);
  ASSERT_EQ(pread(again, got.p, kMiB, 0), static_cast<ssize_t>(kMiB));
  EXPECT_EQ(std::memcmp(got.p, Pattern(kMiB, 3).data(), kMiB), 0) << "fsynced data lost";
  close(again);
}

// The count of `type` in `lvlab events` output (TYPE COUNT lines); -1 if absent.
long EventCount(const std::string& out, const std::string& type) {
  std::stringstream lines(out);
  std::string t;
  for (long n; lines >> t >> n;) {
    if (t == type) return n;
  }
  return -1;
}

TEST_F(LiveTest, EventsCountTheDaemonsTraceAcrossReboots) {
  Outcome none = Lvlab("events");
  EXPECT_NE(none.code, 0);
  EXPECT_NE(none.err.find("no daemon is running for this lab; events are counted by a mounted "
                          "lab (lvlab mount MNT)"),
            std::string::npos)
      << none.err;
  Must("lvcreate -l 4 -n lv1 vg0 pv1:6-7 pv1:10-11");  // two segments: one checkpoint
  Mount();
  Outcome start = Lvlab("events");
  ASSERT_EQ(start.code, 0) << start.err;
  EXPECT_EQ(EventCount(start.out, "boot"), 1) << start.out;
  EXPECT_EQ(EventCount(start.out, "checkpoint"), -1) << start.out;

  Must("pvmove -i 1 -n lv1 pv1 pv2");  // foreground: answers once the move is done
  Outcome moved = Lvlab("events");
  ASSERT_EQ(moved.code, 0) << moved.err;
  EXPECT_EQ(EventCount(moved.out, "pvmove-setup"), 1) << moved.out;
  EXPECT_EQ(EventCount(moved.out, "checkpoint"), 1) << moved.out;
  EXPECT_EQ(EventCount(moved.out, "pvmove-finished"), 1) << moved.out;
  std::vector<std::string> types;
  std::stringstream lines(moved.out);
  for (std::string line; std::getline(lines, line);)
    types.push_back(line.substr(0, line.find(' ')));
  EXPECT_TRUE(std::is_sorted(types.begin(), types.end())) << moved.out;

  // A reboot makes a new System: the counts go on from where they were.
  Must("crash --lose none");
  Outcome rebooted = Lvlab("events");
  ASSERT_EQ(rebooted.code, 0) << rebooted.err;
  EXPECT_EQ(EventCount(rebooted.out, "boot"), 2) << rebooted.out;
  EXPECT_EQ(EventCount(rebooted.out, "power-cut"), 1) << rebooted.out;
  EXPECT_EQ(EventCount(rebooted.out, "checkpoint"), 1) << rebooted.out;
  EXPECT_EQ(EventCount(rebooted.out, "pvmove-finished"), 1) << rebooted.out;
}

// One drive counter of `pv` (lvlab pvs -o FIELD), or -1 when pvs fails.
long long Counter(Outcome o) {
  if (o.code != 0) return -1;
  return std::strtoll(o.out.c_str(), nullptr, 10);
}

TEST_F(LiveTest, DriveCountersCountTheMountsWritesSinceTheLastBoot) {
  auto counter = [&](const std::string& pv, const std::string& field) {
    Outcome o = Lvlab("pvs --noheadings -o " + field + " " + pv);
    EXPECT_EQ(o.code, 0) << field << " of " << pv << ": " << o.err;
    return Counter(o);
  };
  // Without a daemon no drive outlives a command: refused, saying what to do.
  Outcome refused = Lvlab("pvs -o pv_name,io_writes pv1");
  EXPECT_NE(refused.code, 0);
  EXPECT_NE(refused.err.find("pv1: io_writes counts the PV drive's I/O"), std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("lvlab mount"), std::string::npos) << refused.err;

  Mount();
  const long long writes = counter("pv1", "io_writes");
  const long long bytes = counter("pv1", "io_bytes_written");
  const long long flushes = counter("pv1", "io_flushes");
  const long long other = counter("pv2", "io_bytes_written");
  ASSERT_GE(writes, 0);
  WriteSynced(4);  // 1 MiB to lv0 (on pv1) through the mount, fsynced
  EXPECT_GT(counter("pv1", "io_writes"), writes);
  EXPECT_GE(counter("pv1", "io_bytes_written"), bytes + static_cast<long long>(kMiB));
  EXPECT_GT(counter("pv1", "io_flushes"), flushes);
  EXPECT_EQ(counter("pv2", "io_bytes_written"), other) << "lv0 has nothing on pv2";
  Outcome both = Lvlab("pvs --noheadings -o pv_name,io_reads,io_discards");
  EXPECT_EQ(both.code, 0) << both.err;
  EXPECT_NE(both.out.find("pv2"), std::string::npos) << both.out;

  // A reboot starts new drives: the counters begin again from the boot.
  Must("crash --lose none");
  EXPECT_LT(counter("pv1", "io_bytes_written"), static_cast<long long>(kMiB));
}

TEST_F(LiveTest, ArmedCrashCutsAfterSoManyWrites) {
  Mount();
  Outcome bad = Lvlab("crash --writes 3 --during any-write");
  EXPECT_EQ(bad.code, 3) << bad.out << bad.err;
  Outcome armed = Lvlab("crash --lose all --writes 4");
  ASSERT_EQ(armed.code, 0) << armed.err;
  EXPECT_NE(armed.out.find("Power cut armed: inside disk write or flush number 5 from now"),
            std::string::npos)
      << armed.out;

  const int fd = open(Lv("vg0/lv0").c_str(), O_RDWR | O_DIRECT);
  ASSERT_GE(fd, 0);
  Aligned buf(4096);
  // An idle machine writes nothing itself: the first writes pass, then one
  // of the next few (or their flush) finds the power off.
  ASSERT_EQ(pwrite(fd, buf.p, 4096, 0), 4096) << std::strerror(errno);
  ASSERT_EQ(pwrite(fd, buf.p, 4096, 4096), 4096) << std::strerror(errno);
  int failed_at = -1;
  for (int i = 2; i < 20 && failed_at < 0; ++i) {
    if (pwrite(fd, buf.p, 4096, i * 4096) != 4096 || fsync(fd) != 0) failed_at = i;
  }
  close(fd);
  EXPECT_GE(failed_at, 2) << "no write failed: the armed cut never came";
  EXPECT_TRUE(WaitLvGone()) << "the machine did not reboot after the armed cut";
  Outcome lvs = Lvlab("lvs --noheadings -o lv_attr vg0/lv0");
  ASSERT_EQ(lvs.code, 0) << lvs.err;
  EXPECT_NE(lvs.out.find("-wi-------"), std::string::npos) << "still active: " << lvs.out;
  Outcome events = Lvlab("events");
  EXPECT_EQ(EventCount(events.out, "power-cut"), 1) << events.out;
  EXPECT_EQ(EventCount(events.out, "boot"), 2) << events.out;
}

TEST_F(LiveTest, PvmoveRunsInsideTheDaemonUnderIo) {
  Mount();
  const int fd = open(Lv("vg0/lv0").c_str(), O_RDWR | O_DIRECT);
  ASSERT_GE(fd, 0);
  Aligned buf(kMiB);
  for (size_t i = 0; i < 16; ++i) {
    std::vector<char> p = Pattern(kMiB, static_cast<char>(i));
    std::memcpy(buf.p, p.data(), kMiB);
    ASSERT_EQ(pwrite(fd, buf.p, kMiB, i * kMiB), static_cast<ssize_t>(kMiB));
  }
  Must("pvmove -b -i 1 pv1 pv2");
  // Rewrite half the LV while the move runs, then wait for it.
  for (size_t i = 0; i < 16; i += 2) {
    std::vector<char> p = Pattern(kMiB, static_cast<char>(100 + i));
    std::memcpy(buf.p, p.data(), kMiB);
    ASSERT_EQ(pwrite(fd, buf.p, kMiB, i * kMiB), static_cast<ssize_t>(kMiB));
  }
  for (int t = 0; t < 600; ++t) {
    Outcome lvs = Lvlab("lvs -a -o lv_name --noheadings");
    if (lvs.out.find("pvmove") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  Outcome seg = Lvlab("lvs -o devices --noheadings vg0/lv0");
  EXPECT_NE(seg.out.find("pv2"), std::string::npos) << seg.out << seg.err;
  EXPECT_EQ(seg.out.find("pv1"), std::string::npos) << seg.out;
  for (size_t i = 0; i < 16; ++i) {
    ASSERT_EQ(pread(fd, buf.p, kMiB, i * kMiB), static_cast<ssize_t>(kMiB));
    std::vector<char> p = Pattern(kMiB, static_cast<char>(i % 2 ? i : 100 + i));
    EXPECT_EQ(std::memcmp(buf.p, p.data(), kMiB), 0) << "MiB " << i;
  }
  close(fd);
}

TEST_F(LiveTest, UmountWithOpenFilesFlushesAndDetaches) {
  Mount();
  const int fd = open(Lv("vg0/lv0").c_str(), O_RDWR | O_DIRECT);
  ASSERT_GE(fd, 0);
  Aligned buf(kMiB);
  std::vector<char> want = Pattern(kMiB, 5);
  std::memcpy(buf.p, want.data(), kMiB);
  ASSERT_EQ(pwrite(fd, buf.p, kMiB, 3 * kMiB), static_cast<ssize_t>(kMiB));  // no fsync
  const pid_t pid = DaemonPid();
  Must("umount " + mnt_, 60);
  EXPECT_FALSE(Running(pid)) << "the daemon is still running";
  EXPECT_EQ(Slurp("/proc/self/mounts").find(mnt_), std::string::npos);
  errno = 0;
  EXPECT_EQ(pread(fd, buf.p, 4096, 0), -1);
  close(fd);
  // umount flushed the caches: the write is in the images, even after a
  // power cut in the next session.
  Mount();
  Must("crash --lose all");
  Must("vgchange -ay vg0");
  const int again = open(Lv("vg0/lv0").c_str(), O_RDONLY | O_DIRECT);
  ASSERT_GE(again, 0);
  ASSERT_EQ(pread(again, buf.p, kMiB, 3 * kMiB), static_cast<ssize_t>(kMiB));
  EXPECT_EQ(std::memcmp(buf.p, want.data(), kMiB), 0);
  close(again);
}

TEST_F(LiveTest, SigtermFlushesAndUnmounts) {
  Mount();
  const pid_t pid = DaemonPid();
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  for (int i = 0; i < 1000 && Running(pid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(Running(pid));
  EXPECT_EQ(Slurp("/proc/self/mounts").find(mnt_), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/lab/run/pid"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/lab/run/control"));
  Must("lvs");  // without a daemon again
}

TEST_F(LiveTest, ForegroundPvmoveStreamsProgressAndDoesNotBlockOtherCommands) {
  Mount();
  const std::string fg = dir_ + "/fg";
  Sh("(timeout -k 5 120 " + std::string(LVLAB_BINARY) + " --lab " + dir_ +
     "/lab pvmove -i 1 pv1 pv2 >" + fg + ".out 2>&1; echo $? >" + fg + ".rc) &");
  // While it waits for its poller (at least a second at -i 1), other
  // commands run and see the move.
  bool seen = false;
  for (int i = 0; i < 100 && !seen; ++i) {
    seen = Lvlab("lvs -a -o lv_name --noheadings").out.find("pvmove0") != std::string::npos;
  }
  EXPECT_TRUE(seen) << "lvs never ran while the foreground pvmove waited";
  for (int i = 0; i < 1200 && !std::filesystem::exists(fg + ".rc"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(Slurp(fg + ".rc"), "0\n") << Slurp(fg + ".out");
  EXPECT_NE(Slurp(fg + ".out").find("pv1: Moved: 100.00%"), std::string::npos)
      << Slurp(fg + ".out");
  Outcome seg = Lvlab("lvs -o devices --noheadings vg0/lv0");
  EXPECT_NE(seg.out.find("pv2"), std::string::npos) << seg.out;
}

}  // namespace
}  // namespace lvlab::testing
