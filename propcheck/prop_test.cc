// The property tests (ctest label prop), one executable with two modes:
//
//   prop_test --cases N [--seed S]   N cases from seed S with every bug off:
//                                    none may fail.
//   prop_test --find BUG [--seconds T] [--seed S]
//                                    cases from seed S with BUG on until one
//                                    fails (it must, within T seconds of the
//                                    process's CPU time); then its reproducer must fail
//                                    under `lvlab run --bug BUG` and pass
//                                    without it.
//
// Prints SEED= first and a reproduce command on failure.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "propcheck/campaign.h"
#include "scenarios/runner.h"

namespace {

using namespace lvlab;

int NoBug(uint64_t seed, uint64_t cases, const propcheck::CaseOptions& o) {
  std::cout << "SEED=" << seed << " cases=" << cases << std::endl;
  for (uint64_t k = 0; k < cases; ++k) {
    propcheck::CaseOutcome c = propcheck::RunCase(seed + k, o);
    if (c.failed) {
      const std::string file = "prop-nobug-seed-" + std::to_string(seed + k) + ".yaml";
      std::ofstream(file) << c.yaml;
      std::cout << "FAIL case seed " << seed + k << " with no bug on:\n"
                << c.counterexample << c.report
                << "reproduce: " << propcheck::RerunCommand(file, c.yaml, o.bugs) << "\n"
                << "rerun this test: prop_test --cases 1 --seed " << seed + k << "\n";
      return 1;
    }
  }
  if (std::getenv("PROP_SHOW")) std::cout << propcheck::RunCase(seed, o).played;
  std::cout << "PASS " << cases << " cases, no failure\n";
  return 0;
}

int Replay(const std::string& file, const lvm::Bugs& bugs) {
  std::ostringstream quiet;
  scenarios::RunOptions o;
  o.bugs = bugs;
  o.out = &quiet;
  return scenarios::RunScenarioFile(file, o);
}

double CpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

int Find(const std::string& bug, uint64_t seed, double seconds, propcheck::CaseOptions o) {
  if (Status st = lvm::EnableBug(&o.bugs, bug); !st.ok()) {
    std::cout << st.message() << "\n";
    return 2;
  }
  std::cout << "SEED=" << seed << " bug=" << bug << std::endl;
  // The budget is this process's CPU time, so that a loaded machine (ctest
  // runs tests side by side) does not fail a search that a quiet one passes.
  const double c0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (uint64_t k = 0;; ++k) {
    const double t = CpuSeconds() - c0;
    if (t > seconds) {
      std::cout << "FAIL " << bug << " not found in " << k << " cases (" << seconds
                << " CPU s); rerun: prop_test --find " << bug << " --seed " << seed << "\n";
      return 1;
    }
    propcheck::CaseOutcome c = propcheck::RunCase(seed + k, o);
    if (!c.failed) continue;
    const std::string file = "prop-" + bug + ".yaml";
    std::ofstream(file) << c.yaml;
    std::cout << "found " << bug << " at case " << k << " (seed " << seed + k << ") after " << t
              << " CPU s ("
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
              << " s wall); shrunk to:\n"
              << c.counterexample << c.report;
    const int with = Replay(file, o.bugs);
    const int without = Replay(file, lvm::Bugs{});
    std::cout << "reproducer " << file << ": exit " << with << " with the bug, " << without
              << " without\n";
    if (with != scenarios::kExitFailed || without != scenarios::kExitPass) {
      std::cout << "FAIL the reproducer must fail (1) with the bug and pass (0) without; "
                << "reproduce: " << propcheck::RerunCommand(file, c.yaml, o.bugs) << "\n";
      return 1;
    }
    std::cout << "PASS\n";
    return 0;
  }
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 1, cases = 0;
  double seconds = 60;
  std::string bug;
  propcheck::CaseOptions o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--cases") cases = std::stoull(v);
    if (k == "--seed") seed = std::stoull(v);
    if (k == "--seconds") seconds = std::stod(v);
    if (k == "--find") bug = v;
    if (k == "--commands") o.max_commands = std::stoi(v);
    if (k == "--lv-mib") o.lv_mib = std::stoull(v);
  }
  if (!bug.empty()) return Find(bug, seed, seconds, o);
  return NoBug(seed, cases ? cases : 20, o);
}
