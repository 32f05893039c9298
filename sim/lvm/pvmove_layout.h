// Metadata transformations of pvmove (no I/O): building the pvmove LV at
// setup (LVM's insert_layer_for_segments_on_pv + lv_add_mirrors) and taking
// it apart at finish or abort (_remove_mirrors_from_segments /
// _remove_mirror_images + _remove_pvmove_layer). Pure functions over the
// model; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "sim/base/status.h"
#include "sim/lvm/allocator.h"
#include "sim/lvm/metadata.h"

namespace lvlab::lvm {

struct PvmoveLayoutArgs {
  std::string source_key;          // PV key of the source
  std::vector<PeRange> source;     // source PE ranges (empty = whole PV)
  std::vector<PeRange> dests;      // allowed destinations (empty = every other PV)
  std::string lv_filter;           // -n
  bool atomic = false;
  std::string alloc = "normal";
  std::string id;                  // for the pvmove LV
  std::string image_ids[2];        // for _mimage_0 and _mimage_1 (--atomic)
  int64_t creation_time = 0;
  std::string creation_host;
};

struct PvmoveLayout {
  std::string name;                 // pvmoveN
  std::vector<std::string> parents;  // LVs now pointing at it, VG order
  std::vector<std::string> messages;  // "Skipping locked LV ...", to print
};

// Builds the pvmove LV in `vg`. Errors leave `vg` unusable (work on a copy).
Result<PvmoveLayout> AddPvmoveLayer(VolumeGroup& vg, const PvmoveLayoutArgs& args);

// The PVMOVE LV moving data off `pv_key`, or null (find_pvmove_lv).
const LogicalVolume* FindPvmoveLv(const VolumeGroup& vg, const std::string& pv_key);
// The source PV key of a pvmove LV.
std::string PvmoveSourceKey(const VolumeGroup& vg, const LogicalVolume& pvmove);
bool IsAtomicPvmove(const VolumeGroup& vg, const LogicalVolume& pvmove);
// LVs whose segments point at `lv`, VG order.
std::vector<std::string> PvmoveParents(const VolumeGroup& vg, const std::string& pvmove);

// Atomic only: replaces the mirror over the two images by the surviving
// image's segments (destination unless aborting); the dropped image becomes
// an error LV. The intermediate commit of _remove_mirror_images.
Status DropAtomicImage(VolumeGroup& vg, const std::string& pvmove, bool abort);
// Points every parent directly at the PV areas that stay — the destination,
// or with `abort` the source for segments not checkpointed (extents_moved <
// length) — clears LOCKED, merges the parents' segments, and turns the
// pvmove LV into a visible error LV without PVMOVE/LOCKED (finish commit #1).
Status RemovePvmoveLayer(VolumeGroup& vg, const std::string& pvmove, bool abort);
// Removes the pvmove LV and any leftover images (finish commit #2).
void DeletePvmoveLvs(VolumeGroup& vg, const std::string& pvmove);

// Splits `lv`'s segment containing logical extent `le` so that one starts
// there. REQUIRES: the offset is a whole number of extents per area.
void SplitSegmentAt(LogicalVolume& lv, uint64_t le);
// Merges adjacent segments that continue each other (lv_merge_segments).
void MergeSegments(LogicalVolume& lv);

}  // namespace lvlab::lvm
