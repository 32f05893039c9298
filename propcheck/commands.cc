#include "propcheck/commands.h"

#include <rapidcheck.h>
#include <rapidcheck/state.h>

namespace lvlab::propcheck {
namespace {

using Cmd = rc::state::Command<Model, Sut>;
using scenarios::Step;

rc::Gen<std::string> Pv(const Model& m) { return rc::gen::elementOf(m.pvs); }

// " pvA pvB pvC": every move PV but `src`, as the destinations of a move
// that names none. A move never allocates on pv5..pv7: a copy left behind
// there (an aborted move's destination) would be stale data under a mirror
// or raid1 LV created later (LVM does not zero those), which the oracle
// rightly counts as a violation. A pvmove that resumes a move ignores them.
std::string MoveDests(const Model& m, const std::string& src) {
  std::string out;
  for (const std::string& pv : m.pvs) {
    if (pv != src) out += " " + pv;
  }
  return out;
}

// Foreground I/O on a lab LV: a bounded workload (fio-like, checked by the
// oracle on every read).
struct Io : Cmd {
  std::string lv;
  uint32_t ios = *rc::gen::inRange<uint32_t>(8, 200);
  uint32_t write = *rc::gen::element<uint32_t>(100, 70, 30);
  uint32_t flush_every = *rc::gen::element<uint32_t>(0, 1, 4, 16);
  bool fua = *rc::gen::weightedElement<bool>({{5, false}, {1, true}});
  uint32_t block_kib = *rc::gen::element<uint32_t>(4, 16, 64);
  explicit Io(const Model& m) { lv = *rc::gen::elementOf(m.IoLvs()); }
  void run(const Model&, Sut& sut) const override {
    const std::string path = "vg0/" + lv;
    if (!sut.Active(path) || sut.WorkloadRunning(path) || !sut.failed().empty()) {
      sut.Play(Sut::After(10));
    } else {
      Step st;
      st.action = Step::Action::kWorkloadStart;
      st.workload.lv = path;
      st.workload.spec.lv = path;
      st.workload.spec.pattern = check::WorkloadSpec::kRandom;
      st.workload.spec.block_bytes = block_kib * 1024;
      st.workload.spec.iodepth = 2;
      st.workload.spec.write_percent = write;
      st.workload.spec.flush_every = flush_every;
      st.workload.spec.fua = fua;
      st.workload.spec.max_ios = ios;
      sut.Play(st);
    }
    sut.Check();
  }
  void show(std::ostream& os) const override {
    os << "Io(" << lv << ", " << ios << " ios, " << write << "% writes)";
  }
};

// Foreground I/O on the snapshot not yet merged (writable, as in LVM): its
// writes go to its COW LV and leave its origin's data alone.
struct SnapIo : Io {
  explicit SnapIo(const Model& m) : Io(m) {
    if (m.snapshot_live) lv = m.LiveSnapshot();
  }
  void checkPreconditions(const Model& m) const override { RC_PRE(m.snapshot_live); }
};

// Time passes: pollers poll, copies progress, workloads run.
struct Wait : Cmd {
  uint64_t ms = *rc::gen::weightedElement<uint64_t>(
      {{2, 1}, {2, 5}, {2, 20}, {2, 50}, {2, 200}, {2, 1000}, {1, 5000}, {1, 15000}});
  void run(const Model&, Sut& sut) const override {
    sut.Play(Sut::After(ms));
    sut.Check();
  }
  void show(std::ostream& os) const override { os << "Wait(" << ms << "ms)"; }
};

struct Pvmove : Cmd {
  std::string src, dst, name, range, dests;
  bool atomic = *rc::gen::weightedElement<bool>({{3, false}, {1, true}});
  int interval = *rc::gen::weightedElement<int>({{3, 0}, {2, 1}, {1, 15}});
  explicit Pvmove(const Model& m) {
    src = *Pv(m);
    dests = MoveDests(m, src);
    dst = *rc::gen::weightedElement<std::string>({{2, ""}, {3, "pv4"}, {1, "pv3"}, {1, "pv1"}});
    name = *rc::gen::weightedElement<std::string>(
        {{4, ""}, {1, "lv0"}, {1, "lv1"}, {m.snapshot_live ? 1 : 0, "snap"}});
    if (name == "snap") name = "snap" + std::to_string(m.snapshots - 1);
    if (*rc::gen::weightedElement<bool>({{4, false}, {1, true}})) {
      const int a = *rc::gen::inRange(0, 6);
      range = ":" + std::to_string(a) + "-" + std::to_string(a + *rc::gen::inRange(0, 6));
    }
  }
  void apply(Model& m) const override { ++m.moves_started; }
  void run(const Model&, Sut& sut) const override {
    std::string words = "pvmove -i " + std::to_string(interval);
    if (atomic) words += " --atomic";
    if (!name.empty()) words += " -n " + name;
    words += " " + src + range;
    words += !dst.empty() && dst != src ? " " + dst : dests;
    sut.Play(Sut::Run(words));
    sut.Check();
  }
  void show(std::ostream& os) const override {
    os << "Pvmove(-i " << interval << " " << (atomic ? "--atomic " : "")
       << (name.empty() ? "" : "-n " + name + " ") << src << range << " " << dst << ")";
  }
};

struct Abort : Cmd {
  std::string src;
  explicit Abort(const Model& m) {
    src = *rc::gen::weightedElement<std::string>({{2, ""}, {3, *Pv(m)}});
  }
  void run(const Model&, Sut& sut) const override {
    sut.Play(Sut::Run("pvmove --abort" + (src.empty() ? "" : " " + src)));
    sut.Check();
  }
  void show(std::ostream& os) const override { os << "Abort(" << src << ")"; }
};

// A move aborted part-way: pvmove, a little time, pvmove --abort.
struct MoveThenAbort : Cmd {
  std::string src;
  uint64_t ms = *rc::gen::element<uint64_t>(5, 20, 50, 100, 300);
  explicit MoveThenAbort(const Model& m) { src = *Pv(m); }
  void apply(Model& m) const override { ++m.moves_started; }
  void run(const Model& m, Sut& sut) const override {
    sut.Play(Sut::Run("pvmove -i 0 " + src + MoveDests(m, src)));
    sut.Play(Sut::After(ms));
    sut.Play(Sut::Run("pvmove --abort " + src));
    sut.Check();
  }
  void show(std::ostream& os) const override {
    os << "MoveThenAbort(" << src << ", " << ms << "ms)";
  }
};

// A power cut now or after a number of disk writes (inside a copy, a
// checkpoint's metadata writes or the finish), with a loss policy.
struct Crash : Cmd {
  int64_t writes = *rc::gen::weightedElement<int64_t>(
      {{3, -1}, {2, 0}, {2, 3}, {2, 8}, {2, 20}, {2, 40}, {1, 100}, {1, 400}});
  store::LossPolicy lose = *rc::gen::element(store::LossPolicy::kNone, store::LossPolicy::kAll,
                                             store::LossPolicy::kRandom);
  void apply(Model& m) const override { ++m.crashes; }
  void run(const Model&, Sut& sut) const override {
    const std::string state = sut.SegmentState();
    Step st;
    st.action = Step::Action::kCrash;
    st.lose = lose;
    st.crash_after_writes = writes;
    sut.Play(st);
    sut.coverage().insert(state + " x " +
                          (writes < 0 ? "now" : "after-" + std::to_string(writes) + "-writes") +
                          " x " + store::LossPolicyName(lose));
    sut.Check();
  }
  void show(std::ostream& os) const override {
    os << "Crash(lose " << store::LossPolicyName(lose) << ", writes " << writes << ")";
  }
};

// A power cut under load: a workload on an LV, and the power goes after a
// few more disk writes, while its writes (and any copy) are in flight.
struct CrashUnderLoad : Cmd {
  std::string lv;
  int64_t writes = *rc::gen::element<int64_t>(5, 20, 60);
  store::LossPolicy lose = *rc::gen::weightedElement<store::LossPolicy>(
      {{3, store::LossPolicy::kRandom}, {1, store::LossPolicy::kAll}});
  explicit CrashUnderLoad(const Model& m) { lv = *rc::gen::elementOf(m.IoLvs()); }
  void apply(Model& m) const override { ++m.crashes; }
  void run(const Model&, Sut& sut) const override {
    const std::string path = "vg0/" + lv;
    if (sut.Active(path) && !sut.WorkloadRunning(path) && sut.failed().empty()) {
      Step w;
      w.action = Step::Action::kWorkloadStart;
      w.workload.lv = path;
      w.workload.spec.lv = path;
      w.workload.spec.pattern = check::WorkloadSpec::kRandom;
      w.workload.spec.iodepth = 4;
      w.workload.spec.max_ios = 400;
      sut.Play(w);
    }
    const std::string state = sut.SegmentState();
    Step st;
    st.action = Step::Action::kCrash;
    st.lose = lose;
    st.crash_after_writes = writes;
    sut.Play(st);
    sut.coverage().insert(state + " x under-load-" + std::to_string(writes) + "-writes x " +
                          store::LossPolicyName(lose));
    sut.Check();
  }
  void show(std::ostream& os) const override {
    os << "CrashUnderLoad(" << lv << ", lose " << store::LossPolicyName(lose) << ", writes "
       << writes << ")";
  }
};

// Activation after a boot, and the ways of resuming a move.
struct Activate : Cmd {
  std::string words = *rc::gen::weightedElement<std::string>({{3, "vgchange -ay vg0"},
                                                              {3, "vgchange -ay --poll n vg0"},
                                                              {1, "lvchange -ay vg0/lv0"},
                                                              {1, "lvchange -ay vg0/lv1"},
                                                              {2, "pvmove"},
                                                              {1, "pvmove -b"},
                                                              {1, "pvmove pv1 pv2 pv3 pv4"},
                                                              {1, "pvmove pv2 pv1 pv3 pv4"},
                                                              {1, "pvmove pv3 pv1 pv2 pv4"}});
  void run(const Model&, Sut& sut) const override {
    sut.Play(Sut::Run(words));
    sut.Check();
  }
  void show(std::ostream& os) const override { os << "Activate(" << words << ")"; }
};

struct Fault : Cmd {
  std::string pv;
  bool fail = true;
  explicit Fault(const Model& m) {
    fail = m.failed.empty() || *rc::gen::weightedElement<bool>({{1, true}, {3, false}});
    if (fail) {
      pv = *Pv(m);
    } else {
      pv = *rc::gen::elementOf(std::vector<std::string>(m.failed.begin(), m.failed.end()));
    }
  }
  void checkPreconditions(const Model& m) const override {
    // A snapshot whose origin's copy-on-write read fails is invalidated (as
    // the kernel does), and its data is then unreadable: no PV fails once
    // the case has a snapshot.
    const bool ok = fail ? m.snapshots == 0 : m.failed.count(pv) > 0;
    RC_PRE(ok);
  }
  void apply(Model& m) const override {
    if (fail) {
      m.failed.insert(pv);
    } else {
      m.failed.erase(pv);
    }
  }
  void run(const Model& m, Sut& sut) const override {
    // A PV that fails under a pvmove mirror loses writes on that leg while
    // the mirror (no handle_errors, as LVM loads it) still completes them:
    // an abort back to that source then loses data in LVM too. Failures are
    // injected only while no move is set up (a move cannot start while a PV
    // is missing), so a no-bug campaign stays clean.
    if (fail && !sut.PvmoveLvs().empty()) {
      sut.Play(Sut::After(10));
      sut.Check();
      return;
    }
    Step st;
    st.action = Step::Action::kFault;
    st.fault.pv = pv;
    if (fail) {
      st.fault.change.failed = true;
    } else {
      st.fault.change.restore = true;
    }
    sut.Play(st);
    // Once m0 or r0 may have extents on the PV, its failure ran dmeventd's
    // repair, which flagged it missing: take it back as an admin would
    // (refused when it was not flagged).
    if (!fail && m.sub_lvs_moved) sut.Play(Sut::Run("vgextend --restoremissing vg0 " + pv));
    sut.Check();
  }
  void show(std::ostream& os) const override { os << (fail ? "Fail(" : "Restore(") << pv << ")"; }
};

// lvcreate, lvextend and lvremove of LVs of their own while moves run.
struct LvChange : Cmd {
  int op = *rc::gen::inRange(0, 3);  // 0 create, 1 extend, 2 remove
  int extents = *rc::gen::inRange(1, 4);
  std::string target, pv;
  explicit LvChange(const Model& m) {
    if (m.created_lvs.empty()) op = 0;
    if (op == 0) {
      target = "lvx" + std::to_string(m.next_lv);
    } else {
      target =
          *rc::gen::elementOf(std::vector<std::string>(m.created_lvs.begin(), m.created_lvs.end()));
    }
    pv = *rc::gen::weightedElement<std::string>({{2, ""}, {1, *Pv(m)}});
  }
  void checkPreconditions(const Model& m) const override {
    const bool exists = m.created_lvs.count(target) > 0;
    const bool ok = (op == 0) != exists;
    RC_PRE(ok);
  }
  void apply(Model& m) const override {
    if (op == 0) {
      m.created_lvs.insert(target);
      ++m.next_lv;
    } else if (op == 2) {
      m.created_lvs.erase(target);
    }
  }
  void run(const Model&, Sut& sut) const override {
    std::string words;
    if (op == 0) words = "lvcreate -l " + std::to_string(extents) + " -n " + target + " vg0";
    if (op == 1) words = "lvextend -l +" + std::to_string(extents) + " vg0/" + target;
    if (op == 2) words = "lvremove -y vg0/" + target;
    if (op != 2 && !pv.empty()) words += " " + pv;
    sut.Play(Sut::Run(words));
    sut.Check();
  }
  void show(std::ostream& os) const override {
    os << "LvChange(" << (op == 0 ? "create " : op == 1 ? "extend " : "remove ") << target << ")";
  }
};

// The mirror and raid1 LVs are created on pv5..pv7, once each per case.

// pvmove of a PV holding m0's legs or log or r0's images and metadata
// (pv5..pv7; pv5 also holds lv2 and pv7 COW LVs), with or without -n naming
// m0, r0 or one of their sub-LVs, onto pv1..pv4 (a named destination or all
// four). LVM keeps their redundancy (_set_up_pvmove_lv trims every PV the
// mirror or raid1 LV uses from the destinations, but for a named rimage or
// rmeta its sibling's): a move that has no other room is refused
// (may_fail). Only once both m0 and r0 exist: the extents a move leaves on
// pv5..pv7 keep stale copies, which a mirror or raid1 created there later
// would read back (LVM does not zero them); COW LVs created there later
// start from a zeroed header.
struct SubLvMove : Cmd {
  std::string src = *rc::gen::element<std::string>("pv5", "pv6", "pv7");
  std::string name = *rc::gen::weightedElement<std::string>({{3, ""},
                                                             {2, "m0"},
                                                             {2, "r0"},
                                                             {1, "m0_mimage_1"},
                                                             {1, "m0_mlog"},
                                                             {1, "r0_rimage_0"},
                                                             {1, "r0_rmeta_0"},
                                                             {1, "r0_rimage_1"}});
  std::string dst = *rc::gen::weightedElement<std::string>(
      {{2, ""}, {2, "pv4"}, {1, "pv3"}, {1, "pv2"}, {1, "pv1"}});
  bool atomic = *rc::gen::weightedElement<bool>({{3, false}, {1, true}});
  int interval = *rc::gen::weightedElement<int>({{3, 0}, {2, 1}});
  void checkPreconditions(const Model& m) const override { RC_PRE(m.mirror && m.raid); }
  void apply(Model& m) const override {
    ++m.moves_started;
    m.sub_lvs_moved = true;
  }
  void run(const Model& m, Sut& sut) const override {
    std::string words = "pvmove -i " + std::to_string(interval);
    if (atomic) words += " --atomic";
    if (!name.empty()) words += " -n " + name;
    words += " " + src + (dst.empty() ? MoveDests(m, src) : " " + dst);
    sut.Play(Sut::Run(words));
    sut.Check();
  }
  void show(std::ostream& os) const override {
    os << "SubLvMove(-i " << interval << " " << (atomic ? "--atomic " : "")
       << (name.empty() ? "" : "-n " + name + " ") << src << " " << dst << ")";
  }
};

// A power cut under writes to m0, one at a time, after 1..40 more disk
// writes or flushes: each write to a fresh region makes the disk log write
// a bitmap (the new dirty mark and the previous region's clean mark), then
// flush the legs and the log, so the cuts land in and around that order.
struct MirrorCrash : Cmd {
  int64_t writes = *rc::gen::inRange<int64_t>(1, 41);
  uint32_t block_kib = *rc::gen::element<uint32_t>(4, 64);
  void checkPreconditions(const Model& m) const override { RC_PRE(m.mirror); }
  void apply(Model& m) const override { ++m.crashes; }
  void run(const Model&, Sut& sut) const override {
    if (sut.Active("vg0/m0") && !sut.WorkloadRunning("vg0/m0") && sut.failed().empty()) {
      Step w;
      w.action = Step::Action::kWorkloadStart;
      w.workload.lv = "vg0/m0";
      w.workload.spec.lv = "vg0/m0";
      w.workload.spec.pattern = check::WorkloadSpec::kRandom;
      w.workload.spec.block_bytes = block_kib * 1024;
      w.workload.spec.iodepth = 1;
      w.workload.spec.max_ios = 100;
      sut.Play(w);
    }
    Step st;
    st.action = Step::Action::kCrash;
    st.lose = store::LossPolicy::kRandom;
    st.crash_after_writes = writes;
    sut.Play(st);
    sut.Check();
  }
  void show(std::ostream& os) const override {
    os << "MirrorCrash(m0, " << block_kib << "k writes, cut after " << writes << ")";
  }
};

// A mirror LV with a disk log (the mirror target's dirty region log on
// m0_mlog): the disk log's clean marks and the legs' flushes race with
// power cuts.
struct MirrorCreate : Cmd {
  int extents = *rc::gen::inRange(2, 5);
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.mirror); }
  void apply(Model& m) const override { m.mirror = true; }
  void run(const Model&, Sut& sut) const override {
    sut.Play(Sut::Run("lvcreate --type mirror -m 1 --mirrorlog disk -l " + std::to_string(extents) +
                      " -n m0 vg0 pv5 pv6 pv7"));
    sut.Check();
  }
  void show(std::ostream& os) const override { os << "MirrorCreate(m0, " << extents << " LE)"; }
};

