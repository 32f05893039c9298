// The bug catalogue: deliberate, documented re-creations of real failure
// modes in LVM and device-mapper, switched on by name (`--bug NAME` for
// `lvlab run`, `lvlab fuzz` and the library) so that the property tests can
// show they find them. Every switch defaults to off, the faithful behaviour;
// docs/bugs.md describes each one, the real code path it re-creates and how
// the fuzzer finds it.
//
// A Bugs value travels with the lab (LabOptions::bugs); the System copies
// the mirror switches into its Kernel at boot. Plain data.
#pragma once

#include <string>
#include <vector>

#include "sim/base/status.h"
#include "sim/dm/bugs.h"

namespace lvlab::lvm {

struct LvmBugs {
  // Activation loads the COMPLETE part of an --atomic move as a mirror with
  // `nosync` even after an unclean shutdown (the "machine failure" gap of
  // the all-or-nothing pvmove proof of concept): with this switch the
  // atomic poller records COMPLETE (extents_moved) once the copy is in sync
  // and finishes at its next poll; writes outstanding at a crash in that
  // window may differ between the legs, and nothing resyncs them.
  bool atomic_nosync_after_crash = false;
  // `pvmove --abort` keeps the RUNNING, uncheckpointed segment on the
  // destination, as if it were COMPLETE.
  bool abort_keeps_running_segment = false;
  // The poller checkpoints a segment one region before its mirror is in
  // sync (an off-by-one on the insync/total region count).
  bool checkpoint_before_sync = false;
  // Finish commit #1 points the LVs at the destination without flushing the
  // PVs first, and the finish's metadata goes out FUA-only (no preflush).
  bool finish_before_flush = false;
  // A metadata read takes the first PV's copy instead of the highest seqno.
  bool stale_seqno_wins = false;
};

struct Bugs {
  dm::MirrorBugs mirror;
  LvmBugs lvm;
};

// Every catalogued name ("atomic-nosync-after-crash", ...), in catalogue
// order.
std::vector<std::string> BugNames();

// Switches on the bug called `name`; InvalidArgument naming the known ones
// if there is no such bug.
Status EnableBug(Bugs* bugs, const std::string& name);

// The names of the bugs switched on in `bugs`, in catalogue order.
std::vector<std::string> EnabledBugs(const Bugs& bugs);

}  // namespace lvlab::lvm
