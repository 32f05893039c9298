// lvcreate -s and lvconvert --merge (snapshot.h).
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "sim/lvm/activation.h"
#include "sim/lvm/names.h"
#include "sim/lvm/pvmove.h"
#include "sim/lvm/pvmove_poll.h"
#include "sim/lvm/raid.h"
#include "sim/lvm/snapshot.h"
#include "sim/lvm/snapshot_layout.h"

namespace lvlab::lvm {
namespace {

bool DeviceOpen(System& sys, const VolumeGroup& vg, const std::string& node) {
  const dm::Device* dev = sys.kernel().Find(DmName(vg.name, node));
  return dev != nullptr && dev->opens() > 0;
}

Segment* MutableSnapshotOfCow(VolumeGroup& vg, const std::string& cow) {
  for (LogicalVolume& lv : vg.lvs) {
    if (lv.segments.size() == 1 && lv.segments[0].type == "snapshot" &&
        lv.segments[0].cow_store == cow) {
      return &lv.segments[0];
    }
  }
  return nullptr;
}

}  // namespace

Status CheckSnapshotOrigin(const VolumeGroup& vg, const LvcreateArgs& a) {
  const std::string path = vg.name + "/" + a.snapshot_origin;
  const LogicalVolume* origin = vg.FindLv(a.snapshot_origin);
  if (!origin) return NotFound("Failed to find logical volume \"" + path + "\"");
  if (SnapshotSegment(*origin) || SnapshotOfCow(vg, origin->name)) {
    return InvalidArgument("Snapshots of snapshots are not supported (" + path +
                           " is a snapshot); snapshot its origin instead");
  }
  if (!origin->visible()) {
    return InvalidArgument("Snapshots of hidden LV " + path + " are not supported");
  }
  if (origin->Has(kLocked) || origin->Has(kPvmove)) {
    return Busy("Snapshots of locked devices are not supported (" + path +
                "); wait for the pvmove to finish");
  }
  if (MergingSnapshotOf(vg, origin->name)) {
    return Busy("Can't create a snapshot of " + path +
                " while a snapshot merges into it; wait for the merge to finish");
  }
  const uint64_t c = a.chunk_size_bytes;
  if (c < 4096 || c > 512 * 1024 || (c & (c - 1)) != 0) {
    return InvalidArgument("Chunk size must be a power of 2 in the range 4K to 512K");
  }
  return Status::Ok();
}

Status AddSnapshot(Context& ctx, VolumeGroup& vg, const LvcreateArgs& a) {
  const std::string cow = a.name;
  // The COW LV, still plain: activate, wipe the exception store's header
  // (a zero magic makes the kernel start a new store), deactivate.
  LVLAB_RETURN_IF_ERROR(ctx.sys.Activate(vg, cow));
  Status wiped = WriteDevice(ctx.sys, DmName(vg.name, cow), 0, std::vector<uint8_t>(4096, 0));
  LVLAB_RETURN_IF_ERROR(ctx.sys.Deactivate(vg, cow));
  LVLAB_RETURN_IF_ERROR(wiped.WithContext("Aborting. Failed to wipe snapshot exception store"));
  const LogicalVolume* origin = vg.FindLv(a.snapshot_origin);
  LogicalVolume snap;
  snap.name = NextSnapshotLvName(vg);
  snap.id = ctx.lab().NewId();
  snap.status = {kRead, kWrite, kVisible};
  snap.creation_time = ctx.lab().options().now_seconds();
  snap.creation_host = ctx.lab().options().host;
  Segment seg;
  seg.extent_count = origin->extent_count();
  seg.type = "snapshot";
  seg.chunk_size = a.chunk_size_bytes / 512;
  seg.origin = origin->name;
  seg.cow_store = cow;
  snap.segments.push_back(seg);
  const std::string origin_name = origin->name;
  auto pos = std::find_if(vg.lvs.begin(), vg.lvs.end(),
                          [](const LogicalVolume& l) { return !l.visible(); });
  vg.lvs.insert(pos, snap);
  if (ctx.sys.IsActive(vg, origin_name)) {
    LVLAB_RETURN_IF_ERROR(ctx.sys.UpdateAndReload(vg, {origin_name}));
  } else {
    LVLAB_RETURN_IF_ERROR(ctx.lab().WriteVg(vg));
  }
  ctx.sys.trace().Emit("snapshot-created", {{"vg", vg.name}, {"lv", cow}, {"origin", origin_name}});
  ctx.out << "  Logical volume \"" << cow << "\" created.\n";
  return Status::Ok();
}

Status RemoveSnapshot(Context& ctx, VolumeGroup& vg, const std::string& cow) {
  const Segment* seg = SnapshotOfCow(vg, cow);
  LVLAB_CHECK(seg) << cow << " is not a snapshot";
  const std::string path = vg.name + "/" + cow;
  if (seg->merging) {
    return Busy("Can't remove merging snapshot " + path + "; wait for the merge to finish");
  }
  if (DeviceOpen(ctx.sys, vg, cow)) return Busy("Logical volume " + path + " in use.");
  const std::string origin = seg->origin;
  const std::string internal = SnapshotLvOfCow(vg, cow)->name;
  const bool active = ctx.sys.IsActive(vg, origin);
  if (ctx.sys.IsActive(vg, cow))
    LVLAB_RETURN_IF_ERROR(ctx.sys.kernel().Remove(DmName(vg.name, cow)));
  std::erase_if(vg.lvs,
                [&](const LogicalVolume& l) { return l.name == cow || l.name == internal; });
  if (active) {
    LVLAB_RETURN_IF_ERROR(ctx.sys.UpdateAndReload(vg, {origin}));
  } else {
    LVLAB_RETURN_IF_ERROR(ctx.lab().WriteVg(vg));
  }
  std::vector<std::string> layers = {cow + ":cow"};
  if (SnapshotsOf(vg, origin).empty()) layers.push_back(origin + ":real");
  for (const std::string& node : layers) {
    const std::string dm = DmName(vg.name, node);
    if (ctx.sys.kernel().Find(dm)) LVLAB_RETURN_IF_ERROR(ctx.sys.kernel().Remove(dm));
  }
  ctx.out << "  Logical volume \"" << cow << "\" successfully removed.\n";
  return Status::Ok();
}

Status LvconvertMerge(Context& ctx, const LvconvertMergeArgs& a) {
  LVLAB_ASSIGN_OR_RETURN(auto names, SplitLvPath(a.lv));
  LVLAB_ASSIGN_OR_RETURN(VgRead r, ReadVgForUpdate(ctx, names.first));
  VolumeGroup& vg = r.vg;
  const std::string& name = names.second;
  if (!vg.FindLv(name)) return NotFound("Failed to find logical volume \"" + a.lv + "\"");
  // command-lines.in (lvconvert_merge: RULE: all not lv_is_locked
  // lv_is_pvmove): lvconvert --merge is invalid on a locked LV, a COW LV or
  // a split raid1 image that a pvmove is moving.
  if (const LogicalVolume* lv = vg.FindLv(name); lv->Has(kLocked)) {
    return Busy("Command on LV " + vg.name + "/" + name +
                " is invalid on LV with properties: lv_is_locked .");
  }
  if (name.find("_rimage_") != std::string::npos) return MergeRaidImage(ctx, vg, name);
  Segment* seg = MutableSnapshotOfCow(vg, name);
  if (!seg) {
    return InvalidArgument("Command on LV " + a.lv +
                           " does not accept LV type linear: lvconvert --merge takes a snapshot");
  }
  if (seg->merging) return Busy("Snapshot " + a.lv + " is already merging.");
  const std::string origin = seg->origin;
  if (const Segment* other = MergingSnapshotOf(vg, origin)) {
    return Busy("Snapshot " + vg.name + "/" + other->cow_store + " is already merging into " +
                vg.name + "/" + origin + "; wait for it to finish");
  }
  const bool active = ctx.sys.IsActive(vg, origin);
  if (active) {
    auto st = ctx.sys.kernel().StatusLines(DmName(vg.name, name));
    if (st.ok() && st->find("Invalid") != std::string::npos) {
      return FailedPrecondition("Unable to merge invalidated snapshot " + a.lv +
                                "; remove it with lvremove");
    }
  }
  const bool origin_open = active && DeviceOpen(ctx.sys, vg, origin);
  const bool snap_open = active && DeviceOpen(ctx.sys, vg, name);
  seg->merging = true;
  vg.FindLv(origin)->Set(kMerging, true);
  const std::string later = "  Merging of snapshot " + a.lv + " will occur on next activation of " +
                            vg.name + "/" + origin + ".\n";
  if (!active || origin_open || snap_open) {
    LVLAB_RETURN_IF_ERROR(ctx.lab().WriteVg(vg));
    if (origin_open) ctx.out << "  Delaying merge since origin is open.\n";
    if (!origin_open && snap_open) ctx.out << "  Delaying merge since snapshot is open.\n";
    ctx.out << later;
    ctx.sys.trace().Emit("snapshot-merge-deferred", {{"vg", vg.name}, {"lv", name}});
    return Status::Ok();
  }
  // The snapshot is suspended so that the kernel can hand its exceptions
  // over to the origin's snapshot-merge target at resume.
  const std::string snap_dm = DmName(vg.name, name);
  LVLAB_RETURN_IF_ERROR(ctx.sys.kernel().Suspend(snap_dm));
  if (Status st = ctx.sys.UpdateAndReload(vg, {origin}); !st.ok()) {
    (void)ctx.sys.kernel().Resume(snap_dm);
    return st;
  }
  // The snapshot device now returns EIO; LVM loads an error table and
  // deactivates it.
  LVLAB_RETURN_IF_ERROR(ctx.sys.kernel().Remove(snap_dm));
  ctx.sys.Narrate("remove " + snap_dm + ": its exceptions merge into " + vg.name + "/" + origin);
  ctx.out << "  Merging of volume " << a.lv << " started.\n";
  Poller::Options o;
  o.vg = vg.name;
  o.lv = origin;
  o.lvid = vg.FindLv(origin)->id;
  o.source = a.lv;
  o.interval_ns = a.interval_ns;
  o.merge = true;
  ctx.sys.pollers().Start(ctx, o);
  if (a.wait) return WaitForPollers(ctx);
  return Status::Ok();
}

size_t PollMerges(Context& ctx, const std::string& vg_name, uint64_t interval_ns) {
  auto r = ctx.lab().ReadVg(vg_name);
  if (!r.ok()) return 0;
  size_t n = 0;
  for (const LogicalVolume& lv : r->vg.lvs) {
    const Segment* seg = MergingSnapshotOf(r->vg, lv.name);
    if (!seg || !ctx.sys.IsActive(r->vg, lv.name)) continue;
    auto table = ctx.sys.kernel().Table(DmName(vg_name, lv.name));
    if (!table.ok() || table->find(" snapshot-merge ") == std::string::npos) continue;
    Poller::Options o;
    o.vg = vg_name;
    o.lv = lv.name;
    o.lvid = lv.id;
    o.source = vg_name + "/" + seg->cow_store;
    o.interval_ns = interval_ns;
    o.merge = true;
    ctx.sys.pollers().Start(ctx, o);
    ++n;
  }
  return n;
}

std::optional<double> MergedPercent(const std::string& status, bool* done) {
  std::istringstream f(status);
  std::string start, len, type, usage, meta;
  if (!(f >> start >> len >> type >> usage >> meta) || type != "snapshot-merge") {
    return std::nullopt;
  }
  const size_t slash = usage.find('/');
  if (slash == std::string::npos) return std::nullopt;
  const uint64_t allocated = std::stoull(usage.substr(0, slash));
  const uint64_t total = std::stoull(usage.substr(slash + 1));
  const uint64_t metadata = std::stoull(meta);
  *done = allocated == metadata;
  if (*done || total == 0) return 100.0;
  return 100.0 - 100.0 * double(allocated) / double(total);
}

}  // namespace lvlab::lvm