// A raid1 LV of two images, resynced at creation or not.
struct RaidCreate : Cmd {
  int extents = *rc::gen::inRange(2, 5);
  bool nosync = *rc::gen::arbitrary<bool>();
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.raid); }
  void apply(Model& m) const override { m.raid = true; }
  void run(const Model&, Sut& sut) const override {
    sut.Play(Sut::Run("lvcreate --type raid1 -m 1 " + std::string(nosync ? "--nosync " : "") +
                      "-l " + std::to_string(extents) + " -n r0 vg0 pv5 pv6"));
    sut.Check();
  }
  void show(std::ostream& os) const override {
    os << "RaidCreate(r0, " << extents << " LE" << (nosync ? ", nosync" : "") << ")";
  }
};

// lvconvert --splitmirrors 1 --trackchanges: r0 runs without its second
// image, the write-intent bitmap remembers what changes.
struct RaidSplit : Cmd {
  void checkPreconditions(const Model& m) const override { RC_PRE(m.raid && !m.raid_split); }
  void apply(Model& m) const override { m.raid_split = true; }
  void run(const Model&, Sut& sut) const override {
    sut.Play(Sut::Run("lvconvert --splitmirrors 1 --trackchanges vg0/r0"));
    sut.Check();
  }
  void show(std::ostream& os) const override { os << "RaidSplit(r0, --trackchanges)"; }
};

