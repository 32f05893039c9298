// raid1 LVs as LVM2 makes them (lib/metadata/raid_manip.c, tools/lvconvert.c):
// lvcreate --type raid1 -m N, lvconvert --splitmirrors 1 [--trackchanges |
// --name NEW] and lvconvert --merge VG/LV_rimage_N.
//
// A raid1 LV has one "raid1" segment whose `raids` list pairs each image's
// metadata sub-LV (LV_rmeta_N, one extent) with its data sub-LV
// (LV_rimage_N), every pair on its own PV. The rmeta LVs are wiped before
// the first activation so that the kernel sees a new array (a full resync,
// or none with --nosync, which sets NOTSYNCED).
//
// --trackchanges makes the last image VISIBLE and read-only; activation
// then puts "- -" in its slot, the array runs degraded and the write-intent
// bitmap keeps every region written meanwhile dirty. --merge of that image
// makes it hidden and writable again; the reloaded array recovers only the
// dirty regions. --name NEW completes a split: the image becomes the
// independent LV NEW (a 2-way raid1 becomes linear on its first image).
// Like LVM, the lab activates a split image read-only (no WRITE status):
// writes to its device fail with EROFS until it is merged back.
// Single-threaded.
#pragma once

#include <string>

#include "sim/lvm/commands.h"

namespace lvlab::lvm {

Status LvcreateRaid1(Context& ctx, const LvcreateArgs& a);
// lvcreate --type mirror -m N [--mirrorlog core|disk]: LV_mimage_N on
// distinct PVs, a disk log LV_mlog (one extent, wiped) on yet another PV;
// activated as the mirror target with handle_errors. A failed leg or log is
// handled by dmeventd and lvconvert --repair (dmeventd.h, repair.h).
Status LvcreateMirror(Context& ctx, const LvcreateArgs& a);

struct LvconvertSplitArgs {
  std::string lv;  // VG/LV
  uint32_t count = 1;
  bool trackchanges = false;
  std::string name;  // --name: the new LV of a completed split
};
Status LvconvertSplitMirrors(Context& ctx, const LvconvertSplitArgs& a);

// lvconvert --merge VG/LV_rimage_N of an image split with --trackchanges.
Status MergeRaidImage(Context& ctx, VolumeGroup& vg, const std::string& image);

}  // namespace lvlab::lvm
