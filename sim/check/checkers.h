// Checkers: structural truths checked by reading devices through the engine,
// e.g. that the legs of an in-sync mirror hold the same data.
//
// Each checker submits bios to the given BlockDevices and runs the Scheduler
// until they complete (Scheduler::RunUntil), so it may be called from test
// code or from inside a scheduler event, like the Kernel's suspend. Reads go
// in chunks of kCheckChunkSectors.
//
// Not thread-safe: one engine thread. Nothing is owned: the devices and the
// Scheduler must outlive the call.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "sim/base/status.h"
#include "sim/dm/block_device.h"
#include "sim/engine/scheduler.h"

namespace lvlab::check {

inline constexpr uint64_t kCheckChunkSectors = 1024;

// Reads n sectors of dev at `sector` into out (n * 512 bytes), running the
// scheduler until the bio completes. FailedPrecondition if it never does
// (e.g. the device is suspended), else the bio's status.
Status ReadSync(dm::BlockDevice* dev, uint64_t sector, uint64_t n, uint8_t* out,
                engine::Scheduler& scheduler);

// What a comparison that found two legs identical leaves for the next
// comparison of the same pair: when it started, which legs it read, and
// where their reads went when every mapping on the way was fixed
// (dm::BlockDevice::Resolve; empty otherwise).
struct LegsPassed {
  uint64_t stamp = 0;  // ChangeStampNow() when it started
  dm::DevNo a, b;
  uint64_t a_off = 0, b_off = 0, nsectors = 0;
  std::vector<dm::DiskExtent> a_where, b_where;
};

// Compares nsectors of a from a_off with nsectors of b from b_off. A chunk
// needs no read where both devices report holes (BlockDevice::NextData),
// and, given `passed` for the same range, where neither leg changed since
// (BlockDevice::ChangedSince on the same devices, or, after a table swap or
// a reboot, both legs still reading the same unchanged disk sectors:
// dm::ReadsAsResolved). On a difference, Corrupt naming both devices and
// the first differing sector (on each device and as an offset into the
// range) and what each holds. A chunk that differs while either leg was
// written during its reads (a writer above that the caller cannot pause) is
// read again; if it keeps changing, Busy (no verdict).
Status CheckLegsIdentical(dm::BlockDevice* a, uint64_t a_off, dm::BlockDevice* b, uint64_t b_off,
                          uint64_t nsectors, engine::Scheduler& scheduler,
                          const LegsPassed* passed = nullptr);

// The record of a comparison of these legs that started at `stamp` and
// passed; where the legs read from is kept only if no table on the way was
// swapped after `stamp`.
LegsPassed PassedLegs(dm::BlockDevice* a, uint64_t a_off, dm::BlockDevice* b, uint64_t b_off,
                      uint64_t nsectors, uint64_t stamp);

}  // namespace lvlab::check
