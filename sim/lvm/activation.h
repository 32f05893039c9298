// Activation: metadata -> device-mapper tables, as LVM's dev_manager builds
// them (lib/activate/dev_manager.c, lib/mirror/mirrored.c).
//
// Each LV is one dm device named DmName(vg, lv) with uuid "LVM-<vgid><lvid>"
// (dashes removed). A segment maps as:
//   striped, 1 area   linear <pv> <pe_start + pe * extent_size>
//   striped, N areas  striped N <stripe_size> <pv> <off> ...
//   error / zero      error / zero
//   area on an LV     linear <that LV's device> <le * extent_size>
//   PVMOVE mirror     COMPLETED (extents_moved == length): linear onto area 1;
//                     the first incomplete one (RUNNING): mirror core 1
//                     <region_size> 2 <area 0> <area 1> (no nosync, no
//                     handle_errors); later ones (DISABLED): linear onto area 0.
// Pure functions over the model; thread-compatible.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sim/base/status.h"
#include "sim/lvm/metadata.h"

namespace lvlab::lvm {

struct TableContext {
  // "7:1" for a PV key; fails (empty) for a missing PV.
  std::function<std::string(const std::string& pv_key)> pv_dev;
  // "254:3" for an LV that is active (its device exists), else empty.
  std::function<std::string(const std::string& lv_name)> lv_dev;
  // Bug atomic-nosync-after-crash (bugs.h): a COMPLETE atomic pvmove mirror
  // (areas on its mimages) stays a mirror, loaded with `nosync`, as the
  // all-or-nothing proof of concept did, whether or not the VG was shut
  // down cleanly.
  bool atomic_complete_nosync = false;
};

// The table text ("0 81920 linear 7:1 2048\n...") for `lv`.
Result<std::string> BuildTable(const VolumeGroup& vg, const LogicalVolume& lv,
                               const TableContext& ctx);

// Activation nodes: an LV name, or "<lv>:<layer>" for LVM's layer devices
// of snapshots (lv0:real, snap:cow; see snapshot_layout.h). DmName turns a
// node into its dm name.
std::pair<std::string, std::string> SplitNode(const std::string& node);

// The nodes to activate for `lv`, dependencies first (pvmove0 before the
// LVs that use it; ORIGIN:real and COW:cow before the snapshot and the
// origin; an origin comes with its snapshots), each once.
std::vector<std::string> ActivationOrder(const VolumeGroup& vg, const std::string& lv);

// Nodes whose devices use `node` (the holders): LVs whose segments point at
// it, or for a layer the devices stacked on it.
std::vector<std::string> Holders(const VolumeGroup& vg, const std::string& node);

// The table of a node: BuildTable for plain LVs and layers; snapshot-origin
// or snapshot-merge for an origin; snapshot for a COW LV.
Result<std::string> BuildNodeTable(const VolumeGroup& vg, const std::string& node,
                                   const TableContext& ctx);
// DmUuid, with "-real"/"-cow" for layers; empty if the LV does not exist.
std::string NodeUuid(const VolumeGroup& vg, const std::string& node);

// The dm uuid of an LV: "LVM-" + vg id + lv id, dashes removed.
std::string DmUuid(const VolumeGroup& vg, const LogicalVolume& lv);

// The default mirror region size in sectors for a mirror of `extents`
// extents (adjusted_mirror_region_size: 2 MiB, reduced to the largest power
// of two not above the LV size).
uint64_t MirrorRegionSize(uint64_t extent_size, uint64_t extents);

}  // namespace lvlab::lvm
