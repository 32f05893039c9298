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

#include "sim/engine/bio.h"

namespace lvlab::dm {

inline constexpr uint32_t kDiskMajor = 7;  // loop devices over PV images
inline constexpr uint32_t kDmMajor = 254;  // device-mapper devices

// A half-open range of sectors [first, second).
using SectorRange = std::pair<uint64_t, uint64_t>;

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
};

}  // namespace lvlab::dm
