// StepRunner: plays a scenario one step at a time, for scenarios that are
// generated while they run (the property tests in propcheck/ decide each
// next step by looking at the machine). Playing steps s1..sn this way is
// exactly RunScenario over a Scenario whose steps are s1..sn: same waits,
// actions, checks, reports and trace, so a generated sequence written out
// as YAML reproduces byte for byte under `lvlab run`.
//
// The runner keeps a reference to the Scenario (name, file, seed, lab); the
// steps given to Play need not be in it. Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "scenarios/runner.h"
#include "scenarios/scenario.h"
#include "sim/lvm/machine.h"

namespace lvlab::scenarios {

namespace internal {
class ScenarioRun;
}

class StepRunner {
 public:
  // REQUIRES: scenario and options (and options.out) outlive the runner.
  StepRunner(const Scenario& scenario, const RunOptions& options);
  ~StepRunner();

  // Builds the lab and starts its workloads. False if it cannot be built
  // (reported on options.out).
  bool Start();
  // Waits, acts and checks one step. False if the step failed (reported on
  // options.out); the run should stop there.
  bool Play(const Step& step);
  // Ends the trace; the result has its hash, the virtual time and steps.
  RunResult Finish();

  // The machine as it is between steps, to decide what to do next. Callers
  // must not change it.
  lvm::Machine& machine();
  // Trace events of `type` since the start.
  uint64_t EventCount(const std::string& type) const;
  bool WorkloadRunning(const std::string& lv) const;
  // The LVs whose data `expect: data: intact` checks (VG/LV, name order):
  // the lab's, those a workload ran on, snapshots of those.
  std::vector<std::string> CheckedLvs() const;

 private:
  std::unique_ptr<internal::ScenarioRun> run_;
};

}  // namespace lvlab::scenarios
