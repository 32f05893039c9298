// run: play a scenario file (scenarios/README.md) in virtual time, or on a
// mounted daemon for a mount: true scenario (tools/live_scenario.h).
#include <iostream>

#include "scenarios/runner.h"
#include "sim/lvm/bugs.h"
#include "tools/cli.h"
#include "tools/live_scenario.h"

namespace lvlab::tools {

void SetupRun(CLI::App& app, Runner& r) {
  auto* cmd =
      app.add_subcommand("run", "Play a scenario: a lab, workloads, steps and expectations");
  auto file = std::make_shared<std::string>();
  auto seed = std::make_shared<uint64_t>(0);
  auto o = std::make_shared<scenarios::RunOptions>();
  auto bugs = std::make_shared<std::vector<std::string>>();
  cmd->add_option("scenario", *file, "Scenario YAML file")->required();
  CLI::Option* seed_opt = cmd->add_option("--seed", *seed, "Root seed (default: the file's seed:)");
  cmd->add_option("--trace", o->trace_file, "Write the run's trace as JSON lines to FILE");
  cmd->add_flag("--narrate", o->narrate,
                "Print each step, command output and the system's narration");
  cmd->add_option("--image-dir", o->image_dir,
                  "Keep the PVs in sparse files under DIR instead of memory (large labs)")
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--check-determinism", o->check_determinism,
                "Run twice and fail unless both runs give the same trace hash");
  cmd->add_option(
      "--bug", *bugs, "Switch on a catalogued bug (repeatable; see docs/bugs.md): " + [] {
        std::string all;
        for (const std::string& n : lvm::BugNames()) all += (all.empty() ? "" : ", ") + n;
        return all;
      }());
  cmd->footer(
      "Exit status: 0 every expectation held, 1 one failed, 2 the file is broken,\n"
      "77 a mount: true scenario was skipped (no /dev/fuse, or no fio).\n"
      "Examples:\n  lvlab run scenarios/seed-walkthrough.yaml\n"
      "  lvlab run scenarios/crash-mid-segment-random.yaml --seed 8 --narrate\n"
      "  lvlab run my.yaml --trace run.jsonl --check-determinism\n"
      "  lvlab run fuzz-out/case-7.yaml --bug checkpoint-before-sync\n"
      "  lvlab run scenarios/mount/fio-verify-during-pvmove.yaml --narrate");
  cmd->callback([&r, file, seed, seed_opt, o, bugs] {
    if (seed_opt->count()) o->seed = *seed;
    o->live_runner = RunLiveScenario;
    for (const std::string& name : *bugs) {
      if (Status st = lvm::EnableBug(&o->bugs, name); !st.ok()) {
        std::cerr << "  " << st.message() << "\n";
        r.exit_code = scenarios::kExitBrokenFile;
        return;
      }
    }
    r.exit_code = scenarios::RunScenarioFile(*file, *o);
  });
}

}  // namespace lvlab::tools
