// `lvlab show`: the LV -> PV mapping of a VG drawn as text.
//
// For each LV: a header (vg/lv, size, extents, segments, lv_attr), a box with
// one cell per segment labelled with its areas ("pv1:0-9", "pvmove0:0-9"),
// cell widths proportional to extents but never narrower than their labels,
// the device number right of the box while active, and the LE range of each
// segment under it:
//
//   vg0/lv0  120.00m  30 extents  3 segments  -wI-a-----
//     +------------------+------------------+------------------+
//     | pv1:0-9          | pvmove0:0-9      | pv3:0-9          | 254:3
//     +------------------+------------------+------------------+
//       LE 0-9             LE 10-19           LE 20-29
//     pvmove0 beneath LE 10-19:
//       LE 0-9  pv2:0-9 → pv4:0-9  RUNNING
//
// Segments that map onto another LV (pvmove0, mirror images) get that LV's
// segments drawn beneath; pvmove mirror segments show source → destination
// and a state: COMPLETED when extents_moved reaches the segment's size,
// RUNNING for the first one that does not, DISABLED for the later ones.
// Then one line per PV of the VG with the LVs on each PE range and the free
// ranges. Pure and deterministic; no line has trailing spaces.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "sim/lvm/metadata.h"

namespace lvlab::lvm {

// `lv_name` empty = every visible LV, by name; otherwise that LV only (hidden
// ones too). An unknown `lv_name` gives a one-line message instead of a
// diagram. `pv_name` names a PV of `vg` as the lab does ("pv1"); `devno`
// gives an LV's "major:minor", or "" when it is not active.
std::string ShowDiagram(const VolumeGroup& vg, std::string_view lv_name,
                        const std::function<std::string(const PhysicalVolume&)>& pv_name,
                        const std::function<std::string(const LogicalVolume&)>& devno);

}  // namespace lvlab::lvm
