// ScenarioRun: one play of a scenario (runner.h). Split over runner.cc
// (the step loop and reports), runner_act.cc (lab, workloads, actions),
// runner_wait.cc (conditions) and runner_expect.cc (expectations).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "scenarios/runner.h"
#include "scenarios/scenario.h"
#include "scenarios/trace_log.h"
#include "sim/check/checkers.h"
#include "sim/check/oracle.h"
#include "sim/check/workload.h"
#include "sim/lvm/machine.h"

namespace lvlab::scenarios::internal {

// Why a step failed: what was checked, what was expected and what was seen.
struct Failure {
  std::string what;
  std::string expected;
  std::string seen;
};
using Failures = std::vector<Failure>;

// Gives up a wait after this many scheduler events (a run that cannot
// advance virtual time, or a condition hidden behind endless I/O).
inline constexpr uint64_t kMaxEventsPerWait = 20'000'000;

class ScenarioRun {
 public:
  ScenarioRun(const Scenario& scenario, const RunOptions& options, std::ostream& out,
              std::ostream* trace_sink);
  RunResult Run();
  // Run() in pieces, for StepRunner: Begin builds the lab (false: broken,
  // reported); PlayStep waits, acts and checks one step (false: it failed,
  // reported); End closes the trace.
  bool Begin();
  bool PlayStep(const Step& step);
  RunResult End();
  lvm::Machine& machine() { return machine_; }
  const TraceLog& log() const { return log_; }
  bool AnyWorkloadRunning(const std::string& lv) const;
  const check::Oracle& oracle() const { return oracle_; }

 private:
  // runner.cc
  void OnBoot();
  void SnapshotEvent(std::string_view type, const std::string& line);
  uint64_t Now();
  void Narrate(const std::string& line);
  void DrainMachineOutput();
  void Report(const Step& step, const Failures& failures);
  // runner_act.cc
  Status BuildLab(Where* where);
  Status CreateLv(const LvSpec& lv);
  Status StartWorkload(const WorkloadDecl& decl);
  Failures Act(const Step& step);
  Failures RunCommandStep(const Step& step);
  Failures Fault(const FaultSpec& fault);
  void Crash(store::LossPolicy policy);
  // crash: {during: ...}: arms the power domain; the cut happens inside a
  // later write, and CompleteArmedCrash then reboots with the step's policy.
  void ArmCrash(const Step& step);
  bool ArmedCutHappened() { return armed_.has_value() && machine_.power().off(); }
  void CompleteArmedCrash();
  // runner_wait.cc
  Failures Wait(const Step& step);
  Failures WaitUntil(uint64_t run_ns, const std::string& what);
  Failures WaitFor(const Condition& c);
  bool Holds(const Condition& c, std::string* seen);
  // Pauses the running workloads and waits until none has I/O in flight
  // (reads then judge the oracle exactly); returns those to resume. An
  // armed crash on the way takes them: the list is then empty.
  std::vector<check::Workload*> QuiesceWorkloads();
  // Runs the scheduler until `done`, the run time `deadline_ns` (reached even
  // when idle if `reach_deadline`) or the event budget; false on budget. An
  // armed power cut on the way reboots the machine and the run goes on.
  bool RunWhile(const std::function<bool()>& done, uint64_t deadline_ns, bool reach_deadline);
  // runner_expect.cc
  Failures Check(const Expectations& x);
  // Reads every sector of every tracked LV through the oracle, with the
  // workloads paused; the first sector that reads wrong is a kCorrupt error.
  // With `skip_unchanged`, a range that provably reads as it did when the
  // last such check passed, and on which the oracle's verdict cannot have
  // changed, is not read again (BlockDevice::ChangedSince,
  // Oracle::ChangedSince); a pass records the check's start.
  Status ReadAllThroughOracle(bool skip_unchanged);
  Failures CheckData();
  Failures CheckDataLost();
  Failures CheckSegments(const std::string& lv, const std::vector<std::string>& want);
  Failures CheckObject(const ObjectExpect& o, bool pv);
  Failures CheckStatus(const std::string& dev, const std::string& regex);
  Failures CheckEvent(const EventExpect& e);
  // runner_consistent.cc
  Failures CheckConsistent();
  Failures CheckMetadata(const std::string& vg);
  Failures CheckMirrorLegs();
  Result<std::string> ReportField(const std::string& object, const std::string& field, bool pv);

  const Scenario& s_;
  const RunOptions& o_;
  std::ostream& out_;
  const uint64_t seed_;
  TraceLog log_;
  lvm::Machine machine_;
  check::Oracle oracle_;
  std::vector<std::unique_ptr<check::Workload>> workloads_;
  std::vector<std::string> lost_violations_;  // of workloads stopped by crashes
  // The last passed data check of each LV: the change stamp
  // (sim/base/change_clock.h) at its start, and where the LV's reads went
  // (dm::BlockDevice::Resolve; empty if they did not resolve, or a table
  // on the way changed during the check). A range whose device was
  // reloaded or made anew (a reboot) but still reads the same unchanged
  // disk sectors needs no re-read.
  struct DataPassed {
    uint64_t stamp = 0;
    std::vector<dm::DiskExtent> where;
  };
  std::map<std::string, DataPassed> data_passed_;
  // The last passed comparison of each pair of mirror legs or raid1 images
  // ("dev kind line leg").
  std::map<std::string, check::LegsPassed> legs_passed_;
  uint64_t workload_serial_ = 0;
  uint64_t boot_ns_ = 0;                    // run time when the current boot started
  uint64_t last_step_ns_ = 0;               // run time when the previous step ended
  std::optional<store::LossPolicy> armed_;  // an armed crash's policy
  RunResult result_;
};

}  // namespace lvlab::scenarios::internal
