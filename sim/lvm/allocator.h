// Extent allocation, after LVM2's lib/metadata/lv_manip.c.
//
// Free space is every extent of an allocatable, present PV that no segment
// area uses, intersected with the PV ranges the user named. The policies
// are tried in LVM's order up to the requested one (contiguous, cling,
// normal, anywhere):
//   - contiguous: extending, the extents right after the LV's last area on
//     the same PV; new, one area that holds the whole request;
//   - cling: areas on the PVs the LV's last segment already uses;
//   - normal: per PV the smallest free area that holds the whole request,
//     else its largest; PVs ordered by that area's size, largest first (ties
//     in VG order); one area per PV and per stripe.
// Pure functions over the model; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/base/status.h"
#include "sim/lvm/metadata.h"

namespace lvlab::lvm {

struct PeRange {
  std::string pv_key;
  uint64_t start = 0;  // first extent
  uint64_t count = 0;  // 0 = to the end of the PV
};

struct AllocRequest {
  uint64_t extents = 0;            // total logical extents to add
  uint32_t stripes = 1;            // parallel areas (striped LVs)
  std::string policy = "normal";   // contiguous, cling, normal, anywhere
  std::vector<PeRange> allowed;    // empty = every PV of the VG, whole
  const LogicalVolume* extend = nullptr;  // the LV being extended, if any
  std::vector<std::string> avoid_pvs;     // PV keys never to use
};

struct Chunk {
  uint64_t length = 0;       // extents per area
  std::vector<Area> areas;   // one per stripe (kPv)
};

// Allocates or fails with "Insufficient free space: N extents needed, but
// only M available" (LVM's words); the VG is not changed.
Result<std::vector<Chunk>> Allocate(const VolumeGroup& vg, const AllocRequest& request);

// Free areas of each PV as (pv_key, start, count), in VG then PE order.
std::vector<PeRange> FreeAreas(const VolumeGroup& vg);

// Appends `chunks` to `lv` as segments (merging a chunk into the previous
// segment when it continues it on the same PVs, as lv_merge_segments does).
void AppendSegments(LogicalVolume& lv, const std::vector<Chunk>& chunks, uint64_t stripe_size);

}  // namespace lvlab::lvm
