#include "propcheck/sut.h"

#include <rapidcheck.h>

#include "propcheck/scenario_yaml.h"
#include "sim/lvm/names.h"

namespace lvlab::propcheck {
namespace {

using scenarios::Step;

std::string& FailureYaml() {
  static std::string yaml;
  return yaml;
}
std::string& FailureReport() {
  static std::string report;
  return report;
}

std::string Range(const std::string& pv, uint64_t first, uint64_t count) {
  return pv + ":" + std::to_string(first) + "-" + std::to_string(first + count - 1);
}

}  // namespace

const std::string& LastFailureYaml() { return FailureYaml(); }
const std::string& LastFailureReport() { return FailureReport(); }
void ClearLastFailure() {
  FailureYaml().clear();
  FailureReport().clear();
}

scenarios::Scenario FuzzLab(uint64_t seed, uint64_t lv_mib) {
  scenarios::Scenario s;
  s.name = "fuzz";
  s.file = "fuzz.yaml";
  s.seed = seed;
  const uint64_t extent_mib = lv_mib <= 16 ? 1 : 4;
  s.lab.extent_size_bytes = extent_mib << 20;
  // Slow drives, so that a poll sees a segment part-copied.
  s.lab.disk.bandwidth_bytes_per_sec = 16ULL << 20;
  const uint64_t lv0 = std::max<uint64_t>(lv_mib / extent_mib, 3);
  const uint64_t lv1 = std::max<uint64_t>(lv0 / 2, 2);
  const uint64_t pv_mib = (lv0 + lv1) * extent_mib + 8;
  // pv5..pv7 hold the LVs of their own kind (mirror, raid1, snapshot COW),
  // which no generated pvmove takes as its source.
  for (const char* name : {"pv1", "pv2", "pv3", "pv4", "pv5", "pv6", "pv7"}) {
    scenarios::PvSpec pv;
    pv.name = name;
    pv.size_bytes = pv_mib << 20;
    s.lab.pvs.push_back(pv);
  }
  // Commits go to the PVs in VG order, scans in name order: a power cut
  // during a commit leaves pv1 the stalest copy.
  s.lab.vgs.push_back({"vg0", {"pv7", "pv6", "pv5", "pv4", "pv3", "pv2", "pv1"}, {}});
  const uint64_t a = lv0 / 3, b = lv0 / 3, c = lv0 - a - b;
  scenarios::LvSpec l0;
  l0.vg = "vg0";
  l0.name = "lv0";
  l0.ranges = {Range("pv1", 0, a), Range("pv2", 0, b), Range("pv3", 0, c)};
  l0.extents = lv0;
  scenarios::LvSpec l1;
  l1.vg = "vg0";
  l1.name = "lv1";
  l1.ranges = {Range("pv2", b, lv1 - lv1 / 2), Range("pv1", a, lv1 / 2)};
  l1.extents = lv1;
  // lv2, on pv5, is the origin of the snapshots: no move ever touches it.
  scenarios::LvSpec l2;
  l2.vg = "vg0";
  l2.name = "lv2";
  l2.ranges = {Range("pv5", 0, lv1)};
  l2.extents = lv1;
  s.lab.lvs = {l0, l1, l2};
  return s;
}

Sut::Sut(const scenarios::Scenario& lab, const scenarios::RunOptions& options)
    : scenario_(lab), options_(options), runner_(scenario_, [this] {
        options_.out = &report_;
        return std::cref(options_);
      }()) {
  scenario_.steps.clear();
  if (!runner_.Start()) {
    FailureYaml() = ScenarioYaml(scenario_);
    FailureReport() = report_.str();
    RC_FAIL("the fuzz lab cannot be built: " + report_.str());
  }
}

Sut::~Sut() = default;

Step Sut::Run(const std::string& words, bool may_fail) {
  Step st;
  st.action = Step::Action::kRun;
  st.command = words;
  st.may_fail = may_fail;
  return st;
}

Step Sut::After(uint64_t ms) {
  Step st;
  st.condition.kind = scenarios::Condition::Kind::kAfter;
  st.condition.time_ns = ms * 1'000'000;
  return st;
}

void Sut::Play(Step step) {
  step.number = static_cast<int>(scenario_.steps.size()) + 1;
  step.where.line = step.number + 100;  // informational
  if (step.action == Step::Action::kFault) {
    if (step.fault.change.failed.value_or(false)) {
      failed_.insert(step.fault.pv);
    } else {
      failed_.erase(step.fault.pv);
    }
  }
  scenario_.steps.push_back(step);
  if (!runner_.Play(scenario_.steps.back())) {
    FailureYaml() = ScenarioYaml(scenario_);
    FailureReport() = report_.str();
    RC_FAIL(report_.str());
  }
}

bool Sut::Active(const std::string& vg_lv) {
  const size_t slash = vg_lv.find('/');
  return runner_.machine().sys().kernel().Find(
             lvm::DmName(vg_lv.substr(0, slash), vg_lv.substr(slash + 1))) != nullptr;
}

bool Sut::Readable() {
  if (!failed_.empty()) return false;
  dm::Kernel& k = runner_.machine().sys().kernel();
  for (const dm::Device* d : k.List()) {
    if (d->suspended()) return false;
  }
  for (const std::string& lv : runner_.CheckedLvs()) {
    if (!Active(lv)) return false;
  }
  return true;
}

std::vector<std::string> Sut::PvmoveLvs() {
  std::vector<std::string> out;
  auto read = runner_.machine().lab().PeekVg("vg0");
  if (!read.ok()) return out;
  for (const lvm::LogicalVolume& lv : (*read)->lvs) {
    if (lv.name.rfind("pvmove", 0) == 0 && lv.name.find('_') == std::string::npos) {
      out.push_back(lv.name);
    }
  }
  return out;
}

std::string Sut::SegmentState() {
  auto read = runner_.machine().lab().PeekVg("vg0");
  if (!read.ok()) return "unreadable";
  std::string state;
  for (const lvm::LogicalVolume& lv : (*read)->lvs) {
    if (lv.name.rfind("pvmove", 0) != 0 || lv.name.find('_') != std::string::npos) continue;
    std::string s;
    if (!lv.Has(lvm::kPvmove)) {
      s = "finish-1";
    } else {
      size_t done = 0, mirrors = 0;
      bool atomic = false;
      for (const lvm::Segment& seg : lv.segments) {
        if (seg.type != "mirror") continue;
        ++mirrors;
        atomic = atomic || seg.areas[0].kind == lvm::Area::Kind::kLv;
        if (seg.extents_moved && *seg.extents_moved == seg.extent_count) ++done;
      }
      s = atomic ? (done ? "atomic-complete" : "atomic-running")
                 : (done == 0             ? "first-segment"
                    : done + 1 == mirrors ? "last-segment"
                                          : "mid-move");
    }
    state += (state.empty() ? "" : "+") + s;
  }
  return state.empty() ? "no-move" : state;
}

void Sut::Check() {
  Step st;
  st.expect.consistent = true;
  st.expect.data_intact = Readable();
  Play(st);
}

void Sut::Liveness() {
  // Unconditional steps (every PV restored, abort and removal tried) so
  // that the epilogue is the same whether or not a bug is switched on when
  // the reproducer is replayed.
  for (const std::string& pv : scenario_.lab.vgs[0].pvs) {
    if (!failed_.count(pv)) continue;
    Step st;
    st.action = Step::Action::kFault;
    st.fault.pv = pv;
    st.fault.change.restore = true;
    Play(st);
    // dmeventd's repair may have flagged it missing (refused if not).
    Play(Run("vgextend --restoremissing vg0 " + pv));
  }
  Play(Run("vgchange -ay vg0"));
  Check();
  Play(Run("pvmove"));
  // A move whose copy failed while a PV was down does not resync by itself
  // (no handle_errors, as LVM's pvmove mirror): give resuming 20 s of
  // virtual time, then abort what is left.
  Play(After(20'000));
  Play(Run("pvmove --abort"));
  Step idle;
  idle.condition.kind = scenarios::Condition::Kind::kIdle;
  Play(idle);
  // A crash between the two finish commits leaves an error LV to remove:
  // one lvremove tries every name (and fails for those not there).
  Step end;
  end.expect.data_intact = true;
  end.expect.consistent = true;
  std::string remove = "lvremove -y";
  for (int i = 0; i < 4; ++i) {
    const std::string lv = "vg0/pvmove" + std::to_string(i);
    remove += " " + lv;
    scenarios::ObjectExpect gone;
    gone.name = lv;
    gone.absent = true;
    end.expect.lvs.push_back(gone);
  }
  Play(Run(remove));
  Play(end);
}

}  // namespace lvlab::propcheck
