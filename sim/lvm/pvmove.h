// pvmove as LVM2 does it (tools/pvmove.c, tools/pvmove_poll.c,
// tools/polldaemon.c, lib/metadata/mirror.c; the reference's §1 and §7).
//
// Setup inserts the hidden pvmoveN LV (PVMOVE, LOCKED) between the parent
// LVs and the source PV: one 2-way mirror segment per moved source area
// (normal) or one mirror over pvmoveN_mimage_0/1 (--atomic); the parents,
// split to match, point at pvmoveN and are LOCKED; one commit (the setup
// commit) and the tables change by preload, suspend, commit, resume.
// Activation maps COMPLETED segments (extents_moved == length) linear onto
// the destination, the first incomplete one as a core-log mirror (RUNNING)
// and later ones linear onto the source (DISABLED).
//
// A Poller (one per pvmove LV, LVM's polldaemon) re-reads the VG at each
// interval, reads the RUNNING mirror's sync ratio from `dmsetup status`,
// checkpoints a finished segment (extents_moved, seqno + 1, reload) and
// finishes with LVM's two commits; abort keeps checkpointed segments on the
// destination (normal) or nothing (atomic). Pollers run on the System's
// scheduler: in virtual time in simulations, on the real clock in the CLI.
// Single-threaded.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/base/status.h"
#include "sim/lvm/commands.h"

namespace lvlab::lvm {

// activation/polling_interval: LVM's default seconds between polls.
inline constexpr uint64_t kDefaultPollingInterval = 15'000'000'000;

struct PvmoveArgs {
  std::string source;               // PV[:PE-PE...]; empty = every unfinished move
  std::vector<std::string> dests;   // allowed destinations, PV[:PE-PE...]
  std::string lv;                   // -n: only this LV (and its sub-LVs)
  bool atomic = false;
  bool abort = false;
  std::string alloc = "normal";
  uint64_t interval_ns = kDefaultPollingInterval;  // -i (0 = wait for the mirror's event)
  bool delay_first_poll = false;          // -i +N
  bool wait = true;  // poll until done (false: start the pollers and return)
};

// pvmove with the given arguments. With wait, runs the scheduler until every
// poller it started has finished.
Status Pvmove(Context& ctx, const PvmoveArgs& args);

// Starts background polling for every active PVMOVE LV of `vg` (what
// vgchange -ay and lvchange -ay do). Returns the number of pollers started.
size_t PollActivePvmoves(Context& ctx, const std::string& vg, uint64_t interval_ns);

// Runs the scheduler until every poller of `ctx.sys` has finished.
Status WaitForPollers(Context& ctx);

// Overall progress of a pvmove LV, as copy_percent(lv) computes it: moved
// extents of COMPLETED segments plus the RUNNING segment's in-sync share,
// over all extents. nullopt when the LV is not a pvmove LV.
std::optional<double> PvmoveProgress(System& sys, const VolumeGroup& vg, const LogicalVolume& lv);

}  // namespace lvlab::lvm
