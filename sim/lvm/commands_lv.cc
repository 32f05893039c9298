// lvcreate, lvextend, lvremove, lvchange.
#include <algorithm>
#include <istream>

#include "sim/base/units.h"
#include "sim/lvm/activation.h"
#include "sim/lvm/commands.h"
#include "sim/lvm/names.h"
#include "sim/lvm/pvmove.h"
#include "sim/lvm/raid.h"
#include "sim/lvm/snapshot.h"
#include "sim/lvm/snapshot_layout.h"

namespace lvlab::lvm {
namespace {

std::string SizeText(const VolumeGroup& vg, uint64_t extents) {
  std::string s = FormatSize(extents * vg.extent_bytes(), 'h', true);
  // LVM's messages spell units out: "40.00 MiB".
  char unit = s.back();
  s.pop_back();
  std::string u = unit == 'k' ? " KiB" : unit == 'm' ? " MiB" : unit == 'g' ? " GiB"
                : unit == 't' ? " TiB" : unit == 'p' ? " PiB" : " EiB";
  return s + u;
}

// -l N | N%FREE | N%VG | N%PVS (of the named PVs) -> extents.
Result<uint64_t> ParseExtents(const std::string& text, const VolumeGroup& vg,
                              const std::vector<PeRange>& ranges) {
  std::string num = text, pct;
  if (auto p = text.find('%'); p != std::string::npos) {
    num = text.substr(0, p);
    pct = text.substr(p + 1);
  }
  if (num.empty() || num.size() > 18 || !std::all_of(num.begin(), num.end(), ::isdigit)) {
    return InvalidArgument("Invalid argument for --extents: " + text +
                           "; use a number of extents or N%FREE, N%VG, N%PVS");
  }
  const uint64_t n = std::stoull(num);
  if (pct.empty()) return n;
  uint64_t base;
  if (pct == "FREE") {
    base = vg.FreeExtents();
  } else if (pct == "VG") {
    base = vg.TotalExtents();
  } else if (pct == "PVS") {
    base = 0;
    for (const PeRange& r : ranges) {
      const PhysicalVolume* pv = vg.FindPv(r.pv_key);
      base += r.count ? r.count : pv->pe_count - r.start;
    }
    if (ranges.empty()) base = vg.TotalExtents();
  } else {
    return InvalidArgument("Invalid argument for --extents: " + text +
                           "; the percentage is of FREE, VG or PVS");
  }
  if (n > 100 && pct != "FREE") return InvalidArgument("Percentage " + text + " is above 100");
  return base * n / 100;
}

Result<uint64_t> SizeToExtents(Context& ctx, const VolumeGroup& vg, uint64_t bytes) {
  const uint64_t es = vg.extent_bytes();
  uint64_t extents = (bytes + es - 1) / es;
  if (bytes % es) {
    ctx.out << "  Rounding up size to full physical extent " << SizeText(vg, extents) << ".\n";
  }
  return extents;
}

Status CheckNotLocked(const VolumeGroup& vg, const LogicalVolume& lv, const std::string& verb) {
  if (lv.Has(kLocked) || lv.Has(kPvmove)) {
    return Busy("Can't " + verb + " locked logical volume " + vg.name + "/" + lv.name +
                "; wait for the pvmove to finish or run pvmove --abort");
  }
  return Status::Ok();
}

}  // namespace

Status Lvcreate(Context& ctx, const LvcreateArgs& a) {
  LVLAB_RETURN_IF_ERROR(CheckLvName(a.name));
  if (a.type == "raid1") return LvcreateRaid1(ctx, a);
  if (a.type == "mirror") return LvcreateMirror(ctx, a);
  LVLAB_ASSIGN_OR_RETURN(VgRead r, ReadVgForUpdate(ctx, a.vg));
  VolumeGroup& vg = r.vg;
  if (vg.FindLv(a.name)) {
    return AlreadyExists("Logical Volume \"" + a.name + "\" already exists in volume group \"" +
                         a.vg + "\"");
  }
  if (a.stripes < 1 || a.stripes > 128) return InvalidArgument("Number of stripes must be 1-128");
  LVLAB_ASSIGN_OR_RETURN(std::vector<PeRange> ranges, ParsePvArgs(ctx, vg, a.pvs));
  uint64_t extents;
  if (a.size_bytes) {
    LVLAB_ASSIGN_OR_RETURN(extents, SizeToExtents(ctx, vg, *a.size_bytes));
  } else {
    LVLAB_ASSIGN_OR_RETURN(extents, ParseExtents(a.extents, vg, ranges));
  }
  if (extents == 0) return InvalidArgument("Unable to create LV " + a.name + " with no extents");
  if (!a.snapshot_origin.empty()) LVLAB_RETURN_IF_ERROR(CheckSnapshotOrigin(vg, a));
  if (extents % a.stripes) {
    extents += a.stripes - extents % a.stripes;
    ctx.out << "  Rounding size up to stripe boundary size " << SizeText(vg, extents) << ".\n";
  }
  AllocRequest req;
  req.extents = extents;
  req.stripes = a.stripes;
  req.policy = a.alloc;
  req.allowed = ranges;
  LVLAB_ASSIGN_OR_RETURN(std::vector<Chunk> chunks, Allocate(vg, req));
  LogicalVolume lv;
  lv.name = a.name;
  lv.id = ctx.lab().NewId();
  lv.status = {kRead, kWrite, kVisible};
  lv.creation_time = ctx.lab().options().now_seconds();
  lv.creation_host = ctx.lab().options().host;
  if (a.alloc != "normal") lv.allocation_policy = a.alloc;
  AppendSegments(lv, chunks, a.stripe_size_bytes / 512);
  // Hidden LVs stay after visible ones, as LVM writes them.
  auto pos = std::find_if(vg.lvs.begin(), vg.lvs.end(), [](const LogicalVolume& l) {
    return !l.visible();
  });
  vg.lvs.insert(pos, lv);
  LVLAB_RETURN_IF_ERROR(ctx.lab().WriteVg(vg));
  if (!a.snapshot_origin.empty()) return AddSnapshot(ctx, vg, a);
  if (a.activate) {
    LVLAB_RETURN_IF_ERROR(ctx.sys.Activate(vg, a.name));
    if (a.zero) {
      LVLAB_RETURN_IF_ERROR(
          WriteDevice(ctx.sys, DmName(vg.name, a.name), 0, std::vector<uint8_t>(4096, 0)));
    }
  } else if (a.zero) {
    ctx.err << "  WARNING: Logical volume " << a.vg << "/" << a.name << " not zeroed.\n";
  }
  ctx.out << "  Logical volume \"" << a.name << "\" created.\n";
  return Status::Ok();
}

Status Lvextend(Context& ctx, const LvextendArgs& a) {
  LVLAB_ASSIGN_OR_RETURN(auto names, SplitLvPath(a.lv));
  LVLAB_ASSIGN_OR_RETURN(VgRead r, ReadVgForUpdate(ctx, names.first));
  VolumeGroup& vg = r.vg;
  LogicalVolume* lv = vg.FindLv(names.second);
  if (!lv) return NotFound("Failed to find logical volume \"" + a.lv + "\"");
  LVLAB_RETURN_IF_ERROR(CheckNotLocked(vg, *lv, "resize"));
  if (lv->segments.empty() || lv->segments.back().type != "striped") {
    return Unsupported("lvextend of " + a.lv + " (segment type " +
                       (lv->segments.empty() ? "none" : lv->segments.back().type) +
                       ") is not supported");
  }
  LVLAB_ASSIGN_OR_RETURN(std::vector<PeRange> ranges, ParsePvArgs(ctx, vg, a.pvs));
  const uint64_t old = lv->extent_count();
  uint64_t target;
  if (a.size_bytes) {
    LVLAB_ASSIGN_OR_RETURN(uint64_t e, SizeToExtents(ctx, vg, *a.size_bytes));
    target = a.size_relative ? old + e : e;
  } else {
    const bool rel = !a.extents.empty() && a.extents[0] == '+';
    LVLAB_ASSIGN_OR_RETURN(uint64_t e, ParseExtents(rel ? a.extents.substr(1) : a.extents, vg, ranges));
    target = rel ? old + e : e;
  }
  if (target <= old) {
    return InvalidArgument("New size given (" + std::to_string(target) +
                           " extents) not larger than existing size (" + std::to_string(old) +
                           " extents); use lvreduce to shrink");
  }
  const Segment& last = lv->segments.back();
  const uint32_t stripes = static_cast<uint32_t>(last.areas.size());
  uint64_t add = target - old;
  if (add % stripes) add += stripes - add % stripes;
  AllocRequest req;
  req.extents = add;
  req.stripes = stripes;
  req.policy = !a.alloc.empty() ? a.alloc
               : !lv->allocation_policy.empty() && lv->allocation_policy != "inherit"
                   ? lv->allocation_policy : "normal";
  req.allowed = ranges;
  req.extend = lv;
  LVLAB_ASSIGN_OR_RETURN(std::vector<Chunk> chunks, Allocate(vg, req));
  AppendSegments(*lv, chunks, last.stripe_size);
  const std::string lv_name = lv->name;
  LVLAB_RETURN_IF_ERROR(ctx.lab().WriteVg(vg));
  if (ctx.sys.IsActive(vg, lv_name)) LVLAB_RETURN_IF_ERROR(ctx.sys.Reload(vg, lv_name));
  ctx.out << "  Size of logical volume " << a.lv << " changed from " << SizeText(vg, old) << " ("
          << old << " extents) to " << SizeText(vg, old + add) << " (" << old + add
          << " extents).\n  Logical volume " << a.lv << " successfully resized.\n";
  return Status::Ok();
}

namespace {

Status LvremoveOne(Context& ctx, const std::string& path, bool yes, std::istream* in) {
  LVLAB_ASSIGN_OR_RETURN(auto names, SplitLvPath(path));
  LVLAB_ASSIGN_OR_RETURN(VgRead r, ReadVgForUpdate(ctx, names.first));
  VolumeGroup& vg = r.vg;
  const LogicalVolume* lv = vg.FindLv(names.second);
  if (!lv) return NotFound("Failed to find logical volume \"" + path + "\"");
  LVLAB_RETURN_IF_ERROR(CheckNotLocked(vg, *lv, "remove"));
  if (!Holders(vg, lv->name).empty()) {
    return Busy("Can't remove logical volume " + path + " used by " + Holders(vg, lv->name)[0]);
  }
  if (ctx.sys.IsActive(vg, lv->name)) {
    const dm::Device* dev = ctx.sys.kernel().Find(DmName(vg.name, lv->name));
    if (dev && dev->opens() > 0) return Busy("Logical volume " + path + " in use.");
    if (!yes) {
      ctx.out << "Do you really want to remove active logical volume " << path << "? [y/n]: ";
      ctx.out.flush();
      std::string answer;
      if (!in || !std::getline(*in, answer) || (answer != "y" && answer != "Y")) {
        ctx.out << "\n";
        return FailedPrecondition("Logical volume " + names.second +
                                  " not removed (answer y, or use lvremove -y)");
      }
    }
  }
  const std::string name = lv->name;
  if (SnapshotOfCow(vg, name)) return RemoveSnapshot(ctx, vg, name);
  if (!SnapshotsOf(vg, name).empty()) {
    return Busy("Can't remove logical volume " + path + " with snapshots; remove " + vg.name + "/" +
                SnapshotsOf(vg, name)[0]->cow_store + " first");
  }
  if (SnapshotSegment(*lv)) {
    return InvalidArgument("Can't remove internal logical volume " + path +
                           "; remove its snapshot instead");
  }
  // Deactivate first (with the old metadata), then commit, as lv_remove does.
  LVLAB_RETURN_IF_ERROR(ctx.sys.Deactivate(vg, name));
  vg.lvs.erase(std::find_if(vg.lvs.begin(), vg.lvs.end(),
                            [&](const LogicalVolume& l) { return l.name == name; }));
  LVLAB_RETURN_IF_ERROR(ctx.lab().WriteVg(vg));
  ctx.out << "  Logical volume \"" << name << "\" successfully removed.\n";
  return Status::Ok();
}

}  // namespace

Status Lvremove(Context& ctx, const std::vector<std::string>& paths, bool yes, std::istream* in) {
  // As LVM's process_each_lv: an LV that cannot be removed (not found, in
  // use...) is reported and the others are still removed; the command
  // fails if any was not. Earlier failures are printed here, the last one
  // is returned.
  Status failed = Status::Ok();
  for (const std::string& path : paths) {
    Status st = LvremoveOne(ctx, path, yes, in);
    if (st.ok()) continue;
    if (!failed.ok()) ctx.err << "  " << failed.message() << "\n";
    failed = std::move(st);
  }
  return failed;
}

Status Lvchange(Context& ctx, const std::vector<std::string>& paths, bool activate, bool poll) {
  std::vector<std::pair<VgRead, std::string>> todo;
  for (const std::string& path : paths) {
    LVLAB_ASSIGN_OR_RETURN(auto names, SplitLvPath(path));
    LVLAB_ASSIGN_OR_RETURN(VgRead r, ReadVgForReport(ctx, names.first));
    if (!r.vg.FindLv(names.second)) return NotFound("Failed to find logical volume \"" + path + "\"");
    todo.emplace_back(std::move(r), names.second);
  }
  for (auto& [r, name] : todo) {
    LVLAB_RETURN_IF_ERROR(activate ? ctx.sys.Activate(r.vg, name) : ctx.sys.Deactivate(r.vg, name));
    if (activate && poll && r.vg.FindLv(name)->Has(kLocked)) {
      PollActivePvmoves(ctx, r.vg.name, kDefaultPollingInterval);
    }
    if (activate && poll) PollMerges(ctx, r.vg.name, kDefaultPollingInterval);
  }
  return Status::Ok();
}

}  // namespace lvlab::lvm
