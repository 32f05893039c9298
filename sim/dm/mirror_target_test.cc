#include "sim/dm/mirror_target.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sim/base/change_clock.h"
#include "sim/base/rng.h"
#include "sim/dm/mirror_test_util.h"

namespace lvlab::dm {
namespace {

class MirrorTest : public MirrorTestBase {
 protected:
  // Two legs of `sectors` (pv1, pv2) and a log disk (pv3), all with a 1 ms
  // latency so that recovery takes visible time.
  void ThreeDisks(uint64_t sectors, uint64_t latency_ns = kMs) {
    store::DiskModel model;
    model.read_latency_ns = latency_ns;
    model.write_latency_ns = latency_ns;
    AddDisk(sectors, model);
    AddDisk(sectors, model);
    AddDisk(64, model);
  }
};

TEST_F(MirrorTest, TableAndStatusTextAreTheKernels) {
  ThreeDisks(4096);
  AddDisk(4096);
  struct Case {
    std::string line, table, status;
  };
  const std::vector<Case> cases = {
      {"0 2048 mirror core 1 1024 2 7:1 0 7:2 0", "0 2048 mirror core 1 1024 2 7:1 0 7:2 0",
       "0 2048 mirror 2 7:1 7:2 0/2 1 AA 1 core"},
      {"0 2048 mirror core 2 1024 nosync 2 pv1 0 pv2 0",
       "0 2048 mirror core 2 1024 nosync 2 7:1 0 7:2 0", "0 2048 mirror 2 7:1 7:2 2/2 1 AA 1 core"},
      {"0 2048 mirror core 2 512 sync 2 7:1 8 7:2 16 1 handle_errors",
       "0 2048 mirror core 2 512 sync 2 7:1 8 7:2 16 1 handle_errors",
       "0 2048 mirror 2 7:1 7:2 0/4 1 AA 1 core"},
      {"0 2048 mirror disk 2 7:3 1024 2 7:1 0 7:2 0 2 handle_errors keep_log",
       "0 2048 mirror disk 2 7:3 1024 2 7:1 0 7:2 0 2 handle_errors keep_log",
       "0 2048 mirror 2 7:1 7:2 0/2 1 AA 3 disk 7:3 A"},
      {"0 3000 mirror disk 3 7:3 1024 nosync 3 7:1 0 7:2 0 7:4 100",
       "0 3000 mirror disk 3 7:3 1024 nosync 3 7:1 0 7:2 0 7:4 100",
       "0 3000 mirror 3 7:1 7:2 7:4 3/3 1 AAA 3 disk 7:3 A"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string name = "m" + std::to_string(i);
    ASSERT_TRUE(kernel_.Create(name, "").ok());
    Status st = kernel_.Load(name, cases[i].line);
    ASSERT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(*kernel_.Table(name, /*inactive=*/true), cases[i].table);
    EXPECT_EQ(StatusOf(name, /*inactive=*/true), cases[i].status);
  }
  // The form in the brief: 12 of 20 regions in sync.
  ASSERT_TRUE(kernel_.Create("m20", "").ok());
  ASSERT_TRUE(kernel_.Load("m20", "0 2560 mirror core 1 128 2 7:2 0 7:4 0").ok());
  ASSERT_TRUE(kernel_.Resume("m20").ok());
  ASSERT_TRUE(RunUntilRecovered(12));
  EXPECT_EQ(StatusOf("m20"), "0 2560 mirror 2 7:2 7:4 12/20 1 AA 1 core");
  EXPECT_EQ(*kernel_.Deps("m20"), (std::vector<DevNo>{{7, 2}, {7, 4}}));
}

TEST_F(MirrorTest, RefusesBadTablesAsTheKernelDoes) {
  ThreeDisks(4096);
  ASSERT_TRUE(kernel_.Create("m", "").ok());
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"0 2048 mirror core 1 1000 2 7:1 0 7:2 0", "invalid region size 1000"},
      {"0 2048 mirror core 1 1 2 7:1 0 7:2 0", "invalid region size 1"},
      {"0 2048 mirror core 1 4096 2 7:1 0 7:2 0", "invalid region size 4096"},
      {"0 2048 mirror core 2 1024 block_on_error 2 7:1 0 7:2 0", "unrecognised sync argument"},
      {"0 2048 mirror core 3 1024 nosync x 2 7:1 0 7:2 0", "wrong number of arguments"},
      {"0 2048 mirror core 5 1024", "Insufficient mirror log arguments"},
      {"0 2048 mirror core", "Insufficient mirror log arguments"},
      {"0 2048 mirror core x 1024", "Invalid mirror log argument count"},
      {"0 2048 mirror ring 1 1024 2 7:1 0 7:2 0", "Error creating mirror dirty log"},
      {"0 2048 mirror core 1 1024 1 7:1 0", "Invalid number of mirrors"},
      {"0 2048 mirror core 1 1024 10 7:1 0 7:2 0", "Invalid number of mirrors"},
      {"0 2048 mirror core 1 1024 2 7:1 0", "Too few mirror arguments"},
      {"0 2048 mirror core 1 1024 2 7:1 x 7:2 0", "Invalid offset"},
      {"0 2048 mirror core 1 1024 2 7:1 0 7:2 0 1 fast", "Unrecognised feature requested"},
      {"0 2048 mirror core 1 1024 2 7:1 0 7:2 0 2 handle_errors", "Not enough arguments"},
      {"0 2048 mirror core 1 1024 2 7:1 0 7:2 0 1 keep_log", "keep_log feature requires"},
      {"0 2048 mirror core 1 1024 2 7:1 0 7:2 0 1 handle_errors x", "Too many mirror arguments"},
  };
  for (const auto& [line, why] : bad) {
    Status st = kernel_.Load("m", line);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << line << ": " << st.message();
    EXPECT_NE(st.message().find(why), std::string::npos) << line << ": " << st.message();
  }
  // Device lookups fail with NotFound; a log device too small is refused.
  EXPECT_EQ(kernel_.Load("m", "0 2048 mirror core 1 1024 2 7:1 0 7:9 0").code(), Code::kNotFound);
  EXPECT_EQ(kernel_.Load("m", "0 2048 mirror disk 2 7:9 1024 2 7:1 0 7:2 0").code(),
            Code::kNotFound);
  AddDisk(2);  // 7:4, 1 KiB: the header alone needs 1 KiB + the bitmap
  Status st = kernel_.Load("m", "0 2048 mirror disk 2 7:4 1024 2 7:1 0 7:2 0");
  EXPECT_NE(st.message().find("too small: need 1536 bytes"), std::string::npos) << st.message();
  EXPECT_EQ(kernel_.Info("m")->TablesPresent(), "None");
}

TEST_F(MirrorTest, AFreshCoreLogRecoversEveryRegionInOrderAndRaisesAnEvent) {
  ThreeDisks(8192);
  const std::vector<uint8_t> data = Pattern(1, 8192);
  ASSERT_TRUE(Write("pv1", 0, data).ok());
  ASSERT_TRUE(Write("pv2", 0, Pattern(2, 8192)).ok());  // stale
  ASSERT_TRUE(kernel_.Create("m", "").ok());
  ASSERT_TRUE(kernel_.Load("m", "0 8000 mirror core 1 1024 2 7:1 0 7:2 0").ok());
  // A loaded table does not recover: only a live one does.
  sched_.RunUntilIdle();
  EXPECT_TRUE(recovering_.empty());
  ASSERT_TRUE(kernel_.Resume("m").ok());
  const uint32_t event = kernel_.Info("m")->event_nr;
  Result<uint32_t> next = kernel_.WaitEvent("m", event);
  ASSERT_TRUE(next.ok()) << next.status().message();
  EXPECT_EQ(recovering_, (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(recovered_, recovering_);
  EXPECT_EQ(StatusOf("m"), "0 8000 mirror 2 7:1 7:2 8/8 1 AA 1 core");
  EXPECT_FALSE(Mirror("m")->recovering());
  EXPECT_EQ(MirrorSyncOf(*kernel_.Find("m"))->in_sync_regions, 8u);
  EXPECT_TRUE(MirrorSyncOf(*kernel_.Find("m"))->complete());
  // The last region is short: 8000 - 7 * 1024 sectors.
  EXPECT_EQ(DiskSectors(1, 0, 8000), Slice(data, 0, 8000));
  EXPECT_EQ(DiskSectors(1, 8000, 192), Slice(Pattern(2, 8192), 8000, 192));
  EXPECT_EQ(kernel_.copier().stats().jobs, 8u);
}

TEST_F(MirrorTest, ReadsComeFromLegZero) {
  ThreeDisks(4096, 0);
  ASSERT_TRUE(Write("pv1", 0, Pattern(1, 2048)).ok());
  ASSERT_TRUE(Write("pv2", 0, Pattern(2, 2048)).ok());
  // nosync: the legs differ but count as in sync, so nothing evens them out.
  Activate("m", "0 2048 mirror core 2 1024 nosync 2 7:1 0 7:2 0");
  std::vector<uint8_t> back;
  ASSERT_TRUE(Read("m", 0, 2048, &back).ok());
  EXPECT_EQ(back, Pattern(1, 2048));
  EXPECT_EQ(kernel_.copier().stats().jobs, 0u);
}

// Checkers skip re-reading what provably reads as before: a mirror's reads
// see only its default leg while that leg has no errors.
TEST_F(MirrorTest, ReadsSeeOnlyTheDefaultLegUntilItFails) {
  ThreeDisks(4096, 0);
  ASSERT_TRUE(Write("pv1", 0, Pattern(1, 2048)).ok());
  Activate("m", "0 2048 mirror core 2 1024 nosync 2 7:1 0 7:2 0");
  sched_.RunUntilIdle();
  Device* m = kernel_.Find("m");
  const uint64_t t0 = ChangeStampNow();
  ASSERT_TRUE(Write("pv2", 0, Pattern(2, 8)).ok());
  EXPECT_FALSE(m->ChangedSince(t0, 0, 2048)) << "leg 1 is never read";
  ASSERT_TRUE(Write("pv1", 1030, Pattern(3, 8)).ok());
  EXPECT_TRUE(m->ChangedSince(t0, 1024, 2048));
  EXPECT_FALSE(m->ChangedSince(t0, 0, 1024));
  uint64_t newest_table = 0;
  EXPECT_EQ(Resolved("m", 100, 2048, &newest_table), "pv1:100+1948");
  EXPECT_LE(newest_table, t0);
  // A read error on leg 0 sends in-sync reads to leg 1: everything may read
  // otherwise now, and the device no longer resolves.
  const uint64_t t1 = ChangeStampNow();
  disks_[0]->SetFailed(true);
  std::vector<uint8_t> back;
  ASSERT_TRUE(Read("m", 0, 8, &back).ok());
  EXPECT_EQ(back, Pattern(2, 8));
  EXPECT_TRUE(m->ChangedSince(t1, 1024, 2048));
  EXPECT_EQ(Resolved("m", 0, 2048), "none");
}

TEST_F(MirrorTest, OutOfSyncRegionsAreReadFromLegZeroDuringResync) {
  ThreeDisks(16384);
  ASSERT_TRUE(Write("pv1", 0, Pattern(1, 16384)).ok());
  ASSERT_TRUE(Write("pv2", 0, Pattern(2, 16384)).ok());
  Activate("m", "0 16384 mirror core 1 1024 2 7:1 0 7:2 0");
  std::vector<uint8_t> back;
  ASSERT_TRUE(Read("m", 15 * 1024, 1024, &back).ok());
  EXPECT_FALSE(Mirror("m")->TEST_log().InSync(15));
  EXPECT_EQ(back, Slice(Pattern(1, 16384), 15 * 1024, 1024));
}

TEST_F(MirrorTest, AWriteToARegionNotYetRecoveredGoesToLegZeroThenGetsCopied) {
  ThreeDisks(16384);
  ASSERT_TRUE(Write("pv1", 0, Pattern(1, 16384)).ok());  // so that copies take time
  Activate("m", "0 16384 mirror core 1 1024 2 7:1 0 7:2 0");
  const std::vector<uint8_t> data = Pattern(5, 8);
  ASSERT_TRUE(Write("m", 15 * 1024 + 100, data).ok());
  EXPECT_LT(recovered_.size(), 15u);
  EXPECT_EQ(DiskSectors(0, 15 * 1024 + 100, 8), data);
  EXPECT_EQ(DiskSectors(1, 15 * 1024 + 100, 8), std::vector<uint8_t>(8 * kSectorSize, 0));
  ASSERT_TRUE(RunUntilSynced("m"));
  EXPECT_EQ(DiskSectors(1, 15 * 1024 + 100, 8), data);
}

TEST_F(MirrorTest, AWriteToTheRecoveringRegionWaitsForTheCopyThenHitsBothLegs) {
  ThreeDisks(16384);
  ASSERT_TRUE(Write("pv1", 0, Pattern(1, 16384)).ok());
  kernel_.set_trace_io(true);
  Activate("m", "0 16384 mirror core 1 1024 2 7:1 0 7:2 0");
  ASSERT_TRUE(sched_.RunUntil([this] { return recovering_.size() == 4; }));
  ASSERT_EQ(recovering_.back(), 3u);
  EXPECT_EQ(Mirror("m")->TEST_region_state(3), RegionState::kRecovering);
  const std::vector<uint8_t> data = Pattern(6, 16);
  std::vector<uint8_t> buf = data;
  const uint64_t sector = 3 * 1024 + 500;
  const size_t write_at = lines_.size();
  auto done = Start(kernel_.Resolve("m"), Bio::Op::kWrite, sector, 16, buf.data());
  ASSERT_TRUE(sched_.RunUntil([&] { return done->has_value(); }));
  ASSERT_TRUE((*done)->ok());
  // Order: the copy of region 3 is retired, then the write goes to each leg.
  auto find = [&](const std::string& what, size_t from) {
    for (size_t i = from; i < lines_.size(); ++i) {
      if (lines_[i].find(what) != std::string::npos) return i;
    }
    return lines_.size();
  };
  const size_t retired = find("\"ev\":\"region-recovered\",\"dev\":\"m\",\"region\":3", write_at);
  const std::string submit = "\"op\":\"write\",\"sector\":" + std::to_string(sector) + ",";
  const size_t leg0 = find("\"dev\":\"pv1\"," + submit, write_at);
  const size_t leg1 = find("\"dev\":\"pv2\"," + submit, write_at);
  EXPECT_LT(retired, lines_.size());
  EXPECT_LT(retired, leg0);
  EXPECT_LT(retired, leg1);
  EXPECT_LT(leg1, lines_.size());
  EXPECT_EQ(DiskSectors(0, sector, 16), data);
  EXPECT_EQ(DiskSectors(1, sector, 16), data);
  ASSERT_TRUE(RunUntilSynced("m"));
  EXPECT_EQ(DiskSectors(1, 0, 16384), DiskSectors(0, 0, 16384));
}

// Direct writes (mirror_direct.h) take each region's route by do_writes'
// rule, and a region is closed to them, with a writer inside waited for,
// before the region hash marks it RECOVERING.
TEST_F(MirrorTest, DirectRoutesFollowDoWritesAndCloseARegionBeforeItsCopy) {
  using Route = MirrorDirectRoutes::Route;
  ThreeDisks(16384);
  ASSERT_TRUE(Write("pv1", 0, Pattern(1, 16384)).ok());
  Activate("m", "0 16384 mirror core 1 1024 2 7:1 0 7:2 0");
  ASSERT_TRUE(sched_.RunUntil([this] { return recovering_.size() == 4; }));
  MirrorTarget* m = Mirror("m");
  ASSERT_TRUE(m->OpenDirectWrites());
  MirrorDirectRoutes& routes = m->direct_routes();
  for (uint64_t r = 0; r < m->nr_regions(); ++r) {
    const RegionState state = m->TEST_region_state(r);
    const Route want = state == RegionState::kRecovering ? Route::kNone
                       : state == RegionState::kNosync   ? Route::kDefaultLeg
                                                         : Route::kAllLegs;
    const Route got = routes.Enter(r);
    EXPECT_EQ(got, want) << "region " << r << " " << RegionStateName(state);
    if (got != Route::kNone) routes.Leave(r);
  }
  EXPECT_EQ(routes.Enter(3), Route::kNone);

  // A writer inside region 4 on another thread holds back its copy.
  std::atomic<bool> inside{false};
  std::atomic<bool> left{false};
  bool left_before_recovering = false;
  trace_.Subscribe([&](std::string_view type, const std::string& line) {
    if (type == "region-recovering" && Field(line, "region") == 4) {
      left_before_recovering = left.load();
    }
  });
  std::thread writer([&] {
    ASSERT_EQ(routes.Enter(4), Route::kDefaultLeg);
    inside.store(true);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    left.store(true);
    routes.Leave(4);
  });
  while (!inside.load()) std::this_thread::yield();
  ASSERT_TRUE(sched_.RunUntil([this] { return recovering_.size() == 5; }));
  writer.join();
  EXPECT_TRUE(left_before_recovering);
  EXPECT_EQ(routes.Enter(4), Route::kNone);

  // Recovered regions open to every leg; a suspend closes them all, and a
  // suspended mirror does not open.
  ASSERT_TRUE(RunUntilSynced("m"));
  for (uint64_t r = 0; r < m->nr_regions(); ++r) {
    EXPECT_EQ(routes.Enter(r), Route::kAllLegs) << r;
    routes.Leave(r);
  }
  // A write of the worker's own closes its region until it ends.
  std::vector<uint8_t> buf = Pattern(7, 8);
  auto done = Start(kernel_.Resolve("m"), Bio::Op::kWrite, 5 * 1024, 8, buf.data());
  ASSERT_TRUE(sched_.RunUntil([&] { return m->TEST_region_hash().pending(5) > 0; }));
  EXPECT_EQ(routes.Enter(5), Route::kNone);
  EXPECT_EQ(routes.Enter(6), Route::kAllLegs);
  routes.Leave(6);
  ASSERT_TRUE(sched_.RunUntil([&] { return done->has_value(); }));
  EXPECT_EQ(routes.Enter(5), Route::kAllLegs);
  routes.Leave(5);
  ASSERT_TRUE(kernel_.Suspend("m").ok());
  EXPECT_EQ(routes.Enter(0), Route::kNone);
  EXPECT_FALSE(m->OpenDirectWrites());
}

TEST_F(MirrorTest, ADiskLogMirrorTakesNoDirectWrites) {
  ThreeDisks(4096, 0);
  Activate("m", "0 4096 mirror disk 2 7:3 1024 2 7:1 0 7:2 0");
  EXPECT_FALSE(Mirror("m")->DirectWritesPossible());
  EXPECT_FALSE(Mirror("m")->OpenDirectWrites());
  EXPECT_EQ(Mirror("m")->direct_routes().Enter(0), MirrorDirectRoutes::Route::kNone);
}

TEST_F(MirrorTest, NosyncStartsInSyncAndCopiesNothing) {
  ThreeDisks(4096, 0);
  ASSERT_TRUE(kernel_.Create("m", "").ok());
  ASSERT_TRUE(kernel_.Load("m", "0 4096 mirror core 2 1024 nosync 2 7:1 0 7:2 0").ok());
  ASSERT_TRUE(kernel_.Resume("m").ok());
  EXPECT_TRUE(kernel_.WaitEvent("m", kernel_.Info("m")->event_nr).ok());
  EXPECT_EQ(StatusOf("m"), "0 4096 mirror 2 7:1 7:2 4/4 1 AA 1 core");
  sched_.RunUntilIdle();
  EXPECT_EQ(kernel_.copier().stats().jobs, 0u);
  EXPECT_TRUE(recovering_.empty());
}

TEST_F(MirrorTest, SuspendStopsRecoveryAndResumeRestartsFromTheFirstUnsyncedRegion) {
  ThreeDisks(16384);
  ASSERT_TRUE(Write("pv1", 0, Pattern(1, 16384)).ok());
  const std::string table = "0 16384 mirror core 1 1024 2 7:1 0 7:2 0";
  Activate("m", table);
  ASSERT_TRUE(RunUntilRecovered(3));
  ASSERT_TRUE(kernel_.Suspend("m").ok());
  MirrorTarget* m = Mirror("m");
  EXPECT_FALSE(m->recovering());
  const uint64_t synced = m->in_sync_regions();
  EXPECT_GE(synced, 3u);  // the region in flight at presuspend completes
  const size_t started = recovering_.size();
  sched_.RunUntilIdle();
  EXPECT_EQ(recovering_.size(), started);  // nothing while suspended
  EXPECT_EQ(m->in_sync_regions(), synced);
  ASSERT_TRUE(kernel_.Resume("m").ok());
  ASSERT_TRUE(sched_.RunUntil([&] { return recovering_.size() > started; }));
  EXPECT_EQ(recovering_[started], synced);  // the search restarts at region 0
  // A new table (a core log remembers nothing) recopies everything.
  ASSERT_TRUE(kernel_.Load("m", table).ok());
  ASSERT_TRUE(kernel_.Resume("m").ok());
  const size_t reloaded = recovering_.size();
  EXPECT_EQ(Mirror("m")->in_sync_regions(), 0u);
  ASSERT_TRUE(RunUntilSynced("m"));
  EXPECT_EQ(
      std::vector<uint64_t>(recovering_.begin() + static_cast<long>(reloaded), recovering_.end()),
      (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}));
  EXPECT_EQ(DiskSectors(1, 0, 16384), Pattern(1, 16384));
}

TEST_F(MirrorTest, FlushAndFuaReachEveryLegAndDiscardsToo) {
  ThreeDisks(4096, 0);
  Activate("m", "0 2048 mirror core 2 1024 nosync 2 7:1 0 7:2 1000");
  std::vector<std::string> bios;
  kernel_.set_trace_io(true);
  trace_.Subscribe([&bios](std::string_view type, const std::string& line) {
    if (type == "bio-submit") bios.push_back(line);
  });
  ASSERT_TRUE(Write("m", 10, Pattern(3, 4), Bio::kPreflush | Bio::kFua).ok());
  ASSERT_EQ(bios.size(), 4u);
  EXPECT_NE(bios[0].find("\"dev\":\"pv1\",\"op\":\"flush\""), std::string::npos) << bios[0];
  EXPECT_NE(bios[1].find("\"dev\":\"pv2\",\"op\":\"flush\""), std::string::npos) << bios[1];
  EXPECT_NE(bios[2].find("\"sector\":10,\"nsectors\":4,\"flags\":\"FUA\""), std::string::npos);
  EXPECT_NE(bios[3].find("\"dev\":\"pv2\",\"op\":\"write\",\"sector\":1010"), std::string::npos);
  EXPECT_EQ(DiskSectors(1, 1010, 4), Pattern(3, 4));
  ASSERT_TRUE(Io(kernel_.Resolve("m"), Bio::Op::kDiscard, 10, 4, nullptr).ok());
  EXPECT_EQ(DiskSectors(0, 10, 4), std::vector<uint8_t>(4 * kSectorSize, 0));
  EXPECT_EQ(DiskSectors(1, 1010, 4), std::vector<uint8_t>(4 * kSectorSize, 0));
}

TEST_F(MirrorTest, DmCoreSplitsBiosAtRegionBoundaries) {
  ThreeDisks(4096, 0);
  Activate("m", "0 4096 mirror core 2 1024 nosync 2 7:1 0 7:2 0");
  EXPECT_EQ(Mirror("m")->max_io_len(), 1024u);
  const std::vector<uint8_t> data = Pattern(8, 2048);
  ASSERT_TRUE(Write("m", 1000, data).ok());
  EXPECT_EQ(DiskSectors(1, 1000, 2048), data);
  EXPECT_EQ(disks_[1]->stats().writes, 3u);  // 24 + 1024 + 1000 sectors
}

TEST_F(MirrorTest, RandomWritesDuringResyncReachBothLegs) {
  // Leg 0 is half holes, leg 1 full of stale data; four writes at a time
  // (never overlapping) race the resync, with a flush now and then.
  store::DiskModel model;
  model.write_latency_ns = 200'000;
  model.read_latency_ns = 100'000;
  model.bandwidth_bytes_per_sec = 200ULL << 20;
  AddDisk(20480, model);
  AddDisk(20480, model);
  for (uint64_t c = 0; c < 20480; c += 256) ASSERT_TRUE(Write("pv1", c, Pattern(1, 128)).ok());
  ASSERT_TRUE(Write("pv2", 0, Pattern(2, 20480)).ok());
  std::vector<uint8_t> expect = DiskSectors(0, 0, 20480);
  Activate("m", "0 20480 mirror core 1 1024 2 7:1 0 7:2 0");
  Rng rng(5);
  for (uint32_t i = 0; i < 400; ++i) {
    std::vector<std::shared_ptr<std::optional<Status>>> pending;
    std::vector<std::vector<uint8_t>> bufs(4);
    for (uint64_t j = 0; j < 4; ++j) {
      const uint64_t sector = (rng.Uniform(20480 / 32) * 4 + j) * 8;
      bufs[j] = Pattern(1000 + i * 4 + static_cast<uint32_t>(j), 8);
      std::copy(bufs[j].begin(), bufs[j].end(), expect.begin() + sector * kSectorSize);
      pending.push_back(Start(kernel_.Resolve("m"), Bio::Op::kWrite, sector, 8, bufs[j].data()));
    }
    ASSERT_TRUE(sched_.RunUntil([&] {
      return std::all_of(pending.begin(), pending.end(), [](auto& p) { return p->has_value(); });
    }));
    if (i % 16 == 15) {
      ASSERT_TRUE(Io(kernel_.Resolve("m"), Bio::Op::kFlush, 0, 0, nullptr).ok());
    }
    if (i == 10) {
      EXPECT_LT(recovered_.size(), 20u);  // the writes do race the resync
    }
  }
  ASSERT_TRUE(RunUntilSynced("m"));
  EXPECT_EQ(DiskSectors(0, 0, 20480), expect);
  EXPECT_EQ(DiskSectors(1, 0, 20480), expect);
}

// One complete run in a world of its own (scheduler, trace, kernel, disks).
struct MirrorWorld : MirrorTest {
  void TestBody() override {}
  std::pair<uint64_t, uint64_t> Run() {
    SetUp();
    ThreeDisks(16384);
    kernel_.set_trace_io(true);
    EXPECT_TRUE(Write("pv1", 0, Pattern(1, 16384)).ok());
    Activate("m", "0 16384 mirror core 1 1024 2 7:1 0 7:2 0");
    for (int i = 0; i < 10; ++i) {
      EXPECT_TRUE(Write("m", static_cast<uint64_t>(i) * 1500, Pattern(10 + i, 24)).ok());
    }
    EXPECT_TRUE(RunUntilSynced("m"));
    return {trace_.hash(), trace_.lines()};
  }
};

TEST(MirrorDeterminismTest, SameSetupTwiceGivesTheSameTrace) {
  const auto a = MirrorWorld().Run();
  const auto b = MirrorWorld().Run();
  EXPECT_EQ(a, b);
  EXPECT_GT(a.second, 100u);
}

}  // namespace
}  // namespace lvlab::dm
