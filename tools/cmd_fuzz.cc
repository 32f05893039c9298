// fuzz: a property-test campaign over random abort/resume/crash sequences
// (propcheck/fuzz.h), or --merge of the summaries of sharded campaigns.
#include <iostream>

#include "propcheck/fuzz.h"
#include "sim/base/units.h"
#include "tools/cli.h"

namespace lvlab::tools {
namespace {

// "60s", "10m", "1h", "90" (seconds).
bool ParseBudget(const std::string& text, double* seconds) {
  if (text.empty()) return false;
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (...) {
    return false;
  }
  const std::string unit = text.substr(used);
  const double scale = unit.empty() || unit == "s"    ? 1
                       : unit == "m" || unit == "min" ? 60
                       : unit == "h"                  ? 3600
                                                      : -1;
  if (scale < 0 || v < 0) return false;
  *seconds = v * scale;
  return true;
}

}  // namespace

void SetupFuzz(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand(
      "fuzz",
      "Property-test campaign: random pvmove/abort/resume/crash sequences, shrunk "
      "reproducers");
  auto o = std::make_shared<propcheck::FuzzOptions>();
  auto budget = std::make_shared<std::string>("60s");
  auto bugs = std::make_shared<std::vector<std::string>>();
  auto merge = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--time", *budget, "Wall-clock budget: 60s, 10m, 1h (default 60s)");
  cmd->add_option("--seed", o->first_seed,
                  "First case seed (default 1); cases use seed, seed+1, ...");
  cmd->add_option("--cases", o->max_cases, "Stop after this many cases (default: the time budget)");
  cmd->add_option("--jobs", o->jobs, "Worker processes (default 1)")->check(CLI::Range(1, 256));
  cmd->add_option("--out", o->out_dir,
                  "Directory for reproducers and summary.txt (default fuzz-out)");
  cmd->add_option("--bug", *bugs, "Switch on a catalogued bug (repeatable; docs/bugs.md)");
  cmd->add_option("--commands", o->cases.max_commands, "Longest command sequence (default 30)");
  cmd->add_option("--lv-size", o->cases.lv_mib, "lv0's size in MiB (default 16)");
  cmd->add_flag("--stop", o->stop_at_first_failure, "Stop each job at its first failure");
  cmd->add_option("--merge", *merge, "Add up the summary.txt of these --out directories instead");
  cmd->footer(
      "Exit status: 0 nothing failed, 1 a case failed (reproducers in --out), 2 bad usage.\n"
      "Examples:\n  lvlab fuzz --time 10m --jobs 2 --out fuzz-out\n"
      "  lvlab fuzz --bug checkpoint-before-sync --time 60s --stop\n"
      "  lvlab run fuzz-out/fail-seed-17.yaml --bug checkpoint-before-sync\n"
      "  lvlab fuzz --merge shard-0 shard-1 shard-2");
  cmd->callback([&r, o, budget, bugs, merge] {
    if (!merge->empty()) {
      std::string error;
      propcheck::FuzzSummary s = propcheck::MergeSummaries(*merge, &error);
      if (!error.empty()) {
        std::cerr << "  " << error << "\n";
        r.exit_code = 2;
        return;
      }
      propcheck::PrintSummary(s, std::cout);
      r.exit_code = s.failures ? 1 : 0;
      return;
    }
    if (!ParseBudget(*budget, &o->seconds)) {
      std::cerr << "  --time " << *budget << ": write a duration such as 60s, 10m or 1h\n";
      r.exit_code = 2;
      return;
    }
    for (const std::string& name : *bugs) {
      if (Status st = lvm::EnableBug(&o->cases.bugs, name); !st.ok()) {
        std::cerr << "  " << st.message() << "\n";
        r.exit_code = 2;
        return;
      }
    }
    o->progress = &std::cerr;
    propcheck::FuzzSummary s = propcheck::RunFuzz(*o);
    for (std::string& f : s.reproducers) f = o->out_dir + "/" + f;
    propcheck::PrintSummary(s, std::cout);
    r.exit_code = s.failures ? 1 : 0;
  });
}

}  // namespace lvlab::tools
