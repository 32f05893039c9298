// The scenario runner: plays a Scenario (scenario.h, loaded by loader.h) on
// a simulated lvm::Machine in virtual time.
//
// The lab is built with LVM's library commands, declared workloads start on
// their LVs' dm devices with one shared check::Oracle, and then each step in
// order waits for its condition (at, after, when; a `when` gives up after
// its timeout, default one virtual hour), acts (a `run:` command goes through
// the CLI's own verb definitions on a MachineSession; a crash stops the
// workloads, tells the oracle and reboots the machine; a fault fails or
// restores a PV's disk) and checks its expectations. Everything derives
// from the seed: the same file and seed give the same trace, whose hash the
// summary prints. No wall clock is read.
//
// Exit codes: 0 every expectation held; 1 one failed (the report names the
// step, its line, what was expected and seen, the seed and the command that
// reruns it); 2 the file is broken (file:line:col: message).
//
// Not thread-safe; one run at a time per RunOptions::out.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include "scenarios/scenario.h"
#include "sim/lvm/bugs.h"

namespace lvlab::scenarios {

struct RunOptions {
  std::optional<uint64_t> seed;    // overrides the file's seed
  std::string trace_file;          // JSON lines of the whole run; empty = none
  bool narrate = false;            // print each step and the system's narration
  bool check_determinism = false;  // run twice, compare the trace hashes
  std::ostream* out = nullptr;     // reports and narration; null = std::cout
  // Back the PVs with sparse files in a fresh directory under this one
  // (removed afterwards) instead of memory: for large labs.
  std::string image_dir;
  lvm::Bugs bugs;  // catalogued bugs switched on (--bug); none by default
  // Plays a `mount: true` scenario (on the real clock, with a daemon) and
  // returns the exit code; the live daemon sits above this library, so the
  // CLI supplies it. Unset: such scenarios are refused.
  std::function<int(const Scenario&, const RunOptions&)> live_runner;
};

struct RunResult {
  int exit_code = 0;
  uint64_t trace_hash = 0;
  uint64_t virtual_ns = 0;
  int steps_run = 0;
  // Sectors the data checks read and judged (a range provably unchanged
  // since it last passed is not read again).
  uint64_t sectors_checked = 0;
};

inline constexpr int kExitPass = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitBrokenFile = 2;

// Loads `path`, runs it (twice with check_determinism) and prints the
// one-line summary or the failure report. Returns the exit code.
int RunScenarioFile(const std::string& path, const RunOptions& options);

// Runs a loaded scenario once, printing only failures (and narration).
RunResult RunScenario(const Scenario& scenario, const RunOptions& options);

}  // namespace lvlab::scenarios
