// Snapshots as LVM2 makes them: lvcreate -s and lvconvert --merge
// (tools/lvcreate.c, lib/metadata/snapshot_manip.c, tools/lvconvert.c
// _lvconvert_merge_old_snapshot, lvconvert_merge_finish).
//
// lvcreate -s -L SIZE -n SNAP VG/ORIGIN allocates the COW LV as a plain LV
// (one commit), activates it, wipes its first 4 KiB (so the kernel sees a
// new exception store), deactivates it, adds the internal snapshotN LV and,
// if the origin is active, loads origin, ORIGIN-real, SNAP-cow and SNAP
// with the origin suspended around the second commit.
//
// lvconvert --merge VG/SNAP marks the snapshot merging (merging_store,
// MERGING on the origin). If the origin is inactive, or its device or the
// snapshot's is open (the lab's "in use": a device a user holds open, e.g.
// a mounted LV), nothing else happens: the merge starts at the origin's next
// activation, as LVM defers it. Otherwise the snapshot is suspended, the
// origin reloaded as snapshot-merge (the kernel hands the exceptions over)
// and the snapshot's device removed. A poller (LVM's polldaemon) then reads
// the origin's status every interval ("VG/SNAP: Merged: N%") and, once
// sectors_allocated == metadata_sectors, removes the snapshot from the
// metadata and reloads the origin onto its own segments. Activation of an
// origin with a merging snapshot restarts the merge where the COW store
// says it stopped (PollMerges starts its poller).
// Single-threaded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim/base/status.h"
#include "sim/lvm/commands.h"

namespace lvlab::lvm {

// The checks of lvcreate -s before anything is allocated.
Status CheckSnapshotOrigin(const VolumeGroup& vg, const LvcreateArgs& a);
// After the COW LV a.name was committed: wipes its header, adds snapshotN,
// activates the snapshot with the origin. `vg` is the committed metadata.
Status AddSnapshot(Context& ctx, VolumeGroup& vg, const LvcreateArgs& a);

// lvremove of a snapshot (its COW LV): both LVs leave the metadata; an
// active origin is reloaded (onto its own segments when no snapshot is
// left) and the snapshot's devices removed. Refused while it merges or its
// device is open.
Status RemoveSnapshot(Context& ctx, VolumeGroup& vg, const std::string& cow);

struct LvconvertMergeArgs {
  std::string lv;  // VG/SNAP
  uint64_t interval_ns = 15'000'000'000;
  bool wait = true;  // poll until the merge has finished
};
Status LvconvertMerge(Context& ctx, const LvconvertMergeArgs& a);

// Starts a merge poller for every active origin of `vg` whose device runs
// snapshot-merge. Returns how many were started.
size_t PollMerges(Context& ctx, const std::string& vg, uint64_t interval_ns);

// The snapshot-merge progress of an origin's status line: Merged percent
// (100 - allocated/total), or nullopt if the line is not snapshot-merge
// usage. *done is set when allocated == metadata.
std::optional<double> MergedPercent(const std::string& status, bool* done);

}  // namespace lvlab::lvm
