// A power cut at every I/O of a snapshot merge: after a reboot, the merge
// resumes from the COW store and the origin ends as the snapshot was, every
// sector checked by the Oracle. With the merge-clear-before-flush bug some
// cut loses data, and the same check sees it.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sim/base/rng.h"
#include "sim/check/check_test_util.h"
#include "sim/check/sector_format.h"

namespace lvlab::check {
namespace {

constexpr uint64_t kLen = 2048;  // origin sectors
constexpr uint64_t kCow = 1024;  // COW sectors
constexpr char kLv[] = "vg-lv";

// One boot of the machine: a scheduler and a kernel over the same disks.
struct Boot {
  explicit Boot(const std::vector<store::Disk*>& disks) {
    for (size_t i = 0; i < disks.size(); ++i) {
      kernel.AddDisk(disks[i], static_cast<uint32_t>(i + 1));
    }
  }
  void Up(const std::string& name, const std::string& table) {
    Status st = kernel.Create(name, "").status();
    if (st.ok()) st = kernel.Load(name, table);
    if (st.ok()) st = kernel.Resume(name);
    ASSERT_TRUE(st.ok()) << name << ": " << st.message();
  }
  Status Io(const std::string& dev, engine::Bio::Op op, uint64_t sector, uint64_t n,
            uint8_t* data) {
    std::optional<Status> r;
    kernel.Find(dev)->Submit(engine::Bio{op, sector, n, 0, data, [&r](Status st) { r = st; }});
    sched.RunUntil([&] { return r.has_value(); });
    return r.value_or(IOError("never completed"));
  }
  // Writes n sectors of `token` at `sector` of `dev`.
  void Write(const std::string& dev, uint64_t sector, uint64_t n, uint64_t token) {
    std::vector<uint8_t> buf(n * kSectorSize);
    for (uint64_t i = 0; i < n; ++i) FillSector(&buf[i * kSectorSize], token, sector + i);
    ASSERT_TRUE(Io(dev, engine::Bio::Op::kWrite, sector, n, buf.data()).ok());
  }
  void Flush(const std::string& dev) {
    ASSERT_TRUE(Io(dev, engine::Bio::Op::kFlush, 0, 0, nullptr).ok());
  }
  bool MergeDone() {
    auto st = kernel.StatusLines(kLv);
    return st.ok() && st->ends_with(" 16/1024 16");
  }

  engine::Scheduler sched;
  engine::Trace trace{&sched};
  dm::Kernel kernel{sched, &trace};
};

class SnapshotMergeCrashTest : public SeededTest {
 protected:
  // Runs the merge, cuts the power after `cut_after` disk I/Os of it,
  // reboots and finishes the merge. Returns false when the merge ended
  // before that many I/Os; *check gets the Oracle's verdict.
  bool CutAt(uint64_t cut_after, bool bug, Status* check) {
    std::vector<std::unique_ptr<store::Disk>> disks;
    for (uint64_t size : {kLen, kCow}) {
      disks.push_back(std::make_unique<store::Disk>("pv" + std::to_string(disks.size() + 1),
                                                    store::NewMemImage(size * kSectorSize),
                                                    store::DiskOptions{}));
    }
    std::vector<store::Disk*> raw = {disks[0].get(), disks[1].get()};
    Oracle oracle(seed_);
    oracle.Track(kLv, kLen);  // what the snapshot shows: the origin after the merge
    Rng rng = Rng(seed_).Derive("merge-crash");
    {
      Boot b(raw);
      b.kernel.bugs().merge_clear_before_flush = bug;
      b.Up("vg-lv-real", "0 2048 linear 7:1 0");
      for (uint64_t s = 0; s < kLen; s += 64) {
        const uint64_t t = oracle.NextToken();
        b.Write("vg-lv-real", s, 64, t);
        oracle.WriteCompleted(kLv, s, 64, {t}, false, Status::Ok());
      }
      b.Flush("vg-lv-real");
      oracle.FlushCompleted(kLv);
      b.Up("vg-snap-cow", "0 1024 linear 7:2 0");
      b.Up("vg-snap", "0 2048 snapshot vg-lv-real vg-snap-cow P 8");
      b.Up(kLv, "0 2048 snapshot-origin vg-lv-real");
      // Origin writes (the snapshot keeps the old data) and snapshot writes
      // (the origin takes them at the merge), all flushed.
      for (int i = 0; i < 40; ++i) {
        const uint64_t chunk = rng.Uniform(kLen / 8);
        b.Write(kLv, chunk * 8 + rng.Uniform(4), 4, oracle.NextToken());
      }
      for (int i = 0; i < 8; ++i) {
        const uint64_t s = rng.Uniform(kLen - 8);
        const uint64_t t = oracle.NextToken();
        b.Write("vg-snap", s, 8, t);
        oracle.WriteCompleted(kLv, s, 8, {t}, false, Status::Ok());
      }
      b.Flush(kLv);
      b.Flush("vg-snap");
      oracle.FlushCompleted(kLv);
      // lvconvert --merge: the snapshot suspended, the origin reloaded.
      EXPECT_TRUE(b.kernel.Suspend("vg-snap").ok());
      EXPECT_TRUE(b.kernel.Load(kLv, "0 2048 snapshot-merge vg-lv-real vg-snap-cow P 8").ok());
      uint64_t ios = 0;
      b.kernel.set_trace_io(true);
      b.trace.Subscribe([&ios](std::string_view type, const std::string&) {
        if (type == "bio-complete") ++ios;
      });
      EXPECT_TRUE(b.kernel.Resume(kLv).ok());
      b.sched.RunUntil([&] { return ios >= cut_after || b.MergeDone(); });
      if (ios < cut_after) return false;
      for (store::Disk* d : raw) d->Crash(store::LossPolicy::kRandom, rng);
      oracle.PowerLoss();
    }
    Boot b(raw);  // reboot: LVM activates the merging origin again
    b.Up("vg-lv-real", "0 2048 linear 7:1 0");
    b.Up("vg-snap-cow", "0 1024 linear 7:2 0");
    b.Up(kLv, "0 2048 snapshot-merge vg-lv-real vg-snap-cow P 8");
    b.sched.RunUntilIdle();
    EXPECT_TRUE(b.MergeDone()) << "cut after " << cut_after << ": " << *b.kernel.StatusLines(kLv);
    *check =
        oracle.CheckAll([&b](const std::string& lv, uint64_t sector, uint64_t n, uint8_t* out) {
          return b.Io(lv, engine::Bio::Op::kRead, sector, n, out);
        });
    return true;
  }
};

TEST_F(SnapshotMergeCrashTest, APowerCutAtAnyMergeIoLosesNothing) {
  uint64_t cuts = 0;
  for (uint64_t cut = 1;; ++cut) {
    Status check;
    if (!CutAt(cut, /*bug=*/false, &check)) break;
    ++cuts;
    EXPECT_TRUE(check.ok()) << "power cut after merge I/O " << cut << ": " << check.message();
  }
  EXPECT_GT(cuts, 20u) << "the merge did too little I/O to test";
}

TEST_F(SnapshotMergeCrashTest, ClearingBeforeTheOriginFlushIsCaught) {
  uint64_t caught = 0;
  for (uint64_t cut = 1;; ++cut) {
    Status check;
    if (!CutAt(cut, /*bug=*/true, &check)) break;
    if (!check.ok()) ++caught;
  }
  EXPECT_GT(caught, 0u) << "merge-clear-before-flush lost nothing at any power cut";
}

}  // namespace
}  // namespace lvlab::check
