#include "propcheck/commands.h"

#include <rapidcheck.h>
#include <rapidcheck/state.h>

namespace lvlab::propcheck {
namespace {

using Cmd = rc::state::Command<Model, Sut>;
using scenarios::Step;

rc::Gen<std::string> Pv(const Model& m) { return rc::gen::elementOf(m.pvs); }

// Foreground I/O on a lab LV: a bounded workload (fio-like, checked by the
// oracle on every read).
struct Io : Cmd {
  std::string lv = *rc::gen::element<std::string>("lv0", "lv1");
  uint32_t ios = *rc::gen::inRange<uint32_t>(8, 200);
  uint32_t write = *rc::gen::element<uint32_t>(100, 70, 30);
  uint32_t flush_every = *rc::gen::element<uint32_t>(0, 1, 4, 16);
  bool fua = *rc::gen::weightedElement<bool>({{5, false}, {1, true}});
  uint32_t block_kib = *rc::gen::element<uint32_t>(4, 16, 64);
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
  std::string src, dst, name, range;
  bool atomic = *rc::gen::weightedElement<bool>({{3, false}, {1, true}});
  int interval = *rc::gen::weightedElement<int>({{3, 0}, {2, 1}, {1, 15}});
  explicit Pvmove(const Model& m) {
    src = *Pv(m);
    dst = *rc::gen::weightedElement<std::string>({{2, ""}, {3, "pv4"}, {1, "pv3"}, {1, "pv1"}});
    name = *rc::gen::weightedElement<std::string>({{4, ""}, {1, "lv0"}, {1, "lv1"}});
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
    if (!dst.empty() && dst != src) words += " " + dst;
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
  void run(const Model&, Sut& sut) const override {
    sut.Play(Sut::Run("pvmove -i 0 " + src));
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
  std::string lv = *rc::gen::element<std::string>("lv0", "lv1");
  int64_t writes = *rc::gen::element<int64_t>(5, 20, 60);
  store::LossPolicy lose = *rc::gen::weightedElement<store::LossPolicy>(
      {{3, store::LossPolicy::kRandom}, {1, store::LossPolicy::kAll}});
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
                                                              {1, "pvmove pv1"},
                                                              {1, "pvmove pv2"},
                                                              {1, "pvmove pv3"}});
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
    const bool ok = fail || m.failed.count(pv) > 0;
    RC_PRE(ok);
  }
  void apply(Model& m) const override {
    if (fail) {
      m.failed.insert(pv);
    } else {
      m.failed.erase(pv);
    }
  }
  void run(const Model&, Sut& sut) const override {
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

}  // namespace

void RunStateMachine(const Model& model, Sut& sut, int max_commands) {
  const auto commands = *rc::gen::resize(
      max_commands,
      rc::state::gen::commands(
          model,
          rc::state::gen::execOneOfWithArgs<Io, Io, Wait, Wait, Wait, Pvmove, Pvmove, Pvmove, Abort,
                                            MoveThenAbort, Crash, Crash, CrashUnderLoad, Activate,
                                            Activate, Fault, LvChange>()));
  rc::state::runAll(commands, model, sut);
  sut.Liveness();
}

}  // namespace lvlab::propcheck
