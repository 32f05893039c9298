// The disk log across crashes (reference 1.2, 1.9 and 7): dirty regions are
// recovered after a crash under every loss policy, and after a power cut at
// any write, every region whose legs differ is marked dirty on disk, unless
// the clean_before_flush bug switch breaks the ordering.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sim/base/rng.h"
#include "sim/dm/kernel.h"
#include "sim/dm/mirror_target.h"
#include "sim/dm/test_util.h"
#include "sim/store/power_domain.h"

namespace lvlab::dm {
namespace {

constexpr uint64_t kRegion = 64;
constexpr uint64_t kRegions = 8;
constexpr uint64_t kLegSectors = kRegion * kRegions;
constexpr uint64_t kCap = 200000;  // events per run, against livelock
const char* const kTable = "0 512 mirror disk 2 7:3 64 2 7:1 0 7:2 0";

using store::LossPolicy;

// n sectors, each stamped with (tag, sector index).
std::vector<uint8_t> Pattern(uint32_t tag, uint64_t n) {
  std::vector<uint8_t> out(n * kSectorSize);
  for (uint64_t i = 0; i < n; ++i) {
    const uint64_t stamp = (uint64_t{tag} << 32) | i;
    for (uint64_t off = 0; off < kSectorSize; off += 8) {
      std::memcpy(&out[i * kSectorSize + off], &stamp, 8);
    }
  }
  return out;
}

// What the log device holds for the mirror, read straight from the disk.
struct OnDiskLog {
  bool valid = false;  // magic, version and region count as written by resume
  std::vector<bool> clean;
};

class MirrorCrashTest : public ::testing::Test {
 protected:
  // One boot of the machine: everything but the disks.
  struct Machine {
    engine::Scheduler sched;
    engine::Trace trace{&sched};
    Kernel kernel{sched, &trace};
  };

  void MakeDisks(std::shared_ptr<store::PowerDomain> power = nullptr) {
    store::DiskOptions options;
    options.model.read_latency_ns = 50'000;
    options.model.write_latency_ns = 50'000;
    for (uint64_t sectors : {kLegSectors, kLegSectors, uint64_t{8}}) {
      const std::string name = "pv" + std::to_string(disks_.size() + 1);
      disks_.push_back(
          std::make_unique<store::Disk>(name, store::NewMemImage(sectors * kSectorSize), options));
      disks_.back()->set_power(power);
    }
    // Leg 0 starts with data, so the first resync has something to copy.
    const std::vector<uint8_t> data = Pattern(1, kLegSectors);
    ASSERT_TRUE(disks_[0]->image()->Write(0, data.data(), data.size()).ok());
  }

  void Boot() {
    m_ = std::make_unique<Machine>();
    for (size_t i = 0; i < disks_.size(); ++i) {
      m_->kernel.AddDisk(disks_[i].get(), static_cast<uint32_t>(i + 1));
    }
    m_->trace.Subscribe([this](std::string_view type, const std::string& line) {
      if (type != "region-recovering") return;
      const size_t at = line.find("\"region\":");
      recovering_.insert(std::stoull(line.substr(at + 9)));
    });
  }

  // Power loss: the machine stops dead; each disk keeps what `policy` says.
  void Crash(LossPolicy log, LossPolicy leg0, LossPolicy leg1, uint64_t seed) {
    m_.reset();
    Rng rng(seed);
    disks_[0]->Crash(leg0, rng);
    disks_[1]->Crash(leg1, rng);
    disks_[2]->Crash(log, rng);
  }

  void Activate() {
    ASSERT_TRUE(m_->kernel.Create("m", "").ok());
    ASSERT_TRUE(m_->kernel.Load("m", kTable).ok());
    ASSERT_TRUE(m_->kernel.Resume("m").ok());
  }

  MirrorTarget* Mirror() {
    return dynamic_cast<MirrorTarget*>(m_->kernel.Find("m")->live_table()->front().target.get());
  }

  bool RunUntilSynced() {
    MirrorTarget* m = Mirror();
    return m_->sched.RunUntil([m] { return m->in_sync_regions() == kRegions; });
  }

  // Submits a write to the mirror and runs until it completes (or the cap).
  void WriteMirror(uint64_t sector, uint32_t tag, uint64_t n, uint32_t flags = 0) {
    auto buf = std::make_shared<std::vector<uint8_t>>(Pattern(tag, n));
    auto done = std::make_shared<bool>(false);
    m_->kernel.Resolve("m")->Submit(
        Bio{Bio::Op::kWrite, sector, n, flags, buf->data(), [buf, done](Status) { *done = true; }});
    uint64_t events = 0;
    m_->sched.RunUntil([&] { return *done || ++events > kCap; });
  }

  std::vector<uint8_t> Sectors(int disk, uint64_t sector, uint64_t n) {
    std::vector<uint8_t> out(n * kSectorSize);
    EXPECT_TRUE(disks_[disk]->Read(sector, static_cast<uint32_t>(n), out.data()).ok());
    return out;
  }

