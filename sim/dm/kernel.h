// Kernel: the device registry and its ioctl-like verbs, the only way upper
// layers (sim/lvm, the control socket) touch devices.
//
// It holds the disks (7:minor, DiskDevice over a store::Disk) and the dm
// devices (254:minor, Device), and offers dmsetup's verbs: create, load (into
// the inactive slot), clear, suspend [noflush], resume (swaps in a loaded
// table), remove, table, status, message, info, deps, wait-for-event. Verbs
// that must wait for I/O (suspend, remove, wait) drive the scheduler with
// RunUntil; they may be called from inside a scheduler event. Table text is
// dmsetup's: "<start> <len> <type> <args...>" per line, sizes in sectors.
//
// Trace events: create, table-load, table-clear, suspend, table-swap,
// resume, remove, message, dm-event (all with "dev"), plus bio-submit /
// bio-complete on disks when set_trace_io(true).
//
// The Kernel also owns the kernel-wide kcopyd (copier(), used by the mirror
// target for recovery; its stats show what every copy read and wrote) and
// the bug switches (bugs(), all off by default; see bugs.h).
//
// Not thread-safe: one engine thread. The Kernel owns its Devices and
// DiskDevices; it does not own the Scheduler, the Trace or the store::Disks,
// which must outlive it. Destroy the Kernel only when no bio is in flight.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/base/status.h"
#include "sim/dm/block_device.h"
#include "sim/dm/bugs.h"
#include "sim/dm/copier.h"
#include "sim/dm/device.h"
#include "sim/dm/disk_device.h"
#include "sim/dm/snapshot_registry.h"
#include "sim/engine/scheduler.h"
#include "sim/engine/trace.h"
#include "sim/store/disk.h"

namespace lvlab::dm {

// What `dmsetup info` shows.
struct DeviceInfo {
  std::string name;
  std::string uuid;
  DevNo devno;
  bool suspended = false;
  bool read_only = false;
  bool live_table = false;
  bool inactive_table = false;
  uint32_t open_count = 0;  // user opens + tables holding the device
  uint32_t event_nr = 0;
  uint32_t target_count = 0;  // of the live table

  // "ACTIVE" or "SUSPENDED", with " (READ-ONLY)" as dmsetup info shows it.
  std::string State() const;
  // "LIVE", "INACTIVE", "LIVE & INACTIVE" or "None".
  std::string TablesPresent() const;
};

class Kernel {
 public:
  // trace may be null.
  Kernel(engine::Scheduler& scheduler, engine::Trace* trace);
  ~Kernel();
  Kernel(const Kernel&) = delete;
  Kernel& operator=(const Kernel&) = delete;

  engine::Scheduler& scheduler() { return scheduler_; }
  engine::Trace* trace() { return trace_; }
  Copier& copier() { return copier_; }
  // Read live by the targets; set before or between I/Os.
  MirrorBugs& bugs() { return bugs_; }
  // Which snapshots hang off which origin (the kernel's _origins hash).
  SnapshotRegistry& snapshots() { return snapshots_; }

  // Attaches a disk as 7:minor. REQUIRES: disk outlives the Kernel; the
  // minor is free.
  void AddDisk(store::Disk* disk, uint32_t minor);
  DiskDevice* FindDisk(uint32_t minor);
  // Traces every disk bio (bio-submit/bio-complete), now and for later disks.
  void set_trace_io(bool on);

  // Creates a device with no table, 254:<lowest free minor> unless `minor`
  // is given. Names are unique (AlreadyExists), as are non-empty uuids.
  Result<DevNo> Create(const std::string& name, const std::string& uuid,
                       std::optional<uint32_t> minor = {});
  // Parses and constructs `table` into the inactive slot, replacing any
  // previous inactive table. On error nothing changes; the message names the
  // device and the line.
  Status Load(const std::string& name, std::string_view table);
  Status ClearInactive(const std::string& name);
  // Blocks new I/O and waits for in-flight I/O. Suspending a suspended device
  // does nothing.
  Status Suspend(const std::string& name, bool noflush = false);
  // Swaps in the inactive table if there is one (suspending first if needed),
  // then resumes and releases the deferred bios into the live table.
  Status Resume(const std::string& name);
  // Refuses (Busy) a device that is open or used by another device's table.
  Status Remove(const std::string& name);
  // Runs `hook` on the engine thread whenever a device begins to suspend,
  // including the suspend before a table swap or a removal: the last moment
  // at which the device's live table and state are still the ones I/O saw.
  // The live daemon stops its direct I/O here (fuse/direct_io.h).
  void set_before_suspend(std::function<void(const Device&)> hook) {
    before_suspend_ = std::move(hook);
  }

  Result<std::string> Table(const std::string& name, bool inactive = false) const;
  Result<std::string> StatusLines(const std::string& name, bool inactive = false) const;
  // Sends argv to the live target containing `sector`; the target's answer
  // (dust's listbadblocks, ...) goes to *reply when given.
  Status Message(const std::string& name, uint64_t sector, const std::vector<std::string>& argv,
                 std::string* reply = nullptr);
  Result<DeviceInfo> Info(const std::string& name) const;
  // The devices the live table uses, sorted.
  Result<std::vector<DevNo>> Deps(const std::string& name) const;
  // User opens (a mounted LV); an open device cannot be removed.
  Status Open(const std::string& name);
  Status Close(const std::string& name);
  // Runs the scheduler until the device's event number differs from
  // `event_nr` (returns the new one), or fails at the deadline / when idle.
  Result<uint32_t> WaitEvent(const std::string& name, uint32_t event_nr,
                             uint64_t deadline_ns = UINT64_MAX);

  // Every dm device, sorted by name.
  std::vector<const Device*> List() const;
  Device* Find(std::string_view name);
  const Device* Find(std::string_view name) const;
  BlockDevice* Lookup(DevNo devno) const;
  // Accepts "7:1", "254:3", a dm device name or a disk name.
  BlockDevice* Resolve(std::string_view name_or_majmin) const;
  // Names of the dm devices whose live or inactive table uses `dev`, sorted.
  std::vector<std::string> Holders(const BlockDevice* dev) const;

 private:
  Result<Device*> Get(const std::string& name) const;
  Result<dm::Table> ParseTable(Device* device, std::string_view text);
  Status CheckNoCycle(const Device* device, const dm::Table& table) const;
  Status DrainAndSuspend(Device* device, bool noflush);
  uint32_t TableHolds(const BlockDevice* dev) const;

  engine::Scheduler& scheduler_;
  engine::Trace* const trace_;
  bool trace_io_ = false;
  Copier copier_;
  MirrorBugs bugs_;
  SnapshotRegistry snapshots_;
  std::map<uint32_t, std::unique_ptr<DiskDevice>> disks_;                // by minor
  std::map<std::string, std::unique_ptr<Device>, std::less<>> devices_;  // by name
  std::map<DevNo, BlockDevice*> by_devno_;
  std::function<void(const Device&)> before_suspend_;
};

}  // namespace lvlab::dm
