#include "scenarios/step_runner.h"

#include <iostream>

#include "scenarios/runner_internal.h"

namespace lvlab::scenarios {

StepRunner::StepRunner(const Scenario& scenario, const RunOptions& options)
    : run_(std::make_unique<internal::ScenarioRun>(
          scenario, options, options.out ? *options.out : std::cout, nullptr)) {}

StepRunner::~StepRunner() = default;

bool StepRunner::Start() { return run_->Begin(); }
bool StepRunner::Play(const Step& step) { return run_->PlayStep(step); }
RunResult StepRunner::Finish() { return run_->End(); }
lvm::Machine& StepRunner::machine() { return run_->machine(); }
uint64_t StepRunner::EventCount(const std::string& type) const { return run_->log().Count(type); }
bool StepRunner::WorkloadRunning(const std::string& lv) const {
  return run_->AnyWorkloadRunning(lv);
}

std::vector<std::string> StepRunner::CheckedLvs() const { return run_->oracle().tracked_lvs(); }

}  // namespace lvlab::scenarios