// lvconvert --merge of the tracked image: only the regions written
// meanwhile are recovered; then the legs of the in-sync array must match.
struct RaidMerge : Cmd {
  void checkPreconditions(const Model& m) const override { RC_PRE(m.raid_split); }
  void apply(Model& m) const override { m.raid_split = false; }
  void run(const Model&, Sut& sut) const override {
    sut.Play(Sut::Run("lvconvert --merge vg0/r0_rimage_1"));
    sut.Check();
  }
  void show(std::ostream& os) const override { os << "RaidMerge(r0_rimage_1)"; }
};

// lvcreate -s of lv0, lv1 (which moves take) or lv2 (on pv5, never moved),
// its COW on pv7 (never moved) or on pv3 or pv4 (moved, and a move's
// destination), big enough never to fill up: the snapshot reads as the
// origin did when it was taken. LVM refuses a snapshot of an LV a pvmove
// has locked (may_fail).
struct SnapCreate : Cmd {
  std::string origin = *rc::gen::weightedElement<std::string>({{2, "lv2"}, {2, "lv0"}, {1, "lv1"}});
  std::string cow_pv = *rc::gen::weightedElement<std::string>({{2, "pv7"}, {2, "pv4"}, {1, "pv3"}});
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.snapshot_live); }
  void apply(Model& m) const override {
    m.snapshot_live = true;
    if (origin == "lv2") m.lv2_snapshotted = true;
    ++m.snapshots;
  }
  void run(const Model& m, Sut& sut) const override {
    sut.Play(Sut::Run("lvcreate -s -l " + std::to_string(m.cow_extents) + " -n snap" +
                      std::to_string(m.snapshots) + " vg0/" + origin + " " + cow_pv));
    sut.Check();
  }
  void show(std::ostream& os) const override {
    os << "SnapCreate(" << origin << ", COW on " << cow_pv << ")";
  }
};

