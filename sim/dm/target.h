// Target: one mapping type of a device-mapper table line, and the registry
// of target types.
//
// A table line "<start> <len> <type> <args...>" becomes one Target, built by
// the factory registered for <type> at table load (as the kernel's ctr
// runs at DM_TABLE_LOAD). The Device hands a target the pieces of bios that
// fall inside [start, start+len), already split at the target's boundaries
// and at max_io_len(); the target remaps them to underlying BlockDevices.
//
// Flushes follow DM core (reference/device-mapper-targets.md 3.3): the Device
// sends each target one empty kFlush bio (target_offset 0) and data bios
// never carry kPreflush; kFua stays on data bios. A target passes the flush to
// each underlying device, or completes it at once if it has none (error, zero).
//
// Map contract: complete bio.done exactly once, from a scheduler event, never
// inline. A target that must give a bio back to DM core (DM_ENDIO_REQUEUE)
// completes it with RequeueStatus(); the Device then requeues the whole
// original bio during a noflush suspend and fails it otherwise (3.2). The formats of TableArgs and
// StatusInfo are the kernel's exact STATUSTYPE_TABLE and STATUSTYPE_INFO strings.
//
// Not thread-safe: one engine thread. A Target is owned by its Device's table
// and destroyed when the table is replaced or the device removed; it does not
// own the devices it maps to, nor the Scheduler/Trace. A target that schedules
// its own events must stop them in Postsuspend (the Device is always
// suspended before a table is destroyed) and must not outlive them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/base/status.h"
#include "sim/dm/block_device.h"
#include "sim/engine/bio.h"
#include "sim/engine/scheduler.h"
#include "sim/engine/trace.h"

namespace lvlab::dm {

class Device;
class Kernel;

// A range of an underlying device that a target uses (the kernel's
// iterate_devices): checked against the device size when the table goes live.
struct DeviceArea {
  BlockDevice* dev = nullptr;
  uint64_t start_sectors = 0;
  uint64_t len_sectors = 0;
};

class Target {
 public:
  virtual ~Target() = default;

  // The registered type name: "linear", "striped", ...
  virtual std::string type() const = 0;

  // Maps one bio piece. bio.sector is the sector in the dm device;
  // target_offset_sectors = bio.sector - the target's start.
  virtual void Map(engine::Bio bio, uint64_t target_offset_sectors) = 0;

  // The table arguments as the kernel prints them ("7:1 2048").
  virtual std::string TableArgs() const = 0;
  // The status INFO string; empty for targets without one (linear).
  virtual std::string StatusInfo() const { return ""; }
  virtual Status Message(const std::vector<std::string>& argv);
  // What the last Message answered (dmsetup message prints it); "" if none.
  virtual std::string MessageReply() const { return ""; }

  // Suspend/resume hooks, in the kernel's order (see Device).
  virtual void Presuspend() {}
  // Runs instead of Postsuspend when a suspend is abandoned after Presuspend.
  virtual void PresuspendUndo() {}
  virtual void Postsuspend() {}
  virtual Status Preresume() { return Status::Ok(); }
  virtual void Resume() {}

  // DM core splits bios so that none crosses a multiple of max_io_len
  // (counted from the target's start). 0 = no limit.
  virtual uint64_t max_io_len() const { return 0; }

  // The first range of target sectors at or after `offset` and below `end`
  // (both relative to the target's start) that may hold data, as
  // BlockDevice::NextData. The default says "everything is data".
  virtual std::optional<SectorRange> NextData(uint64_t offset, uint64_t end) {
    if (offset >= end) return std::nullopt;
    return SectorRange{offset, end};
  }

  // BlockDevice::DiscardZeroes for target sectors [offset, end). The
  // default says no.
  virtual bool DiscardZeroes(uint64_t offset, uint64_t end) {
    (void)offset;
    (void)end;
    return false;
  }

  // BlockDevice::ChangedSince for target sectors [offset, end), given that
  // the table holding the target is unchanged since `stamp`. The default
  // says "changed": targets with state of their own (which leg or chunk a
  // read goes to) do not answer.
  virtual bool ChangedSince(uint64_t stamp, uint64_t offset, uint64_t end) {
    (void)stamp;
    (void)offset;
    (void)end;
    return true;
  }

  // BlockDevice::Resolve for target sectors [offset, end). The default says
  // no: only targets that know where their reads go answer.
  virtual bool Resolve(uint64_t offset, uint64_t end, std::vector<DiskExtent>* out,
                       uint64_t* newest_table) {
    (void)offset;
    (void)end;
    (void)out;
    (void)newest_table;
    return false;
  }

  // The underlying device ranges used; the default is none.
  virtual std::vector<DeviceArea> Areas() const { return {}; }
  // The devices this target depends on, in table order (default: Areas()).
  virtual std::vector<DevNo> Deps() const;
};

// What a target factory gets: the environment and its table line.
struct TargetArgs {
  Kernel* kernel = nullptr;
  Device* device = nullptr;  // the device whose table is being loaded
  engine::Scheduler* scheduler = nullptr;
  engine::Trace* trace = nullptr;  // may be null
  uint64_t start_sectors = 0;
  uint64_t len_sectors = 0;
  std::vector<std::string> argv;

  // Resolves a "major:minor" or a device name, as dm_get_device does.
  // Refuses the device being loaded (a table cannot map onto itself).
  Result<BlockDevice*> GetDevice(std::string_view name) const;
};

using TargetFactory = std::function<Result<std::unique_ptr<Target>>(const TargetArgs&)>;

// Registers (or replaces) a target type. Built-in types (linear, striped,
// error, zero) are registered on first use of the registry. Call at startup,
// before devices are loaded; not thread-safe.
void RegisterTarget(std::string type, TargetFactory factory);
// The factory for `type`, or null.
const TargetFactory* FindTarget(std::string_view type);
// Registered types, sorted (dmsetup targets).
std::vector<std::string> TargetTypes();

// Parses a decimal sector count/offset with nothing after it ("%llu%c" == 1).
bool ParseSectors(std::string_view text, uint64_t* out);

// Splits one completion into n (n >= 1): the returned callback must be called
// exactly n times; `done` then runs once with the first error seen, or OK.
std::function<void(Status)> JoinCompletions(size_t n, std::function<void(Status)> done);

// The completion status meaning DM_ENDIO_REQUEUE (see the Map contract).
Status RequeueStatus();
bool IsRequeue(const Status& status);

// Completes bio with `status` from a fresh scheduler event.
void CompleteLater(engine::Scheduler& scheduler, engine::Bio bio, Status status);

}  // namespace lvlab::dm
