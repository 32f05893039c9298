// System: one simulated machine — a Lab's PVs plugged in as 7:N disks, a
// device-mapper Kernel, a Scheduler and a Trace — and LVM's activation on
// top of it (activate, deactivate, reload an LV from metadata).
//
// Without a daemon every lvlab command boots a System, restores the kernel's
// device list from the lab's run state (KernelState), works and saves it
// again, so that dm devices seem to live between commands; a reboot (crash)
// simply forgets them. Single-threaded: everything runs on the scheduler's
// thread. The System does not own the Lab.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <ostream>
#include <string>
#include <vector>

#include "sim/base/status.h"
#include "sim/dm/kernel.h"
#include "sim/engine/scheduler.h"
#include "sim/engine/trace.h"
#include "sim/lvm/activation.h"
#include "sim/lvm/lab.h"
#include "sim/lvm/metadata.h"

namespace lvlab::lvm {

class PollerSet;
class Dmeventd;

// The kernel's device list as saved between commands (LAB/run/kernel).
struct SavedDevice {
  std::string name;
  std::string uuid;
  uint32_t minor = 0;
  bool suspended = false;
  std::string table;  // live table text, may be empty
};
struct KernelState {
  std::vector<SavedDevice> devices;  // in creation order (dependencies first)
  std::string Serialize() const;
  static Result<KernelState> Parse(const std::string& text);
};

class System {
 public:
  // REQUIRES: lab outlives the System. `clock` null = virtual time.
  System(Lab* lab, std::unique_ptr<engine::Clock> clock);
  ~System();

  Lab& lab() { return *lab_; }
  engine::Scheduler& scheduler() { return *scheduler_; }
  // The running pvmove pollers (LVM's lvmpolld).
  PollerSet& pollers() { return *pollers_; }
  engine::Trace& trace() { return *trace_; }
  dm::Kernel& kernel() { return *kernel_; }
  // Where --narrate text goes (null = silent).
  void set_narration(std::ostream* out) { narrate_ = out; }
  void Narrate(const std::string& line);

  // Recreates saved devices with their minors: LVM's from the current
  // metadata (as a boot with autoactivation does), others from their saved
  // tables.
  Status Restore(const KernelState& state);
  KernelState Save() const;

  // The dm name of vg/lv if its device exists, else empty.
  bool IsActive(const VolumeGroup& vg, const std::string& lv) const;
  std::string DevNoOf(const VolumeGroup& vg, const std::string& lv) const;
  // Activates `lv` and, first, every LV it points at.
  Status Activate(const VolumeGroup& vg, const std::string& lv);
  // The same, giving `lv`'s own device a chosen minor (restoring devices).
  Status ActivateWithMinor(const VolumeGroup& vg, const std::string& lv,
                           std::optional<uint32_t> minor);
  // Removes `lv`'s device and then the devices of LVs it pointed at that no
  // other active LV uses. Refuses while another active LV uses `lv`.
  Status Deactivate(const VolumeGroup& vg, const std::string& lv);
  // Loads the table from `vg`, suspends and resumes (dependencies first).
  Status Reload(const VolumeGroup& vg, const std::string& lv);
  TableContext Tables(const VolumeGroup& vg) const;
  // LVM's lv_update_and_reload: VgWrite(vg); preload the tables of `lvs`
  // (and the LVs they point at) from the precommitted metadata — creating
  // and resuming new devices, loading changed tables inactive; suspend the
  // changed devices holders first; run `before_commit` (e.g. flush the
  // destination); VgCommit; resume dependencies first. On failure the
  // metadata is reverted and the old tables stay live. On success `vg` is
  // the committed version.
  Status UpdateAndReload(VolumeGroup& vg, const std::vector<std::string>& lvs,
                         const std::function<Status()>& before_commit = {});
  // Plugs in the disks of PVs created since boot (pvcreate, --create-pvs).
  void PlugDisks();
  // LVM's VG write lock, between pollers: an operation that runs the
  // scheduler (suspend waits for I/O) lets other events run, and a poller
  // must not change the same VG meanwhile. TryLockVg fails if it is held.
  bool TryLockVg(const std::string& vg) { return locked_vgs_.insert(vg).second; }
  void UnlockVg(const std::string& vg) { locked_vgs_.erase(vg); }

 private:
  Lab* lab_;
  std::unique_ptr<engine::Scheduler> scheduler_;
  std::unique_ptr<engine::Trace> trace_;
  std::unique_ptr<dm::Kernel> kernel_;
  std::unique_ptr<PollerSet> pollers_;
  std::set<std::string> locked_vgs_;
  // dmeventd's mirror and raid plugins (dmeventd.h); Monitor registers a
  // node's device if it is a mirror or raid1 LV.
  void Monitor(const VolumeGroup& vg, const std::string& node);
  // Emits "snapshot-merge-started" (vg, lv: the snapshot, origin) when an
  // origin's device first goes live as snapshot-merge in this boot.
  void TraceMergeStart(const VolumeGroup& vg, const std::string& node, const std::string& table);
  std::set<std::string> merge_traced_;  // dm names already traced
  std::ostream* narrate_ = nullptr;
  std::unique_ptr<Dmeventd> dmeventd_;  // last: destroyed first
};

}  // namespace lvlab::lvm
