// BlockDevice: anything a bio can be submitted to, named by major:minor.
//
// Two kinds exist: DiskDevice (major 7, a store::Disk, like a loop device
// over a PV image) and Device (major 254, a device-mapper device). Targets
// hold BlockDevice pointers to their underlying devices, so dm devices stack
// on disks and on each other.
//
// Contract of Submit: the bio completes exactly once through bio.done, always
// from a scheduler event, never inline inside Submit; the caller's data
// buffer must stay valid until then. NextData is a synchronous query of the
// device's current contents (the copier uses it to skip holes); it may only
// over-report data, never under-report it. Not thread-safe: one engine thread.
// The Kernel owns every BlockDevice; pointers stay valid until the device is
// removed, which the Kernel refuses while a table references it.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/engine/bio.h"

namespace lvlab::dm {

inline constexpr uint32_t kDiskMajor = 7;  // loop devices over PV images
inline constexpr uint32_t kDmMajor = 254;  // device-mapper devices

// A half-open range of sectors [first, second).
using SectorRange = std::pair<uint64_t, uint64_t>;

class BlockDevice;

// One piece of a device range resolved to the disk under it (Resolve).
struct DiskExtent {
  BlockDevice* leaf = nullptr;  // the disk's device (DiskDevice)
  uintptr_t disk = 0;           // the image behind it (store::Disk::change_identity)
  uint64_t sector = 0;          // on the leaf
  uint64_t nsectors = 0;
};

// Appends one piece to a resolution, merged with the last if contiguous.
void AppendDiskExtent(std::vector<DiskExtent>* out, const DiskExtent& piece);
// Whether two resolutions map the same sectors to the same disk sectors.
bool SameDiskExtents(const std::vector<DiskExtent>& a, const std::vector<DiskExtent>& b);
// The part of `all` (a resolution of sectors [0, ...)) that covers [sector, end),
// appended to out; false if `all` does not reach `end`.
bool SliceDiskExtents(const std::vector<DiskExtent>& all, uint64_t sector, uint64_t end,
                      std::vector<DiskExtent>* out);
// Whether `n` sectors of `dev` from `sector` still read what sectors
// [then_sector, then_sector + n) of `then` (a resolution taken at change
// stamp `stamp`) held then: they resolve to the same disk sectors now, and
// none of those changed after `stamp`.
bool ReadsAsResolved(BlockDevice* dev, uint64_t sector, uint64_t n,
                     const std::vector<DiskExtent>& then, uint64_t then_sector, uint64_t stamp);

struct DevNo {
  uint32_t major = 0;
  uint32_t minor = 0;

  // "7:1"
  std::string ToString() const;
  // Parses "<major>:<minor>" (decimal, nothing else); nullopt otherwise.
  static std::optional<DevNo> Parse(std::string_view text);

  auto operator<=>(const DevNo&) const = default;
  bool operator==(const DevNo&) const = default;
};

class BlockDevice {
 public:
  virtual ~BlockDevice() = default;

  virtual void Submit(engine::Bio bio) = 0;
  virtual uint64_t size_sectors() const = 0;
  virtual DevNo devno() const = 0;
  virtual const std::string& name() const = 0;

  // The first range [start, stop) of sectors at or after `sector` and below
  // `end` that may hold data (start >= sector, stop <= end); nullopt if every
  // sector of [sector, end) reads as zeros. A range may be reported in pieces:
  // ask again from its end. The default says "everything is data".
  virtual std::optional<SectorRange> NextData(uint64_t sector, uint64_t end) {
    if (sector >= end) return std::nullopt;
    return SectorRange{sector, end};
  }

  // Whether a discard of [sector, end) is, all the way down, a write of
  // zeros: afterwards the range reads as zeros, and nothing on the way
  // treats it otherwise (a mirror sends discards past its region states,
  // a snapshot drops them). The copier discards a source's holes only onto
  // such ranges and writes zeros elsewhere, as kcopyd writes every byte.
  // The default says no.
  virtual bool DiscardZeroes(uint64_t sector, uint64_t end) {
    (void)sector;
    (void)end;
    return false;
  }

  // Whether a read of [sector, end) may return other data now than it did
  // at any time after `stamp` (sim/base/change_clock.h): what it maps to
  // was written, discarded, lost in a crash or remapped since, or the
  // device cannot tell. Checkers use it to skip re-reading ranges that
  // provably read as they did. It may over-report changes, never
  // under-report them. The default says "changed".
  virtual bool ChangedSince(uint64_t stamp, uint64_t sector, uint64_t end) {
    (void)stamp;
    (void)sector;
    (void)end;
    return true;
  }

  // Where a read of [sector, end) goes now, down to the disks: appends the
  // disk extents in device order (adjacent pieces of one disk merged) and
  // raises *newest_table to the newest change on the way of where reads go
  // (a table swap, a mirror's default leg or leg errors, the leg a raid1
  // reads from, a snapshot's exceptions; sim/base/change_clock.h). Linear
  // and snapshot-origin remap; a mirror answers through its default leg, a
  // raid1 through the leg it reads from, a snapshot through its exceptions
  // and origin. False when any part cannot tell (a merging snapshot, a
  // mirror whose default leg has errors, the other targets) or I/O is
  // blocked; `out` is then unspecified. Checkers use it to tell, after a
  // table swap or a reboot, that a range still reads the same disk
  // sectors. The default says no.
  virtual bool Resolve(uint64_t sector, uint64_t end, std::vector<DiskExtent>* out,
                       uint64_t* newest_table) {
    (void)sector;
    (void)end;
    (void)out;
    (void)newest_table;
    return false;
  }
};

}  // namespace lvlab::dm
