// How LVM2 represents a snapshot in metadata (lib/metadata/snapshot_manip.c)
// and which dm devices activate it (lib/activate/dev_manager.c).
//
// A snapshot is two LVs: the COW LV the user names ("snap", striped
// segments holding the exception store) and an internal "snapshotN" LV
// whose one "snapshot" segment names the origin, the COW LV and the chunk
// size. Activated, the origin "lv0" is snapshot-origin (or snapshot-merge
// while merging) over the layer "lv0:real" (vg-lv0-real) holding lv0's own
// segments; the COW LV "snap" is the snapshot device over lv0:real and the
// layer "snap:cow" (vg-snap-cow). snapshotN has no device; while merging,
// the COW LV has none either (only its snap:cow layer, used by the origin).
// Pure functions over the model; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "sim/lvm/metadata.h"

namespace lvlab::lvm {

// The snapshot segment of an internal snapshotN LV, else null.
const Segment* SnapshotSegment(const LogicalVolume& lv);
// The snapshot segment whose COW LV is `cow`, else null.
const Segment* SnapshotOfCow(const VolumeGroup& vg, const std::string& cow);
// The internal snapshotN LV whose COW LV is `cow`, else null.
const LogicalVolume* SnapshotLvOfCow(const VolumeGroup& vg, const std::string& cow);
// The snapshot segments of `origin`, in VG order.
std::vector<const Segment*> SnapshotsOf(const VolumeGroup& vg, const std::string& origin);
// The merging snapshot of `origin`, else null.
const Segment* MergingSnapshotOf(const VolumeGroup& vg, const std::string& origin);
// "snapshot0", "snapshot1", ...: the lowest unused.
std::string NextSnapshotLvName(const VolumeGroup& vg);

}  // namespace lvlab::lvm
