// LVM's commands as library functions over a System (its Lab and Kernel).
// The CLI, the scenario runner and the property tests call these same
// functions. Each validates everything before it changes anything: a failed
// command leaves metadata (and its seqno) and the kernel as they were, and
// says what was wrong and what to do. Messages follow LVM's wording and its
// two-space indent. Single-threaded.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/base/status.h"
#include "sim/lvm/allocator.h"
#include "sim/lvm/system.h"

namespace lvlab::lvm {

struct Context {
  System& sys;
  std::ostream& out;
  std::ostream& err;
  Lab& lab() { return sys.lab(); }
};

// Reads a VG for a change: prints inconsistency warnings to err and refuses
// while PVs are missing.
Result<VgRead> ReadVgForUpdate(Context& ctx, const std::string& vg);
// Reads a VG for reporting: warnings to err only.
Result<VgRead> ReadVgForReport(Context& ctx, const std::string& vg);
// "vg/lv" -> {vg, lv}; an error names the argument.
Result<std::pair<std::string, std::string>> SplitLvPath(const std::string& path);
// "pv1", "pv1:0-9", "pv1:3+4", "pv1:0-2:8-9" -> ranges on a VG's PV keys.
Result<std::vector<PeRange>> ParsePvArgs(Context& ctx, const VolumeGroup& vg,
                                         const std::vector<std::string>& args);

// metadata_copies: 1, or 0 for a PV without a metadata area (LVM's
// --metadatacopies 0); 2 is refused (no second area at the device's end).
// Drops the LV called `name` from the VG's metadata (not from any PV).
void EraseLv(VolumeGroup& vg, const std::string& name);
// Removes the kernel devices of `lvs` that exist, ignoring errors: the
// devices of sub-LVs a command has just taken out of the metadata.
void RemoveDevices(Context& ctx, const VolumeGroup& vg, const std::vector<std::string>& lvs);

Status Pvcreate(Context& ctx, const std::string& name, uint64_t size_bytes, uint64_t pe_start_bytes,
                uint32_t metadata_copies = 1);
Status Pvremove(Context& ctx, const std::vector<std::string>& names);

struct VgcreateArgs {
  std::string vg;
  std::vector<std::string> pvs;
  uint64_t extent_size_bytes = 4 << 20;
};
Status Vgcreate(Context& ctx, const VgcreateArgs& args);
Status Vgremove(Context& ctx, const std::vector<std::string>& vgs, bool force);
Status Vgextend(Context& ctx, const std::string& vg, const std::vector<std::string>& pvs);
Status Vgreduce(Context& ctx, const std::string& vg, const std::vector<std::string>& pvs);
// vgreduce --removemissing [--force] (LVM's tools/vgreduce.c): drops the
// VG's missing PVs (not found, drive failed, or flagged MISSING). Without
// --force, LVs with extents on them (partial LVs) stay, with LVM's
// warnings, and so do the PVs they use: the command fails. With --force the
// partial LVs, the LVs stacked on them and their sub-LVs are deactivated and
// removed (a snapshot's origin is deactivated), then the PVs.
Status VgreduceRemoveMissing(Context& ctx, const std::string& vg, bool force);
// vgextend --restoremissing PV...: clears MISSING on PVs whose drive is back.
Status VgextendRestoreMissing(Context& ctx, const std::string& vg,
                              const std::vector<std::string>& pvs);
// vgchange -ay|-an. Activation also starts polling every unfinished pvmove
// of the VG (as LVM's _poll_lvs_in_vg) unless `poll` is false (--poll n).
Status Vgchange(Context& ctx, const std::vector<std::string>& vgs, bool activate,
                bool poll = true);
Status Vgck(Context& ctx, const std::string& vg, bool update_metadata);

struct LvcreateArgs {
  std::string vg;
  std::string name;
  std::optional<uint64_t> size_bytes;  // -L
  std::string extents;                 // -l: "10", "50%FREE", "100%VG", "100%PVS"
  std::vector<std::string> pvs;        // PV[:PE-PE]...
  uint32_t stripes = 1;
  uint64_t stripe_size_bytes = 64 << 10;
  std::string alloc = "normal";
  bool activate = true;
  bool zero = true;  // wipe the first 4 KiB, as lvcreate -Zy does
  // -s: the origin LV (in `vg`); the new LV is its COW LV (snapshot.h).
  std::string snapshot_origin;
  uint64_t chunk_size_bytes = 4096;  // -c, --chunksize (4 KiB to 512 KiB)
  // --type raid1|mirror -m N [--nosync] [--mirrorlog core|disk] (raid.h).
  std::string type;
  std::string mirrorlog = "disk";
  uint32_t mirrors = 0;
  bool nosync = false;
};
Status Lvcreate(Context& ctx, const LvcreateArgs& args);

struct LvextendArgs {
  std::string lv;                      // vg/lv
  std::optional<uint64_t> size_bytes;  // -L [+]SIZE
  bool size_relative = false;
  std::string extents;                 // -l [+]N[%...]
  std::vector<std::string> pvs;
  std::string alloc;                   // empty = the LV's or VG's policy
};
Status Lvextend(Context& ctx, const LvextendArgs& args);
Status Lvremove(Context& ctx, const std::vector<std::string>& lvs, bool yes, std::istream* in);
// lvchange -ay of a LOCKED LV also activates its pvmove LV and starts
// polling it (lv_spawn_background_polling) unless `poll` is false.
Status Lvchange(Context& ctx, const std::vector<std::string>& lvs, bool activate,
                bool poll = true);

Status Vgcfgbackup(Context& ctx, const std::string& vg, const std::string& file);
struct VgcfgrestoreArgs {
  std::string vg;
  std::string file;
  bool create_pvs = false;
};
Status Vgcfgrestore(Context& ctx, const VgcfgrestoreArgs& args);

// Writes `size` bytes at `offset` of a dm device and waits (with a flush).
Status WriteDevice(System& sys, const std::string& dm_name, uint64_t offset_bytes,
                   const std::vector<uint8_t>& data);
Result<std::vector<uint8_t>> ReadDevice(System& sys, const std::string& dm_name,
                                        uint64_t offset_bytes, uint64_t size);

}  // namespace lvlab::lvm
