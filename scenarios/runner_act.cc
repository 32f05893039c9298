// Building the lab, workloads and the actions of steps.
#include <algorithm>
#include <map>

#include "scenarios/machine_session.h"
#include "scenarios/runner_internal.h"
#include "scenarios/yaml_util.h"
#include "sim/base/rng.h"
#include "sim/lvm/crash_match.h"
#include "sim/lvm/names.h"
#include "sim/lvm/pv_format.h"

namespace lvlab::scenarios::internal {
namespace {

Result<std::pair<std::string, std::string>> Split(const std::string& path) {
  const size_t slash = path.find('/');
  if (slash == std::string::npos) return InvalidArgument("'" + path + "' is not VG/LV");
  return std::pair(path.substr(0, slash), path.substr(slash + 1));
}

// The extent count of "pv1:0-9" or "pv1:3+4" (checked by the loader).
uint64_t RangeExtents(const std::string& range) {
  const std::string span = range.substr(range.find(':') + 1);
  const size_t sep = span.find_first_of("-+");
  const uint64_t a = std::stoull(span.substr(0, sep)), b = std::stoull(span.substr(sep + 1));
  return span[sep] == '+' ? b : b - a + 1;
}

}  // namespace

// lvcreate allocates from its PV arguments in its own order; the lab's
// ranges are kept in the file's order by extending the LV one range at a time.
Status ScenarioRun::CreateLv(const LvSpec& lv) {
  lvm::Context& ctx = machine_.ctx();
  lvm::LvcreateArgs a;
  a.vg = lv.vg;
  a.name = lv.name;
  a.size_bytes = lv.size_bytes;
  if (!lv.ranges.empty()) {
    a.extents = std::to_string(RangeExtents(lv.ranges[0]));
    a.pvs = {lv.ranges[0]};
  }
  Status st = lvm::Lvcreate(ctx, a);
  for (size_t i = 1; st.ok() && i < lv.ranges.size(); ++i) {
    lvm::LvextendArgs e;
    e.lv = lv.path();
    e.extents = "+" + std::to_string(RangeExtents(lv.ranges[i]));
    e.pvs = {lv.ranges[i]};
    st = lvm::Lvextend(ctx, e);
  }
  if (!st.ok()) return Status(st.code(), st.message() + " " + machine_.TakeErr());
  return Status::Ok();
}

Status ScenarioRun::BuildLab(Where* where) {
  lvm::Context& ctx = machine_.ctx();
  for (const PvSpec& pv : s_.lab.pvs) {
    *where = pv.where;
    if (pv.model) machine_.SetDiskModel(pv.name, *pv.model);  // kept across reboots
    LVLAB_RETURN_IF_ERROR(
        lvm::Pvcreate(ctx, pv.name, pv.size_bytes, lvm::kDefaultPeStartBytes, pv.metadata_copies));
  }
  for (const VgSpec& vg : s_.lab.vgs) {
    *where = vg.where;
    LVLAB_RETURN_IF_ERROR(lvm::Vgcreate(ctx, {vg.name, vg.pvs, s_.lab.extent_size_bytes}));
  }
  for (const LvSpec& lv : s_.lab.lvs) {
    *where = lv.where;
    LVLAB_RETURN_IF_ERROR(CreateLv(lv));
    dm::Device* dev = machine_.sys().kernel().Find(lvm::DmName(lv.vg, lv.name));
    if (dev) oracle_.Track(lv.path(), dev->size_sectors());
  }
  (void)machine_.TakeOut();
  for (const WorkloadDecl& w : s_.workloads) {
    *where = w.where;
    LVLAB_RETURN_IF_ERROR(StartWorkload(w));
  }
  return Status::Ok();
}

bool ScenarioRun::AnyWorkloadRunning(const std::string& lv) const {
  return std::any_of(workloads_.begin(), workloads_.end(),
                     [&](const auto& w) { return w->spec().lv == lv && !w->done(); });
}

Status ScenarioRun::StartWorkload(const WorkloadDecl& decl) {
  LVLAB_ASSIGN_OR_RETURN(auto vg_lv, Split(decl.lv));
  dm::Device* dev = machine_.sys().kernel().Find(lvm::DmName(vg_lv.first, vg_lv.second));
  if (!dev) {
    return FailedPrecondition("workload on " + decl.lv +
                              ": the LV is not active (activate it "
                              "first, e.g. run: vgchange -ay " +
                              vg_lv.first + ")");
  }
  if (AnyWorkloadRunning(decl.lv)) {
    return FailedPrecondition("a workload is already running on " + decl.lv +
                              "; stop it first (workload: {stop: " + decl.lv + "})");
  }
  LVLAB_RETURN_IF_ERROR(decl.spec.Validate(dev->size_sectors()));
  // An LV made by a run: step (lvcreate --type raid1 ...) is tracked from its
  // first workload on; it reads as zeros until then (fresh PVs, wiped start).
  if (!oracle_.tracked(decl.lv)) oracle_.Track(decl.lv, dev->size_sectors());
  const uint64_t seed =
      Rng(seed_)
          .Derive("scenario-workload/" + decl.lv + "/" + std::to_string(workload_serial_++))
          .Next();
  auto w = std::make_unique<check::Workload>(decl.spec, dev, &oracle_, &machine_.sys().scheduler(),
                                             &machine_.sys().trace(), seed);
  w->Start();
  workloads_.push_back(std::move(w));
  return Status::Ok();
}

void ScenarioRun::Crash(store::LossPolicy policy) {
  machine_.sys().trace().Emit("power-cut", {{"lose", store::LossPolicyName(policy)}});
  // Workloads die with the machine; the oracle learns what may be lost.
  for (const auto& w : workloads_) {
    if (w->stats().violations) lost_violations_.push_back(w->first_violation().message());
  }
  workloads_.clear();
  oracle_.PowerLoss();
  boot_ns_ = Now();
  machine_.Crash(policy);
  OnBoot();
}

Failures ScenarioRun::Fault(const FaultSpec& fault) {
  lvm::LabPv* pv = machine_.lab().FindPv(fault.pv);
  if (!pv || !pv->disk) {
    std::vector<std::string> names;
    for (lvm::LabPv* p : machine_.lab().pvs()) names.push_back(p->name);
    return {{"fault on " + fault.pv, "a PV of the lab",
             "no PV named " + fault.pv + yaml::Suggest(fault.pv, names)}};
  }
  fault.change.ApplyTo(&pv->disk->faults(), machine_.sys().scheduler().now_ns());
  machine_.sys().trace().Emit("fault",
                              {{"pv", fault.pv}, {"faults", pv->disk->faults().Describe()}});
  return {};
}

void ScenarioRun::ArmCrash(const Step& step) {
  const CrashDuring d = *step.during;
  machine_.power().CutAtMatchingWrite(lvm::MatchWrites(machine_.lab(), d.what, d.pv),
                                      static_cast<int64_t>(d.count));
  armed_ = step.lose;
  machine_.sys().trace().Emit("crash-armed", {{"during", d.what},
                                              {"pv", d.pv},
                                              {"count", d.count},
                                              {"lose", store::LossPolicyName(step.lose)}});
}

void ScenarioRun::CompleteArmedCrash() {
  const store::LossPolicy policy = *armed_;
  armed_.reset();
  Narrate("the power went off during an armed write; rebooting (lose " +
          std::string(store::LossPolicyName(policy)) + ")");
  Crash(policy);
}

Failures ScenarioRun::RunCommandStep(const Step& step) {
  CommandResult r = RunCommand(machine_, step.command);
  const std::string said = r.out + r.err;
  DrainMachineOutput();
  if (ArmedCutHappened()) {  // the command died with the machine: no exit status
    if (o_.narrate)
      out_ << "    | (power cut while running; its messages: " << said.size() << " bytes)\n";
    CompleteArmedCrash();
    return {};
  }
  if (o_.narrate && !said.empty()) {
    size_t at = 0;
    while (at < said.size()) {
      size_t end = said.find('\n', at);
      if (end == std::string::npos) end = said.size();
      out_ << "    | " << said.substr(at, end - at) << "\n";
      at = end + 1;
    }
  }
  const std::string exit = "exit " + std::to_string(r.exit_code);
  if (step.expect.error) {
    if (r.exit_code != 0 && said.find(*step.expect.error) != std::string::npos) return {};
    return {{step.Describe(), "the command fails with \"" + *step.expect.error + "\"",
             exit + (said.empty() ? "" : ": " + said)}};
  }
  if (r.exit_code == 0 || step.may_fail) return {};
  return {{step.Describe(), "exit 0", exit + ": " + said}};
}

Failures ScenarioRun::Act(const Step& step) {
  switch (step.action) {
    case Step::Action::kNone:
      return {};
    case Step::Action::kRun:
      return RunCommandStep(step);
    case Step::Action::kCrash:
      if (step.during) {
        ArmCrash(step);
        return {};
      }
      armed_.reset();
      if (step.crash_after_writes >= 0) {
        // The power goes at the N+1-th disk write or flush from now (torn),
        // or now if the machine runs out of work or 10 virtual minutes
        // pass first.
        machine_.power().CutAfterWrites(step.crash_after_writes);
        RunWhile([&] { return machine_.power().off(); }, Now() + 600 * kNsPerSecond, false);
      }
      Crash(step.lose);
      return {};
    case Step::Action::kFault:
      return Fault(step.fault);
    case Step::Action::kWorkloadStart: {
      Status st = StartWorkload(step.workload);
      if (st.ok()) return {};
      return {{step.Describe(), "the workload starts", st.message()}};
    }
    case Step::Action::kFio:
    case Step::Action::kWaitFio:  // the loader keeps these to mounted scenarios
      return {{step.Describe(), "a mount: true scenario", "a simulated machine"}};
    case Step::Action::kWorkloadStop: {
      if (!AnyWorkloadRunning(step.stop_lv)) {
        return {{step.Describe(), "a running workload on " + step.stop_lv, "none is running"}};
      }
      for (const auto& w : workloads_) {
        if (w->spec().lv == step.stop_lv) w->Stop();
      }
      return {};
    }
  }
  return {};
}

}  // namespace lvlab::scenarios::internal
