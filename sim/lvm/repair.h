// lvconvert --repair of mirror and raid1 LVs, as LVM2 does it
// (tools/lvconvert.c: _lvconvert_mirrors_repair, _lvconvert_repair_pvs_raid;
// lib/metadata/raid_manip.c: lv_raid_replace), by hand or from dmeventd
// with --use-policies (dmeventd.h).
//
// A failed PV is one whose drive has failed (or that is missing or flagged
// MISSING). An image or log with an extent on a failed PV has failed. The
// repair writes the VG to the PVs that are left, with the failed PVs
// flagged MISSING (they stay in the VG, as LVM leaves them, until they are
// restored or removed).
//
// mirror: first the failed images and a failed disk log are removed (one
// image left: the LV becomes linear on it; no log: a core log); then, per
// policy (--use-policies: activation/mirror_image_fault_policy and
// mirror_log_fault_policy; by hand: yes, unless -f or a 'n' answer), LVM
// up-converts back to the original count with space on PVs that hold no
// other image ("WARNING: Trying to up-convert to N images, M logs."), with
// fewer images, then fewer logs, when space is short, and warns of what
// it could not replace. A new image is resynchronised in full: the disk log
// is wiped before the mirror is reloaded.
//
// raid1: with raid_fault_policy allocate (or by hand), each failed image's
// rmeta and rimage are replaced by new ones with the same names on a PV
// that holds no other image and has room, flagged REBUILD for the reload
// ("rebuild <idx>" in the table, as LVM's LV_REBUILD; cleared in the next
// commit) and with a wiped rmeta: the array rebuilds that image in full.
// With warn, only "Use 'lvconvert
// --repair VG/LV' to replace failed device." No space: LVM's "Failed to
// allocate replacement images" and the command fails; fewer than all:
// "Failed to replace N devices.  Attempting to replace M instead.".
//
// Deviations: replacement sub-LVs keep the old sub-LVs' names and IDs and
// their dm devices get new tables (LVM allocates them under temporary
// names, removes the old ones and renames); the mirror's new image takes
// the lowest free _mimage_N index; a missing PV is not removed from the VG
// afterwards. The repair holds the VG lock (System::TryLockVg): Busy if a
// poller or dmeventd holds it. Single-threaded.
#pragma once

#include <istream>
#include <string>
#include <vector>

#include "sim/lvm/commands.h"

namespace lvlab::lvm {

struct LvconvertRepairArgs {
  std::string lv;                // VG/LV
  std::vector<std::string> pvs;  // PVs to allocate replacements on (default: the VG's)
  bool use_policies = false;     // --use-policies: lvm.conf decides (dmeventd)
  bool yes = false;              // -y: answer yes to the prompts
  bool force = false;            // -f: no prompts; mirrors are not replaced
  std::istream* in = nullptr;    // the prompts' answers (null: "n")
};
Status LvconvertRepair(Context& ctx, const LvconvertRepairArgs& a);

}  // namespace lvlab::lvm
