// pvmove end to end in simulated time: the seed's walk-through under a
// workload, every row of the state table (reference §7) with each loss
// policy followed by resume or abort, atomic moves, concurrent moves.
#include "sim/lvm/pvmove.h"

#include <gtest/gtest.h>

#include "sim/check/oracle.h"
#include "sim/check/workload.h"
#include "sim/lvm/machine.h"
#include "sim/lvm/names.h"
#include "sim/lvm/pvmove_layout.h"

namespace lvlab::lvm {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;

MachineOptions Options(uint64_t seed) {
  MachineOptions o;
  o.seed = seed;
  o.disk.model.write_latency_ns = 200'000;
  o.disk.model.read_latency_ns = 100'000;
  o.disk.model.bandwidth_bytes_per_sec = 200ULL << 20;
  return o;
}

// pv1..pv4 of 16 MiB, vg0 with 1 MiB extents, lv0 = pv1:0-9 pv2:0-9 pv3:0-9.
void SeedLab(Machine& m) {
  Context& c = m.ctx();
  for (const char* pv : {"pv1", "pv2", "pv3", "pv4"}) {
    ASSERT_TRUE(Pvcreate(c, pv, 16 << 20, 1 << 20).ok());
  }
  ASSERT_TRUE(Vgcreate(c, {"vg0", {"pv1", "pv2", "pv3", "pv4"}, 1 << 20}).ok());
  LvcreateArgs a;
  a.vg = "vg0", a.name = "lv0", a.extents = "30", a.pvs = {"pv1:0-9", "pv2:0-9", "pv3:0-9"};
  ASSERT_TRUE(Lvcreate(c, a).ok()) << m.TakeErr();
}

// The PV names of an LV's segments, in order ("pv1 pv4 pv3").
std::string Layout(Machine& m, const std::string& lv) {
  auto r = m.lab().ReadVg("vg0");
  if (!r.ok()) return "no vg";
  const LogicalVolume* l = r->vg.FindLv(lv);
  if (!l) return "absent";
  std::string out;
  for (const Segment& s : l->segments) {
    for (const Area& a : s.areas) {
      std::string name = a.name;
      if (a.kind == Area::Kind::kPv) name = m.lab().PvFor(*r->vg.FindPv(a.name))->name;
      out += (out.empty() ? "" : " ") + name + ":" + std::to_string(a.start) + "+" +
             std::to_string(s.AreaLength());
    }
  }
  return out;
}

// Every sector of lv0 read through its device must be what the oracle allows.
Status CheckData(Machine& m, check::Oracle& oracle) {
  return oracle.CheckAll([&](const std::string& lv, uint64_t sector, uint64_t n, uint8_t* out) {
    auto data = ReadDevice(m.sys(), DmName("vg0", lv), sector * 512, n * 512);
    if (!data.ok()) return data.status();
    std::copy(data->begin(), data->end(), out);
    return Status::Ok();
  });
}

check::WorkloadSpec Writes(uint64_t ios) {
  check::WorkloadSpec w;
  w.lv = "lv0";
  w.pattern = check::WorkloadSpec::kRandom;
  w.iodepth = 4;
  w.write_percent = 70;
  w.flush_every = 16;
  w.max_ios = ios;
  return w;
}

std::unique_ptr<check::Workload> StartWorkload(Machine& m, check::Oracle& oracle,
                                               const check::WorkloadSpec& spec, uint64_t seed) {
  dm::Device* dev = m.sys().kernel().Find("vg0-lv0");
  LVLAB_CHECK(dev);
  auto w = std::make_unique<check::Workload>(spec, dev, &oracle, &m.sys().scheduler(),
                                             &m.sys().trace(), seed);
  w->Start();
  return w;
}

// Writes every sector of lv0 once and flushes: durable data the move must
// carry (a pvmove that loses copied data is caught by it).
void Prefill(Machine& m, check::Oracle& oracle) {
  check::WorkloadSpec w;
  w.lv = "lv0";
  w.name = "prefill";
  w.block_bytes = 64 << 10;
  w.iodepth = 8;
  w.flush_every = 32;
  dm::Device* dev = m.sys().kernel().Find("vg0-lv0");
  w.max_ios = dev->size_sectors() * 512 / w.block_bytes;
  auto fill = StartWorkload(m, oracle, w, 1);
  m.sys().scheduler().RunUntil([&] { return fill->done(); });
  ASSERT_EQ(fill->stats().violations, 0u);
  bool flushed = false;
  engine::Bio bio;
  bio.op = engine::Bio::Op::kFlush;
  const uint64_t epoch = oracle.FlushSubmitted("lv0");
  bio.done = [&](Status) { flushed = true; };
  dev->Submit(std::move(bio));
  m.sys().scheduler().RunUntil([&] { return flushed; });
  oracle.FlushCompleted("lv0", epoch);
}

PvmoveArgs Move(const std::string& src, std::vector<std::string> dests, bool atomic = false) {
  PvmoveArgs a;
  a.source = src;
  a.dests = std::move(dests);
  a.atomic = atomic;
  a.interval_ns = kSecond;
  a.wait = false;
  return a;
}

TEST(Pvmove, SeedWalkthroughUnderLoadKeepsEveryByte) {
  for (bool atomic : {false, true}) {
    SCOPED_TRACE(atomic ? "atomic" : "normal");
    Machine m(Options(7));
    SeedLab(m);
    check::Oracle oracle(11);
    Prefill(m, oracle);
    auto w = StartWorkload(m, oracle, Writes(3000), 5);
    ASSERT_TRUE(Pvmove(m.ctx(), Move("pv2", {"pv4"}, atomic)).ok()) << m.TakeErr();
    EXPECT_EQ(Layout(m, "lv0"), "pv1:0+10 pvmove0:0+10 pv3:0+10");
    { Status ws = WaitForPollers(m.ctx()); ASSERT_TRUE(ws.ok()) << ws.message() << m.TakeErr(); }
    m.sys().scheduler().RunUntil([&] { return w->done(); });
    EXPECT_EQ(w->stats().violations, 0u) << w->first_violation().message();
    EXPECT_EQ(Layout(m, "lv0"), "pv1:0+10 pv4:0+10 pv3:0+10");
    EXPECT_EQ(Layout(m, "pvmove0"), "absent");
    const std::string out = m.TakeOut();
    EXPECT_NE(out.find("pv2: Moved: "), std::string::npos) << out;
    EXPECT_NE(out.find("pv2: Moved: 100.00%"), std::string::npos) << out;
    Status data = CheckData(m, oracle);
    EXPECT_TRUE(data.ok()) << data.message();
    EXPECT_EQ(m.sys().trace().Count("pvmove-finished"), 1u);
    EXPECT_EQ(m.sys().kernel().Find("vg0-pvmove0"), nullptr);
  }
}

// An LV with three segments on the source: two checkpoints before the finish.
void MultiSegmentLab(Machine& m) {
  Context& c = m.ctx();
  for (const char* pv : {"pv1", "pv2", "pv3"}) ASSERT_TRUE(Pvcreate(c, pv, 24 << 20, 1 << 20).ok());
  ASSERT_TRUE(Vgcreate(c, {"vg0", {"pv1", "pv2", "pv3"}, 1 << 20}).ok());
  LvcreateArgs a;
  a.vg = "vg0", a.name = "lv0", a.extents = "6", a.pvs = {"pv1:0-5"};
  ASSERT_TRUE(Lvcreate(c, a).ok()) << m.TakeErr();
  for (const char* range : {"pv2:0-1", "pv1:8-13", "pv2:4-5", "pv1:16-21"}) {
    LvextendArgs e;
    e.lv = "vg0/lv0";
    e.extents = std::string("+") + (range[2] == '2' ? "2" : "6");
    e.pvs = {range};
    ASSERT_TRUE(Lvextend(c, e).ok()) << range << m.TakeErr();
  }
  ASSERT_EQ(Layout(m, "lv0"), "pv1:0+6 pv2:0+2 pv1:8+6 pv2:4+2 pv1:16+6");
}

struct CrashCase {
  const char* event;  // the trace event after which the power is cut
  uint64_t count;     // its occurrence
  const char* resumed;  // layout after resume
  const char* aborted;  // layout after abort
};

// pv1's three segments go to pv3; pv2's stay.
constexpr const char* kDone = "pv3:0+6 pv2:0+2 pv3:6+6 pv2:4+2 pv3:12+6";
constexpr const char* kNone = "pv1:0+6 pv2:0+2 pv1:8+6 pv2:4+2 pv1:16+6";

void RunStateTable(bool atomic, const std::vector<CrashCase>& cases) {
  for (auto policy : {store::LossPolicy::kNone, store::LossPolicy::kAll, store::LossPolicy::kRandom}) {
    for (const CrashCase& c : cases) {
      for (int variant = 0; variant < 4; ++variant) {
        const bool abort = variant & 1;
        // Without a workload nothing flushes the destination by chance: only
        // pvmove's own flush before each commit keeps the copied data.
        const bool load = variant & 2;
        SCOPED_TRACE(std::string(atomic ? "atomic, " : "") + store::LossPolicyName(policy) +
                     " after " + c.event + " #" + std::to_string(c.count) +
                     (abort ? ", abort" : ", resume") + (load ? ", under load" : ", idle"));
        Machine m(Options(3));
        MultiSegmentLab(m);
        check::Oracle oracle(17);
        Prefill(m, oracle);
        std::unique_ptr<check::Workload> w;
        if (load) w = StartWorkload(m, oracle, Writes(0), 9);  // until the crash
        uint64_t seen = 0;
        const uint64_t id = m.sys().trace().Subscribe([&](std::string_view type, const std::string&) {
          if (type == c.event && ++seen == c.count) m.power().CutAfterWrites(0);
        });
        if (c.count == 0) m.power().CutAfterWrites(0);  // before anything is written
        (void)Pvmove(m.ctx(), Move("pv1", {"pv3"}, atomic));
        m.sys().scheduler().RunUntil([&] { return m.power().off(); }, 600 * kSecond);
        ASSERT_TRUE(m.power().off());
        m.sys().trace().Unsubscribe(id);
        w.reset();
        oracle.PowerLoss();
        m.Crash(policy);
        EXPECT_EQ(m.sys().kernel().List().size(), 0u) << "a reboot starts with no devices";
        // Reactivate; with abort, without polling first (vgchange --poll n).
        ASSERT_TRUE(Vgchange(m.ctx(), {"vg0"}, true, !abort).ok()) << m.TakeErr();
        if (abort) {
          PvmoveArgs a;
          a.abort = true;
          a.interval_ns = kSecond;
          ASSERT_TRUE(Pvmove(m.ctx(), a).ok()) << m.TakeErr();
        } else {
          Status ws = WaitForPollers(m.ctx());
          ASSERT_TRUE(ws.ok()) << ws.message() << m.TakeErr();
        }
        // Leftover error pvmove0 after finish commit #1: lvremove it, as LVM.
        auto r = m.lab().ReadVg("vg0");
        ASSERT_TRUE(r.ok());
        if (const LogicalVolume* left = r->vg.FindLv("pvmove0"); left && !left->Has(kPvmove)) {
          ASSERT_TRUE(Lvremove(m.ctx(), {"vg0/pvmove0"}, true, nullptr).ok()) << m.TakeErr();
        }
        EXPECT_EQ(Layout(m, "lv0"), abort ? c.aborted : c.resumed);
        EXPECT_EQ(Layout(m, "pvmove0"), "absent");
        Status data = CheckData(m, oracle);
        EXPECT_TRUE(data.ok()) << data.message();
      }
    }
  }
}

TEST(Pvmove, AtomicStateTableRowsSurviveEveryLossPolicy) {
  RunStateTable(true, {
      {"metadata-commit", 0, kNone, kNone},
      {"pvmove-setup", 1, kDone, kNone},
      {"pvmove-image-dropped", 1, kDone, kDone},  // the extra intermediate commit
      {"pvmove-finish-1", 1, kDone, kDone},
  });
}

TEST(Pvmove, StateTableRowsSurviveEveryLossPolicy) {
  const char* done = kDone;
  const char* none = kNone;
  const std::vector<CrashCase> cases = {
      {"metadata-commit", 0, none, none},  // before the setup commit: nothing to resume
      {"pvmove-setup", 1, done, none},
      {"checkpoint", 1, done, "pv3:0+6 pv2:0+2 pv1:8+6 pv2:4+2 pv1:16+6"},
      {"checkpoint", 2, done, "pv3:0+6 pv2:0+2 pv3:6+6 pv2:4+2 pv1:16+6"},
      {"pvmove-finish-1", 1, done, done},  // between the finish commits
  };
  RunStateTable(false, cases);
}

TEST(Pvmove, AtomicAbortPutsEverythingBack) {
  Machine m(Options(5));
  MultiSegmentLab(m);
  check::Oracle oracle(3);
  auto w = StartWorkload(m, oracle, Writes(400), 2);
  { Status ps = Pvmove(m.ctx(), Move("pv1", {"pv3"}, true)); ASSERT_TRUE(ps.ok()) << ps.message() << m.TakeErr(); }
  m.sys().scheduler().RunUntil([&] { return w->done(); });
  PvmoveArgs a;
  a.abort = true;
  a.interval_ns = kSecond;
  ASSERT_TRUE(Pvmove(m.ctx(), a).ok()) << m.TakeErr();
  ASSERT_TRUE(WaitForPollers(m.ctx()).ok());
  EXPECT_EQ(Layout(m, "lv0"), "pv1:0+6 pv2:0+2 pv1:8+6 pv2:4+2 pv1:16+6");
  EXPECT_EQ(Layout(m, "pvmove0_mimage_0"), "absent");
  EXPECT_EQ(Layout(m, "pvmove0_mimage_1"), "absent");
  Status data = CheckData(m, oracle);
  EXPECT_TRUE(data.ok()) << data.message();
}

TEST(Pvmove, TwoConcurrentMovesOneAborted) {
  Machine m(Options(9));
  Context& c = m.ctx();
  for (const char* pv : {"pv1", "pv2", "pv3", "pv4"}) ASSERT_TRUE(Pvcreate(c, pv, 16 << 20, 1 << 20).ok());
  ASSERT_TRUE(Vgcreate(c, {"vg0", {"pv1", "pv2", "pv3", "pv4"}, 1 << 20}).ok());
  LvcreateArgs a;
  a.vg = "vg0", a.name = "lv0", a.extents = "10", a.pvs = {"pv1"};
  ASSERT_TRUE(Lvcreate(c, a).ok());
  a.name = "lv1", a.pvs = {"pv2"};
  ASSERT_TRUE(Lvcreate(c, a).ok());
  ASSERT_TRUE(Pvmove(c, Move("pv1", {"pv3"})).ok()) << m.TakeErr();
  ASSERT_TRUE(Pvmove(c, Move("pv2", {"pv4"})).ok()) << m.TakeErr();
  EXPECT_EQ(Layout(m, "lv0"), "pvmove0:0+10");
  EXPECT_EQ(Layout(m, "lv1"), "pvmove1:0+10");
  // A third move of an LV that is already locked skips it.
  PvmoveArgs again = Move("pv3", {"pv4"});
  EXPECT_FALSE(Pvmove(c, again).ok());
  PvmoveArgs abort;
  abort.source = "pv1";
  abort.abort = true;
  abort.interval_ns = kSecond;
  abort.wait = false;
  ASSERT_TRUE(Pvmove(c, abort).ok()) << m.TakeErr();
  ASSERT_TRUE(WaitForPollers(c).ok()) << m.TakeErr();
  EXPECT_EQ(Layout(m, "lv0"), "pv1:0+10");
  EXPECT_EQ(Layout(m, "lv1"), "pv4:0+10");
  EXPECT_EQ(Layout(m, "pvmove0"), "absent");
  EXPECT_EQ(Layout(m, "pvmove1"), "absent");
}

TEST(Pvmove, PeRangesAndNameFilterMoveOnlyWhatWasAsked) {
  Machine m(Options(4));
  Context& c = m.ctx();
  for (const char* pv : {"pv1", "pv2"}) ASSERT_TRUE(Pvcreate(c, pv, 16 << 20, 1 << 20).ok());
  ASSERT_TRUE(Vgcreate(c, {"vg0", {"pv1", "pv2"}, 1 << 20}).ok());
  LvcreateArgs a;
  a.vg = "vg0", a.name = "lv0", a.extents = "6", a.pvs = {"pv1:0-5"};
  ASSERT_TRUE(Lvcreate(c, a).ok());
  a.name = "lv1", a.extents = "4", a.pvs = {"pv1:6-9"};
  ASSERT_TRUE(Lvcreate(c, a).ok());
  // Partial segment: only extents 2-3 of lv0 move; the segment is split.
  PvmoveArgs p = Move("pv1:2-3", {"pv2"});
  p.wait = true;
  ASSERT_TRUE(Pvmove(c, p).ok()) << m.TakeErr();
  EXPECT_EQ(Layout(m, "lv0"), "pv1:0+2 pv2:0+2 pv1:4+2");
  PvmoveArgs n = Move("pv1", {"pv2"});
  n.lv = "lv1";
  n.wait = true;
  ASSERT_TRUE(Pvmove(c, n).ok()) << m.TakeErr();
  EXPECT_EQ(Layout(m, "lv1"), "pv2:2+4");
  EXPECT_EQ(Layout(m, "lv0"), "pv1:0+2 pv2:0+2 pv1:4+2");
  // -n takes the named LV and its sub-LVs (_sub_lv_of), not an LV whose
  // name merely starts with it.
  a.name = "lv1_x", a.extents = "2", a.pvs = {"pv1:10-11"};
  ASSERT_TRUE(Lvcreate(c, a).ok());
  PvmoveArgs only_lv1 = Move("pv1", {"pv2"});
  only_lv1.lv = "lv1";
  only_lv1.wait = true;
  const Status none_of_lv1 = Pvmove(c, only_lv1);
  EXPECT_FALSE(none_of_lv1.ok());
  EXPECT_EQ(Layout(m, "lv1_x"), "pv1:10+2");
  // Nothing left to move from these extents.
  Status none = Pvmove(c, Move("pv1:6-9", {"pv2"}));
  EXPECT_FALSE(none.ok());
  EXPECT_NE(none.message().find("No data to move for pv1"), std::string::npos) << none.message();
}

// A lab of `pvs` 16 MiB PVs in vg0 with 1 MiB extents.
void SmallLab(Machine& m, std::vector<std::string> pvs) {
  for (const std::string& pv : pvs) ASSERT_TRUE(Pvcreate(m.ctx(), pv, 16 << 20, 1 << 20).ok());
  ASSERT_TRUE(Vgcreate(m.ctx(), {"vg0", pvs, 1 << 20}).ok());
}

PvmoveArgs Named(const std::string& lv, const std::string& src, std::vector<std::string> dests) {
  PvmoveArgs p = Move(src, std::move(dests));
  p.lv = lv;
  p.wait = true;
  return p;
}

// As LVM's _set_up_pvmove_lv (its first pass and _trim_allocatable_pvs): a
// move never puts a raid1 image on a PV that holds another image of the same
// LV; with -n naming an rimage or rmeta, its sibling's PV stays allowed
// (_remove_sibling_pvs_from_trim_list), as pvmove-raid-segtypes.sh does.
TEST(Pvmove, RaidImagesNeverShareAPv) {
  Machine m(Options(5));
  Context& c = m.ctx();
  SmallLab(m, {"pv1", "pv2", "pv3"});
  LvcreateArgs a;
  a.vg = "vg0", a.name = "r0", a.extents = "4", a.type = "raid1", a.mirrors = 1;
  a.nosync = true, a.pvs = {"pv1", "pv2"};
  ASSERT_TRUE(Lvcreate(c, a).ok()) << m.TakeErr();
  EXPECT_EQ(Layout(m, "r0_rimage_0"), "pv1:1+4");
  EXPECT_EQ(Layout(m, "r0_rimage_1"), "pv2:1+4");
  PvmoveArgs onto_other_image = Move("pv1", {"pv2"});
  onto_other_image.wait = true;
  EXPECT_FALSE(Pvmove(c, onto_other_image).ok());
  EXPECT_FALSE(Pvmove(c, Named("r0", "pv1", {"pv2"})).ok());
  EXPECT_EQ(Layout(m, "r0_rimage_0"), "pv1:1+4");
  EXPECT_EQ(Layout(m, "pvmove0"), "absent");
  // rimage_0 alone onto pv3: its rmeta_0 stays on pv1.
  ASSERT_TRUE(Pvmove(c, Named("r0_rimage_0", "pv1", {"pv3"})).ok()) << m.TakeErr();
  EXPECT_EQ(Layout(m, "r0_rimage_0"), "pv3:0+4");
  EXPECT_EQ(Layout(m, "r0_rmeta_0"), "pv1:0+1");
  // The whole of pv1 (rmeta_0) may not go to pv3, which holds r0's rimage_0
  // (LVM keeps every PV of r0 out) ...
  PvmoveArgs whole = Move("pv1", {"pv3"});
  whole.wait = true;
  EXPECT_FALSE(Pvmove(c, whole).ok());
  // ... but rmeta_0 named may join its sibling.
  ASSERT_TRUE(Pvmove(c, Named("r0_rmeta_0", "pv1", {"pv3"})).ok()) << m.TakeErr();
  EXPECT_EQ(Layout(m, "r0_rmeta_0"), "pv3:4+1");
  // rimage_1 may not join image 0 on pv3 (its sibling rmeta_1 is on pv2).
  EXPECT_FALSE(Pvmove(c, Named("r0_rimage_1", "pv2", {"pv3"})).ok());
  EXPECT_EQ(Layout(m, "r0_rimage_1"), "pv2:1+4");
}

// The same for a mirror: no leg and no disk log onto a PV the mirror uses
// (a leg's or the log's), with or without -n; --alloc anywhere trims nothing.
// LVM's top_level_lv_name cuts "_mlog_", not "_mlog": -n m0_mlog trims
// nothing either, so the log may join a leg.
TEST(Pvmove, MirrorLegsAndLogKeepTheirOwnPvs) {
  Machine m(Options(6));
  Context& c = m.ctx();
  SmallLab(m, {"pv1", "pv2", "pv3", "pv4"});
  LvcreateArgs a;
  a.vg = "vg0", a.name = "m0", a.extents = "3", a.type = "mirror", a.mirrors = 1;
  a.pvs = {"pv1", "pv2", "pv3"};
  ASSERT_TRUE(Lvcreate(c, a).ok()) << m.TakeErr();
  EXPECT_EQ(Layout(m, "m0_mimage_0"), "pv1:0+3");
  EXPECT_EQ(Layout(m, "m0_mimage_1"), "pv2:0+3");
  EXPECT_EQ(Layout(m, "m0_mlog"), "pv3:0+1");
  for (const char* dst : {"pv2", "pv3"}) {
    PvmoveArgs p = Move("pv1", {dst});
    p.wait = true;
    EXPECT_FALSE(Pvmove(c, p).ok()) << dst;
    EXPECT_FALSE(Pvmove(c, Named("m0", "pv1", {dst})).ok()) << dst;
  }
  EXPECT_EQ(Layout(m, "pvmove0"), "absent");
  PvmoveArgs anywhere = Move("pv1", {"pv2"});
  anywhere.alloc = "anywhere";
  anywhere.wait = true;
  ASSERT_TRUE(Pvmove(c, anywhere).ok()) << m.TakeErr();
  EXPECT_EQ(Layout(m, "m0_mimage_0"), "pv2:3+3");
  PvmoveArgs back = Move("pv2:3-5", {"pv4"});
  back.wait = true;
  ASSERT_TRUE(Pvmove(c, back).ok()) << m.TakeErr();
  EXPECT_EQ(Layout(m, "m0_mimage_0"), "pv4:0+3");
  ASSERT_TRUE(Pvmove(c, Named("m0_mlog", "pv3", {"pv4"})).ok()) << m.TakeErr();
  EXPECT_EQ(Layout(m, "m0_mlog"), "pv4:3+1");
}

}  // namespace
}  // namespace lvlab::lvm
