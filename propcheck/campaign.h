// One fuzz case and a campaign of them: the engine behind the prop tests,
// the benchmark and `lvlab fuzz`.
//
// A case is one RapidCheck property run from a seed: a generated command
// sequence played on a fresh simulated machine (sut.h), shrunk to a minimal
// failing sequence if it fails. The same seed and options give the same
// case, byte for byte. A failing case carries its reproducer: a scenario
// YAML that `lvlab run FILE --bug NAME` fails on (and, if the failure is
// the bug's, passes without it).
//
// Not thread-safe (RapidCheck and the last-failure record are per
// process); parallel campaigns use processes.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "sim/lvm/bugs.h"

namespace lvlab::propcheck {

struct CaseOptions {
  uint64_t lv_mib = 16;   // lv0's size; lv1 is half
  int max_commands = 30;  // about the longest generated sequence
  bool shrink = true;
  lvm::Bugs bugs;
};

struct CaseOutcome {
  bool failed = false;
  std::string yaml;                // the shrunk reproducer (failed only)
  std::string report;              // the runner's failure report for it
  std::string counterexample;      // RapidCheck's shrunk command list
  std::set<std::string> coverage;  // "segment state x crash point x loss policy"
  std::string played;              // the scenario of a passing case, as YAML
  size_t steps = 0;                // its steps
};

CaseOutcome RunCase(uint64_t seed, const CaseOptions& options);

// "lvlab run FILE --seed N --bug NAME...": the reproduce command.
std::string RerunCommand(const std::string& file, const std::string& yaml, const lvm::Bugs& bugs);

}  // namespace lvlab::propcheck
