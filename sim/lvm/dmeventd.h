// Dmeventd: LVM's event daemon with its mirror and raid plugins
// (daemons/dmeventd/plugins/{mirror,raid}), inside a System.
//
// Activation registers the device of every mirror LV (not pvmove) and raid1
// LV, as LVM does with activation/monitoring = 1. When the device raises an
// event (a mirror leg or log failed, a raid leg went 'D', a sync finished),
// the plugin reads its status on the engine thread, outside the target's
// I/O path:
//   mirror  a leg or the log with health D, F or U is a failure: it runs
//           `lvconvert --repair --use-policies VG/LV` (repair.h); S and R
//           are only logged.
//   raid    each newly dead leg is logged ("WARNING: Device #N of raid1
//           array, VG-LV, has failed."), and the first event of a failure
//           runs the same repair; raid_fault_policy decides in lvconvert.
// A repair waits (retrying every second) while a command runs, a VG
// update is half done, or a poller holds the VG.
// What the plugins and the repair print goes to the System's narration and
// to the trace as "dmeventd" events (dev, msg); each repair ends with
// "dmeventd-repair" (dev, lv, ok).
//
// Not thread-safe: the engine thread. Owned by its System; it does not own
// the System's Kernel or Scheduler, and callbacks it posts must not run
// after it is destroyed (the System destroys its scheduler's queue with it).
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace lvlab::lvm {

class System;

// The System lock (System::TryLockVg) a command holds while it runs (the
// CLI's Runner): dmeventd's repairs wait for it, as its lvconvert would
// wait for the command's VG lock. '#' is not allowed in VG names.
inline constexpr const char* kCommandLock = "#command";

class Dmeventd {
 public:
  explicit Dmeventd(System* sys) : sys_(sys) {}

  // Monitors vg/lv's device if it is a mirror or raid1 LV (idempotent).
  void Register(const std::string& vg, const std::string& lv);

 private:
  struct State {
    std::string vg, lv;
    bool check_posted = false;
    bool raid_failed = false;  // a repair ran for the current failure
    uint64_t dead_legs = 0;    // raid legs already reported
  };
  void Check(const std::string& dm);
  void Repair(const std::string& dm, const char* kind);
  void Log(const std::string& dm, const std::string& msg);

  System* sys_;
  std::map<std::string, State> devices_;  // by dm name
};

}  // namespace lvlab::lvm