// lvconvert --merge -b: the origin goes back to what the snapshot holds, the
// merge runs in the background (power cuts, reboots and moves may land
// inside it). LVM refuses it while a pvmove has the COW LV locked.
struct SnapMerge : Cmd {
  void checkPreconditions(const Model& m) const override { RC_PRE(m.snapshot_live); }
  void apply(Model& m) const override { m.snapshot_live = false; }
  void run(const Model& m, Sut& sut) const override {
    // The merge removes the snapshot's device: a workload writing to it
    // (which holds no open count, so LVM's "Delaying merge since snapshot
    // is open" does not apply) is stopped and drained first, as a program
    // would close it. If it does not drain (held by a suspended device),
    // there is no merge this time.
    const std::string snap = "vg0/" + m.LiveSnapshot();
    if (sut.WorkloadRunning(snap)) {
      Step stop;
      stop.action = Step::Action::kWorkloadStop;
      stop.stop_lv = snap;
      sut.Play(stop);
      for (int i = 0; i < 50 && sut.WorkloadRunning(snap); ++i) sut.Play(Sut::After(2));
    }
    if (sut.WorkloadRunning(snap)) {
      sut.Play(Sut::After(1));
    } else {
      sut.Play(Sut::Run("lvconvert --merge -i 1 -b " + snap));
    }
    sut.Check();
  }
  void show(std::ostream& os) const override { os << "SnapMerge(snap)"; }
};

}  // namespace

void RunStateMachine(const Model& model, Sut& sut, int max_commands) {
  const auto commands = *rc::gen::resize(
      max_commands,
      rc::state::gen::commands(
          model, rc::state::gen::execOneOfWithArgs<
                     Io, Io, Wait, Wait, Wait, Pvmove, Pvmove, Pvmove, Abort, MoveThenAbort, Crash,
                     Crash, CrashUnderLoad, Activate, Activate, Fault, LvChange, MirrorCreate,
                     MirrorCrash, MirrorCrash, RaidCreate, RaidSplit, RaidMerge, SnapCreate,
                     SnapMerge, SnapIo, SubLvMove, SubLvMove>()));
  rc::state::runAll(commands, model, sut);
  sut.Liveness();
}

}  // namespace lvlab::propcheck
