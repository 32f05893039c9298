#include "propcheck/campaign.h"

#include <rapidcheck.h>

#include <sstream>

#include "propcheck/commands.h"
#include "propcheck/scenario_yaml.h"
#include "propcheck/sut.h"

namespace lvlab::propcheck {

CaseOutcome RunCase(uint64_t seed, const CaseOptions& options) {
  CaseOutcome out;
  ClearLastFailure();
  rc::detail::TestParams params;
  params.seed = seed;
  params.maxSuccess = 1;
  params.maxSize = options.max_commands;
  params.disableShrinking = !options.shrink;
  std::set<std::string> coverage;
  std::string played;
  size_t steps = 0;
  const auto result = rc::detail::checkTestable(
      [&] {
        // The machine's root seed is the case's seed (never shrunk): power
        // cut tears, workload streams and IDs vary from case to case.
        const uint64_t machine_seed = seed;
        scenarios::RunOptions run;
        run.bugs = options.bugs;
        const scenarios::Scenario lab = FuzzLab(machine_seed, options.lv_mib);
        Sut sut(lab, run);
        Model model;
        model.cow_extents = lab.lab.lvs[0].extents + 2;
        RunStateMachine(model, sut, options.max_commands);
        coverage.insert(sut.coverage().begin(), sut.coverage().end());
        played = ScenarioYaml(sut.scenario());
        steps = sut.scenario().steps.size();
      },
      rc::detail::TestMetadata{}, params);
  out.coverage = std::move(coverage);
  out.played = std::move(played);
  out.steps = steps;
  rc::detail::FailureResult failure;
  if (result.match(failure)) {
    out.failed = true;
    out.yaml = LastFailureYaml();
    out.report = LastFailureReport();
    std::ostringstream ce;
    for (const auto& [type, value] : failure.counterExample) ce << value << "\n";
    out.counterexample = ce.str();
    if (out.yaml.empty()) out.report = failure.description;
  }
  return out;
}

std::string RerunCommand(const std::string& file, const std::string& yaml, const lvm::Bugs& bugs) {
  std::string seed = "1";
  const size_t at = yaml.find("\nseed: ");
  if (at != std::string::npos) seed = yaml.substr(at + 7, yaml.find('\n', at + 1) - at - 7);
  std::string cmd = "lvlab run " + file + " --seed " + seed;
  for (const std::string& name : lvm::EnabledBugs(bugs)) cmd += " --bug " + name;
  return cmd;
}

}  // namespace lvlab::propcheck
