// The merge half of the Poller: LVM's polling of lvconvert --merge
// (_lvconvert_merge_fns, lvconvert_merge_finish; snapshot.h).
#include <cstdio>

#include "sim/lvm/names.h"
#include "sim/lvm/pvmove_poll.h"
#include "sim/lvm/snapshot.h"
#include "sim/lvm/snapshot_layout.h"

namespace lvlab::lvm {

void Poller::PollMerge() {
  auto read = ctx_.lab().ReadVg(o_.vg);
  if (!read.ok()) return Finish(read.status().WithContext("Can't reread VG for " + o_.source));
  VolumeGroup& vg = read->vg;
  const LogicalVolume* origin = vg.FindLv(o_.lv);
  if (!origin || origin->id != o_.lvid || !MergingSnapshotOf(vg, o_.lv)) {
    return Finish(Status::Ok());  // finished by another poller
  }
  if (!ctx_.sys.IsActive(vg, o_.lv)) {
    ctx_.out << "  " << o_.source << ": Interrupted: No longer active.\n";
    return Finish(Status::Ok());
  }
  auto status = ctx_.sys.kernel().StatusLines(DmName(o_.vg, o_.lv));
  if (!status.ok()) return Finish(status.status());
  if (status->find(" snapshot-merge ") == std::string::npos) {
    return Finish(Status::Ok());  // deferred: the merge starts at the next activation
  }
  bool done = false;
  std::optional<double> merged = MergedPercent(*status, &done);
  if (!merged) {
    return Finish(IOError(o_.source + ": merge failed (" + *status +
                          "); the snapshot stays, see dmsetup status"));
  }
  if (o_.interval_ns || done) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f%%", *merged);
    ctx_.out << "  " << o_.source << ": Merged: " << buf << "\n";
  }
  if (!done) return Again();
  Finish(FinishMerge(vg));
}

// lvconvert_merge_finish: the snapshot goes (its LVs leave the metadata),
// the origin is reloaded onto its own segments and the layers are removed.
Status Poller::FinishMerge(VolumeGroup& vg) {
  const Segment* seg = MergingSnapshotOf(vg, o_.lv);
  const std::string cow = seg->cow_store;
  const LogicalVolume* internal = SnapshotLvOfCow(vg, cow);
  const std::string internal_name = internal->name;
  std::erase_if(vg.lvs,
                [&](const LogicalVolume& l) { return l.name == cow || l.name == internal_name; });
  vg.FindLv(o_.lv)->Set(kMerging, false);
  LVLAB_RETURN_IF_ERROR(ctx_.sys.UpdateAndReload(vg, {o_.lv}));
  for (const std::string& node : {cow, cow + ":cow", o_.lv + ":real"}) {
    const std::string dm = DmName(o_.vg, node);
    if (ctx_.sys.kernel().Find(dm)) LVLAB_RETURN_IF_ERROR(ctx_.sys.kernel().Remove(dm));
  }
  ctx_.sys.trace().Emit("snapshot-merge-finished",
                        {{"vg", o_.vg}, {"lv", o_.lv}, {"seqno", vg.seqno}});
  ctx_.sys.Narrate("merge finished: " + o_.source + " removed; " + o_.vg + "/" + o_.lv +
                   " maps its own segments again (seqno " + std::to_string(vg.seqno) + ")");
  ctx_.out << "  Merge of snapshot into logical volume " << o_.lv << " has finished.\n";
  ctx_.out << "  Logical volume \"" << cow << "\" successfully removed.\n";
  return Status::Ok();
}

}  // namespace lvlab::lvm
