// DirectIo: the live daemon's fast path. Reads and writes of an LV whose
// live table is plain linear onto PV disks are done by the FUSE worker
// thread itself, on the store::Disk (its volatile write cache and image),
// instead of as a bio on the engine thread. The engine thread stays the
// only one that decides mapping and order: it computes which devices
// qualify (Plan), installs that set (Install) and takes it away (Revoke)
// before anything could change it.
//
// A device qualifies when it is not suspended or suspending (a plan made by
// a command that runs inside another suspend's wait must leave that device
// out) and every segment of its live table leads to a disk (7:minor) that
// has no injected fault, no timing model (latency, bandwidth, injected
// delays) and power: through `linear` targets, also stacked (an LV being
// moved is linear onto pvmove0), or through a `mirror` (pvmove0's segment
// being copied) while none of its legs has failed and no mirror bug is
// switched on. Reads of a mirror take its default leg: dm-mirror keeps the
// newest data of every region there. Writes to a mirror with a core log
// whose legs are all such disks (pvmove's) go by the mirror's route for
// each region (dm::MirrorDirectRoutes, the rule of dm-mirror's do_writes):
// to every leg where the region is in sync, to the default leg where it is
// not yet copied, and through the engine to the region being copied, which
// holds them until the copy is done; other mirrors are read-only here.
// Install, not Plan, opens a mirror's routes, so they are used only with
// extents made from the mirror as it is now. Writes of one region to every
// leg are serialised (by mirror and region), so two writers of the same
// sectors reach both legs in the same order; a drive that fails sends the
// whole write to the engine, where the mirror fails the leg.
// Raid, snapshot, striped, fault-target and suspended devices go through
// the engine as before, and so do flushes and discards. The data
// path is the Disk's own (Disk::Read/Write under its mutex), so a write
// done here is cached and unflushed exactly like one done by a bio: a power
// cut loses it by the same policy, a flush through the engine makes it
// durable. What it skips: the dm layer's in-flight accounting (Revoke
// stands in for it: it waits for every direct I/O under way) and the bio
// trace.
//
// Revoke must run before: a device suspends (Kernel's before-suspend hook,
// which also precedes every table swap and removal), a command runs
// (faults, crash, activation), the power is cut, and the machine reboots.
// After it, Read and Write answer nullopt (take the engine path) until the
// next Install.
//
// Thread-safety: Read and Write from any thread; Plan, Install and Revoke on
// the engine thread only. The Disks named by an installed plan must live
// until the next Revoke.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/base/status.h"
#include "sim/dm/kernel.h"
#include "sim/dm/mirror_target.h"
#include "sim/store/disk.h"

namespace lvlab::fuse {

class DirectIo {
 public:
  // Where some sectors of a disk lie.
  struct Place {
    store::Disk* disk = nullptr;
    uint64_t offset = 0;
    bool operator==(const Place&) const = default;
  };
  // One segment: LV sectors [start, start + len) are disk sectors
  // [offset, offset + len); through a mirror, `disk` is its default leg.
  struct Extent {
    uint64_t start = 0;
    uint64_t len = 0;
    store::Disk* disk = nullptr;
    uint64_t offset = 0;
    bool writable = true;  // false: read-only (a mirror that takes no direct writes)
    // Through a mirror that takes direct writes: the target, its sector at
    // `start`, and where `start` lies on each leg, in leg order.
    dm::MirrorTarget* mirror = nullptr;
    uint64_t mirror_offset = 0;
    std::vector<Place> legs;
    bool operator==(const Extent&) const = default;
    // Not through a mirror that takes direct writes.
    static Extent OnDisk(uint64_t start, uint64_t len, store::Disk* disk, uint64_t offset,
                         bool writable = true) {
      return Extent{start, len, disk, offset, writable, nullptr, 0, {}};
    }
  };
  using PlanMap = std::map<std::string, std::vector<Extent>, std::less<>>;

  // Engine thread: the qualifying devices of `kernel`, by dm name.
  static PlanMap Plan(dm::Kernel& kernel);

  // Engine thread: stops direct I/O; returns once none is under way.
  void Revoke();
  // Engine thread: `plan` (of boot `boot`) becomes the direct set. Cheap
  // when it is the one installed.
  void Install(uint64_t boot, PlanMap plan);
  bool enabled() const { return enabled_.load(std::memory_order_seq_cst); }

  // Any thread. nullopt: the device does not qualify now, use a bio.
  // REQUIRES: [sector, sector + nsectors) within the device.
  std::optional<Status> Read(std::string_view dm, uint64_t boot, uint64_t sector, uint64_t nsectors,
                             uint8_t* out);
  std::optional<Status> Write(std::string_view dm, uint64_t boot, uint64_t sector,
                              uint64_t nsectors, const uint8_t* data, bool fua);

 private:
  // Enters the direct section; nullptr when the device does not qualify.
  const std::vector<Extent>* Enter(std::string_view dm, uint64_t boot);
  void Leave() { active_.fetch_sub(1, std::memory_order_seq_cst); }
  template <typename Fn>
  static Status ForEach(const std::vector<Extent>& extents, uint64_t sector, uint64_t nsectors,
                        Fn fn);
  // Writes `n` sectors at `at` of a mirror extent region by region, each by
  // its route; nullopt once a region's route says to take the engine, or a
  // drive failed (the mirror handles that).
  std::optional<Status> WriteMirror(const Extent& e, uint64_t at, uint64_t n, const uint8_t* data,
                                    bool fua);

  // Readers increment active_, then check enabled_; Revoke clears enabled_,
  // then waits for active_ to drain (both sequentially consistent, so one
  // of the two sees the other). plan_ and boot_ change only while disabled
  // and drained.
  std::atomic<bool> enabled_{false};
  std::atomic<int64_t> active_{0};
  uint64_t boot_ = 0;
  PlanMap plan_;
  // Held, by mirror and region, across a write to every leg.
  std::array<std::mutex, 64> region_locks_;
};

}  // namespace lvlab::fuse
