// RunLiveScenario: `lvlab run` of a scenario that says `mount: true`.
//
// It plays on the real clock in a fresh temporary directory: the lab is
// built with lvlab's own commands (pvcreate, vgcreate, lvcreate with the
// file's sizes or PE ranges; drive timing is not modelled live), `lvlab
// mount` starts a daemon, and each step runs in order: `after:` sleeps,
// `run:` is an lvlab command sent to the daemon (its words split on blanks,
// no shell), `crash:` is `lvlab crash --lose POLICY` (armed with --during
// or --writes when the step says so), `fio:` runs fio with
// execve — never through a shell — with LV names (`vg0/lv0`, or the value
// of `--opt=vg0/lv0`) rewritten to the mounted files, relative *.fio job
// files found next to the scenario if not in the working directory, fio
// run in the temporary directory (its verify state files stay there), and
// LVLAB_LV / LVLAB_MNT / the step's env in fio's environment; `wait: fio`
// waits for the fio steps started with `background: true`. `when: {event}`
// and `expect: {events}` read `lvlab events`, counted from the first step
// (the counts after the mount are the baseline). A step fails
// when its program exits non-zero (unless may_fail, or expect: {error:
// TEXT} and the output says TEXT). The end waits for every fio, unmounts
// and removes the directory (kept with --narrate on failure).
//
// Exit codes as scenarios/runner.h, plus kExitSkipped when /dev/fuse, or
// fio for a scenario with fio steps, is missing (the message says which).
#pragma once

#include "scenarios/runner.h"
#include "scenarios/scenario.h"

namespace lvlab::tools {

inline constexpr int kExitSkipped = 77;  // ctest's SKIP_RETURN_CODE for these tests

int RunLiveScenario(const scenarios::Scenario& scenario, const scenarios::RunOptions& options);

}  // namespace lvlab::tools
