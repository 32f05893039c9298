// Sut: the system under test of the property tests, a simulated machine
// played through the scenario runner one generated step at a time
// (scenarios::StepRunner). Every command of the state machine becomes one
// or more scenario steps in the CLI's own words; the steps played so far
// form a Scenario that, written out as YAML, reproduces the run exactly
// under `lvlab run --seed N --bug NAME`.
//
// After each command the Sut plays a check step: `consistent` always (the
// highest seqno is read, no extent used twice, in-sync mirror legs and raid1
// images identical) and `data: intact` (every sector of every checked LV as
// the oracle allows) whenever the LVs can be read (every checked LV active,
// no PV failed). A failed step records the scenario as the last failure and
// fails the RapidCheck case with the runner's report.
//
// Not thread-safe; one Sut per case.
#pragma once

#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "scenarios/runner.h"
#include "scenarios/scenario.h"
#include "scenarios/step_runner.h"

namespace lvlab::propcheck {

// The machine the fuzzer plays on: seven PVs, vg0 on all of them, lv0 over
// pv1, pv2 and pv3 and lv1 over pv2 and pv1, pv4 free for moves, lv2 (the
// snapshots' origin) on pv5, pv5..pv7 for the mirror, raid1 and snapshot
// LVs that commands create. `lv_mib` is lv0's size (lv1 and lv2 are half
// as big).
scenarios::Scenario FuzzLab(uint64_t seed, uint64_t lv_mib);

class Sut {
 public:
  Sut(const scenarios::Scenario& lab, const scenarios::RunOptions& options);
  ~Sut();

  // Plays `step` as the next step; on failure records the scenario and
  // fails the RapidCheck case.
  void Play(scenarios::Step step);
  // The check step after a command.
  void Check();
  // Liveness, at the end of a case: restore every PV, activate, resume
  // every move, give it 20 s, abort what still moves, wait for idle, remove
  // leftover pvmove LVs; then no pvmove LV is left and the data is intact.
  void Liveness();

  // Helpers that build steps.
  static scenarios::Step Run(const std::string& words, bool may_fail = true);
  static scenarios::Step After(uint64_t ms);

  // Observations of the machine between steps.
  bool Active(const std::string& vg_lv);
  bool Readable();
  bool WorkloadRunning(const std::string& lv) const { return runner_.WorkloadRunning(lv); }
  std::vector<std::string> PvmoveLvs();
  // "running-seg2", "atomic", "finish-1", "none": where the moves are.
  std::string SegmentState();
  const std::set<std::string>& failed() const { return failed_; }

  const scenarios::Scenario& scenario() const { return scenario_; }
  std::set<std::string>& coverage() { return coverage_; }

 private:
  scenarios::Scenario scenario_;
  std::ostringstream report_;
  scenarios::RunOptions options_;
  scenarios::StepRunner runner_;
  std::set<std::string> failed_;
  std::set<std::string> coverage_;
};

// The scenario YAML of the last failed Sut step in this process, and its
// report; cleared by ClearLastFailure.
const std::string& LastFailureYaml();
const std::string& LastFailureReport();
void ClearLastFailure();

}  // namespace lvlab::propcheck