  bool LegsDiffer(uint64_t region) {
    return Sectors(0, region * kRegion, kRegion) != Sectors(1, region * kRegion, kRegion);
  }

  OnDiskLog ReadLog() {
    const std::vector<uint8_t> b = Sectors(2, 0, 3);
    OnDiskLog out;
    auto le = [&b](size_t at, int n) {
      uint64_t v = 0;
      for (int i = n - 1; i >= 0; --i) v = (v << 8) | b[at + static_cast<size_t>(i)];
      return v;
    };
    out.valid =
        le(0, 4) == kMirrorLogMagic && le(4, 4) == kMirrorLogVersion && le(8, 8) == kRegions;
    for (uint64_t r = 0; r < kRegions; ++r) out.clean.push_back((b[1024 + r / 8] >> (r % 8)) & 1);
    return out;
  }

  // Crashes with the test's loss policy, checks that `dirty` (at least) is
  // dirty on disk, reboots and checks that exactly the dirty regions are
  // recopied and the legs end identical.
  void CrashAndCheckRecovery(const std::set<uint64_t>& must_be_dirty) {
    const LossPolicy policy = policy_;
    Crash(policy, policy, policy, 42);
    const OnDiskLog log = ReadLog();
    ASSERT_TRUE(log.valid);
    std::set<uint64_t> dirty;
    for (uint64_t r = 0; r < kRegions; ++r) {
      if (!log.clean[r]) dirty.insert(r);
    }
    for (uint64_t r : must_be_dirty) EXPECT_TRUE(dirty.count(r)) << "region " << r;
    EXPECT_EQ(Violations(), "");
    recovering_.clear();
    Boot();
    Activate();
    EXPECT_EQ(Mirror()->in_sync_regions(), kRegions - dirty.size());
    ASSERT_TRUE(RunUntilSynced());
    EXPECT_EQ(recovering_, dirty);
    EXPECT_EQ(Sectors(0, 0, kLegSectors), Sectors(1, 0, kLegSectors));
    m_->sched.RunUntilIdle();
  }

  // The invariant: a region marked clean on disk has identical legs.
  std::string Violations() {
    const OnDiskLog log = ReadLog();
    std::string out;
    if (!log.valid) return out;  // no log yet: nothing is claimed clean
    for (uint64_t r = 0; r < kRegions; ++r) {
      if (log.clean[r] && LegsDiffer(r)) out += " " + std::to_string(r);
    }
    return out;
  }

  std::vector<std::unique_ptr<store::Disk>> disks_;
  std::unique_ptr<Machine> m_;
  std::set<uint64_t> recovering_;
  LossPolicy policy_ = LossPolicy::kNone;
};

class CrashPolicyTest : public MirrorCrashTest, public ::testing::WithParamInterface<LossPolicy> {
 protected:
  void SetUp() override { policy_ = GetParam(); }
};

TEST_P(CrashPolicyTest, DirtyRegionsAreRecoveredFromLegZero) {
  MakeDisks();
  Boot();
  Activate();
  ASSERT_TRUE(RunUntilSynced());
  m_->sched.RunUntilIdle();
  EXPECT_EQ(ReadLog().clean, std::vector<bool>(kRegions, true));
  // Two writes complete but nothing flushed them: the power goes before the
  // next kmirrord pass could even declare their regions clean.
  int done = 0;
  for (auto [sector, tag] : {std::pair<uint64_t, uint32_t>{1 * kRegion + 3, 11},
                             std::pair<uint64_t, uint32_t>{4 * kRegion + 60, 12}}) {
    auto buf = std::make_shared<std::vector<uint8_t>>(Pattern(tag, 8));
    m_->kernel.Resolve("m")->Submit(
        Bio{Bio::Op::kWrite, sector, 8, 0, buf->data(), [buf, &done](Status) { ++done; }});
  }
  ASSERT_TRUE(m_->sched.RunUntil([&] { return done == 2; }));
  CrashAndCheckRecovery({1, 4, 5});
  // A write in flight to the legs when the power goes.
  auto buf = std::make_shared<std::vector<uint8_t>>(Pattern(13, 16));
  m_->kernel.Resolve("m")->Submit(
      Bio{Bio::Op::kWrite, 6 * kRegion, 16, 0, buf->data(), [buf](Status) {}});
  ASSERT_TRUE(m_->sched.RunUntil([this] {
    return !Mirror()->TEST_log().IsClean(6) && m_->kernel.FindDisk(2)->in_flight() > 0;
  }));
  CrashAndCheckRecovery({6});
}

INSTANTIATE_TEST_SUITE_P(EachLossPolicy, CrashPolicyTest,
                         ::testing::Values(LossPolicy::kNone, LossPolicy::kAll,
                                           LossPolicy::kRandom),
                         [](const ::testing::TestParamInfo<LossPolicy>& p) {
                           return std::string(store::LossPolicyName(p.param));
                         });

// The power-cut sweep: cut at every write or flush of a workload (initial
// resync, writes with and without FUA and PREFLUSH, idle time for clean
// marks), then apply each combination of loss policies.
class PowerCutTest : public MirrorCrashTest {
 protected:
  void Workload() {
    Activate();
    m_->sched.RunUntilIdle(kCap);
    for (uint32_t i = 0; i < 12; ++i) {
      const uint64_t region = (i * 3) % kRegions;
      const uint32_t flags = (i % 4 == 3 ? Bio::kFua : 0) | (i % 5 == 4 ? Bio::kPreflush : 0);
      WriteMirror(region * kRegion + i, 100 + i, 8, flags);
      if (i % 3 == 2) m_->sched.RunUntilIdle(kCap);
    }
    m_->sched.RunUntilIdle(kCap);
  }

