#include "sim/lvm/snapshot_layout.h"

namespace lvlab::lvm {

const Segment* SnapshotSegment(const LogicalVolume& lv) {
  if (lv.segments.size() == 1 && lv.segments[0].type == "snapshot") return &lv.segments[0];
  return nullptr;
}

const LogicalVolume* SnapshotLvOfCow(const VolumeGroup& vg, const std::string& cow) {
  for (const LogicalVolume& lv : vg.lvs) {
    const Segment* s = SnapshotSegment(lv);
    if (s && s->cow_store == cow) return &lv;
  }
  return nullptr;
}

const Segment* SnapshotOfCow(const VolumeGroup& vg, const std::string& cow) {
  const LogicalVolume* lv = SnapshotLvOfCow(vg, cow);
  return lv ? SnapshotSegment(*lv) : nullptr;
}

std::vector<const Segment*> SnapshotsOf(const VolumeGroup& vg, const std::string& origin) {
  std::vector<const Segment*> out;
  for (const LogicalVolume& lv : vg.lvs) {
    const Segment* s = SnapshotSegment(lv);
    if (s && s->origin == origin) out.push_back(s);
  }
  return out;
}

const Segment* MergingSnapshotOf(const VolumeGroup& vg, const std::string& origin) {
  for (const Segment* s : SnapshotsOf(vg, origin)) {
    if (s->merging) return s;
  }
  return nullptr;
}

std::string NextSnapshotLvName(const VolumeGroup& vg) {
  for (int n = 0;; ++n) {
    std::string name = "snapshot" + std::to_string(n);
    if (!vg.FindLv(name)) return name;
  }
}

}  // namespace lvlab::lvm