  struct Policies {
    LossPolicy log, leg0, leg1;
  };

  // Returns the cut points (as "n/policy") that broke the invariant.
  std::vector<std::string> Sweep(bool clean_before_flush) {
    MakeDisks();
    Boot();
    m_->kernel.bugs().clean_before_flush = clean_before_flush;
    auto probe = std::make_shared<store::PowerDomain>(1);
    for (auto& d : disks_) d->set_power(probe);
    Workload();
    const int64_t total = probe->writes_seen();
    EXPECT_GT(total, 50);
    const std::vector<Policies> policies = {
        {LossPolicy::kNone, LossPolicy::kNone, LossPolicy::kNone},
        {LossPolicy::kAll, LossPolicy::kAll, LossPolicy::kAll},
        {LossPolicy::kRandom, LossPolicy::kRandom, LossPolicy::kRandom},
        {LossPolicy::kNone, LossPolicy::kNone, LossPolicy::kAll},
        {LossPolicy::kNone, LossPolicy::kAll, LossPolicy::kNone},
    };
    std::vector<std::string> bad;
    for (int64_t n = 0; n <= total; ++n) {
      for (size_t p = 0; p < policies.size(); ++p) {
        disks_.clear();
        auto power = std::make_shared<store::PowerDomain>(static_cast<uint64_t>(n) * 7 + p);
        MakeDisks(power);
        Boot();
        m_->kernel.bugs().clean_before_flush = clean_before_flush;
        power->CutAfterWrites(n);
        Workload();
        power->Restore();
        Crash(policies[p].log, policies[p].leg0, policies[p].leg1, static_cast<uint64_t>(n));
        const std::string v = Violations();
        if (!v.empty()) bad.push_back(std::to_string(n) + "/" + std::to_string(p) + ":" + v);
        // The next activation resyncs what the log says is dirty; with the
        // invariant kept, that makes the legs equal.
        Boot();
        Activate();
        EXPECT_TRUE(RunUntilSynced()) << "cut " << n << " policy " << p;
        if (Sectors(0, 0, kLegSectors) != Sectors(1, 0, kLegSectors)) {
          bad.push_back(std::to_string(n) + "/" + std::to_string(p) + ": legs differ after resync");
        }
      }
    }
    return bad;
  }
};

TEST_F(PowerCutTest, EveryRegionWhoseLegsDifferIsDirtyOnDisk) {
  const std::vector<std::string> bad = Sweep(/*clean_before_flush=*/false);
  EXPECT_TRUE(bad.empty()) << bad.size() << " violations, first " << bad.front();
}

TEST_F(PowerCutTest, CleanBeforeFlushLeavesDivergedRegionsMarkedClean) {
  const std::vector<std::string> bad = Sweep(/*clean_before_flush=*/true);
  EXPECT_FALSE(bad.empty()) << "the bug switch should break the invariant at some cut";
}

TEST_F(MirrorCrashTest, TheDirtyMarkIsDurableBeforeTheDataAndCleanMarksFollowALegFlush) {
  MakeDisks();
  Boot();
  Activate();
  ASSERT_TRUE(RunUntilSynced());
  m_->sched.RunUntilIdle();
  std::vector<std::string> bios;
  m_->kernel.set_trace_io(true);
  m_->trace.Subscribe([&bios](std::string_view type, const std::string& line) {
    if (type != "bio-submit") return;
    const size_t dev = line.find("\"dev\":\"") + 7;
    const size_t op = line.find("\"op\":\"") + 6;
    bios.push_back(line.substr(dev, 3) + " " + line.substr(op, line.find('"', op) - op));
  });
  WriteMirror(2 * kRegion, 7, 8);
  m_->sched.RunUntilIdle();
  EXPECT_EQ(bios, (std::vector<std::string>{"pv3 write", "pv3 flush",  // dirty mark, made durable
                                            "pv1 write", "pv2 write",  // the data
                                            "pv1 flush", "pv2 flush",
                                            "pv3 write"}))  // legs durable, then clean mark
      << ::testing::PrintToString(bios);
}

}  // namespace
}  // namespace lvlab::dm
