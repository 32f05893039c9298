// lvcreate --type raid1, lvconvert --splitmirrors and the merge of a
// tracked image (raid.h).
#include <algorithm>

#include "sim/lvm/activation.h"
#include "sim/lvm/names.h"
#include "sim/lvm/raid.h"

namespace lvlab::lvm {
namespace {

Segment* RaidSegment(LogicalVolume& lv) {
  if (lv.segments.size() == 1 && lv.segments[0].type == "raid1") return &lv.segments[0];
  return nullptr;
}

bool TrackedSplit(const LogicalVolume& image) { return image.visible() && !image.Has(kWrite); }

LogicalVolume SubLv(Context& ctx, const std::string& name) {
  LogicalVolume lv;
  lv.name = name;
  lv.id = ctx.lab().NewId();
  lv.status = {kRead, kWrite};
  lv.creation_time = ctx.lab().options().now_seconds();
  lv.creation_host = ctx.lab().options().host;
  return lv;
}

void InsertVisible(VolumeGroup& vg, LogicalVolume lv) {
  auto pos = std::find_if(vg.lvs.begin(), vg.lvs.end(),
                          [](const LogicalVolume& l) { return !l.visible(); });
  vg.lvs.insert(pos, std::move(lv));
}

// Checks and sizes a new multi-image LV: its extents and `need` PVs with
// room for extents + 1 each (PV arguments first, else the VG's).
Status PlanImages(Context& ctx, VolumeGroup& vg, const LvcreateArgs& a, uint32_t need,
                  uint64_t* extents, std::vector<std::string>* chosen) {
  if (vg.FindLv(a.name)) {
    return AlreadyExists("Logical Volume \"" + a.name + "\" already exists in volume group \"" +
                         a.vg + "\"");
  }
  if (a.mirrors < 1 || a.mirrors > 3) {
    return InvalidArgument(a.type + " takes -m 1 to 3 (images = mirrors + 1)");
  }
  if (a.size_bytes) {
    *extents = (*a.size_bytes + vg.extent_bytes() - 1) / vg.extent_bytes();
  } else if (!a.extents.empty() && a.extents.find_first_not_of("0123456789") == std::string::npos &&
             a.extents.size() < 18) {
    *extents = std::stoull(a.extents);
  } else {
    return InvalidArgument(a.type + " LVs take -L SIZE or -l N (a number of extents)");
  }
  if (*extents == 0) return InvalidArgument("Unable to create LV " + a.name + " with no extents");
  LVLAB_ASSIGN_OR_RETURN(std::vector<PeRange> ranges, ParsePvArgs(ctx, vg, a.pvs));
  std::vector<std::string> candidates;
  for (const PeRange& pr : ranges) {
    if (std::find(candidates.begin(), candidates.end(), pr.pv_key) == candidates.end()) {
      candidates.push_back(pr.pv_key);
    }
  }
  if (candidates.empty()) {
    for (const PhysicalVolume& pv : vg.pvs) candidates.push_back(pv.key);
  }
  for (const std::string& key : candidates) {
    const PhysicalVolume* pv = vg.FindPv(key);
    if (pv->Has(kAllocatable) && pv->pe_count - vg.AllocatedExtents(*pv) >= *extents + 1) {
      chosen->push_back(key);
    }
    if (chosen->size() == need) break;
  }
  if (chosen->size() < need) {
    return NoSpace("Insufficient suitable allocatable extents for logical volume " + a.name + ": " +
                   a.type + " with " + std::to_string(a.mirrors + 1) + " images needs " +
                   std::to_string(need) + " PVs with " + std::to_string(*extents + 1) +
                   " free extents each; add PVs or make it smaller");
  }
  return Status::Ok();
}

// Allocates a hidden sub-LV of `extents` on `pv_key` and appends it to vg.
Status AddSubLv(Context& ctx, VolumeGroup& vg, const std::string& name, uint64_t extents,
                const std::string& pv_key) {
  AllocRequest req;
  req.extents = extents;
  req.allowed = {PeRange{pv_key, 0, 0}};
  LVLAB_ASSIGN_OR_RETURN(std::vector<Chunk> chunks, Allocate(vg, req));
  LogicalVolume sub = SubLv(ctx, name);
  AppendSegments(sub, chunks, 0);
  vg.lvs.push_back(sub);  // hidden LVs go last
  return Status::Ok();
}

// Wipes the first 64 KiB of a sub-LV (a metadata or log LV starts new).
Status Wipe(Context& ctx, const VolumeGroup& vg, const std::string& lv) {
  LVLAB_RETURN_IF_ERROR(ctx.sys.Activate(vg, lv));
  Status st = WriteDevice(ctx.sys, DmName(vg.name, lv), 0, std::vector<uint8_t>(64 << 10, 0));
  LVLAB_RETURN_IF_ERROR(ctx.sys.Deactivate(vg, lv));
  return st;
}

LogicalVolume TopLv(Context& ctx, const std::string& name) {
  LogicalVolume top = SubLv(ctx, name);
  top.status = {kRead, kWrite, kVisible};
  return top;
}

}  // namespace

Status LvcreateMirror(Context& ctx, const LvcreateArgs& a) {
  LVLAB_ASSIGN_OR_RETURN(VgRead r, ReadVgForUpdate(ctx, a.vg));
  VolumeGroup& vg = r.vg;
  if (a.mirrorlog != "core" && a.mirrorlog != "disk") {
    return InvalidArgument("--mirrorlog takes core or disk");
  }
  const bool disk = a.mirrorlog == "disk";
  const uint32_t images = a.mirrors + 1;
  uint64_t extents = 0;
  std::vector<std::string> chosen;
  LVLAB_RETURN_IF_ERROR(PlanImages(ctx, vg, a, images + (disk ? 1 : 0), &extents, &chosen));
  LogicalVolume top = TopLv(ctx, a.name);
  Segment seg;
  seg.extent_count = extents;
  seg.type = "mirror";
  seg.region_size = MirrorRegionSize(vg.extent_size, extents);
  for (uint32_t i = 0; i < images; ++i) {
    const std::string name = a.name + "_mimage_" + std::to_string(i);
    LVLAB_RETURN_IF_ERROR(AddSubLv(ctx, vg, name, extents, chosen[i]));
    seg.areas.push_back({Area::Kind::kLv, name, 0});
  }
  if (disk) {
    seg.mirror_log = a.name + "_mlog";
    LVLAB_RETURN_IF_ERROR(AddSubLv(ctx, vg, seg.mirror_log, 1, chosen[images]));
  }
  top.segments.push_back(seg);
  InsertVisible(vg, top);
  LVLAB_RETURN_IF_ERROR(ctx.lab().WriteVg(vg));
  if (disk) LVLAB_RETURN_IF_ERROR(Wipe(ctx, vg, seg.mirror_log));
  if (a.activate) LVLAB_RETURN_IF_ERROR(ctx.sys.Activate(vg, a.name));
  ctx.out << "  Logical volume \"" << a.name << "\" created.\n";
  return Status::Ok();
}

Status LvcreateRaid1(Context& ctx, const LvcreateArgs& a) {
  LVLAB_ASSIGN_OR_RETURN(VgRead r, ReadVgForUpdate(ctx, a.vg));
  VolumeGroup& vg = r.vg;
  const uint32_t images = a.mirrors + 1;
  uint64_t extents = 0;
  std::vector<std::string> chosen;
  LVLAB_RETURN_IF_ERROR(PlanImages(ctx, vg, a, images, &extents, &chosen));
  LogicalVolume top;
  top.name = a.name;
  top.id = ctx.lab().NewId();
  top.status = {kRead, kWrite, kVisible};
  if (a.nosync) top.status.push_back("NOTSYNCED");
  top.creation_time = ctx.lab().options().now_seconds();
  top.creation_host = ctx.lab().options().host;
  Segment seg;
  seg.extent_count = extents;
  seg.type = "raid1";
  seg.region_size = MirrorRegionSize(vg.extent_size, extents);
  std::vector<LogicalVolume> subs;
  for (uint32_t i = 0; i < images; ++i) {
    for (const bool meta : {true, false}) {
      const std::string name = a.name + (meta ? "_rmeta_" : "_rimage_") + std::to_string(i);
      AllocRequest req;
      req.extents = meta ? 1 : extents;
      req.allowed = {PeRange{chosen[i], 0, 0}};
      LVLAB_ASSIGN_OR_RETURN(std::vector<Chunk> chunks, Allocate(vg, req));
      LogicalVolume sub = SubLv(ctx, name);
      AppendSegments(sub, chunks, 0);
      vg.lvs.push_back(sub);  // hidden LVs go last
      seg.areas.push_back({Area::Kind::kLv, name, 0});
      subs.push_back(std::move(sub));
    }
  }
  top.segments.push_back(seg);
  InsertVisible(vg, top);
  LVLAB_RETURN_IF_ERROR(ctx.lab().WriteVg(vg));
  // Wipe the metadata sub-LVs: the kernel then sees a new array.
  for (const LogicalVolume& sub : subs) {
    if (sub.name.find("_rmeta_") == std::string::npos) continue;
    LVLAB_RETURN_IF_ERROR(ctx.sys.Activate(vg, sub.name));
    Status st =
        WriteDevice(ctx.sys, DmName(vg.name, sub.name), 0, std::vector<uint8_t>(64 << 10, 0));
    LVLAB_RETURN_IF_ERROR(ctx.sys.Deactivate(vg, sub.name));
    LVLAB_RETURN_IF_ERROR(st);
  }
  if (a.activate) LVLAB_RETURN_IF_ERROR(ctx.sys.Activate(vg, a.name));
  ctx.out << "  Logical volume \"" << a.name << "\" created.\n";
  return Status::Ok();
}

Status LvconvertSplitMirrors(Context& ctx, const LvconvertSplitArgs& a) {
  LVLAB_ASSIGN_OR_RETURN(auto names, SplitLvPath(a.lv));
  LVLAB_ASSIGN_OR_RETURN(VgRead r, ReadVgForUpdate(ctx, names.first));
  VolumeGroup& vg = r.vg;
  LogicalVolume* lv = vg.FindLv(names.second);
  if (!lv) return NotFound("Failed to find logical volume \"" + a.lv + "\"");
  Segment* seg = RaidSegment(*lv);
  if (!seg) {
    return InvalidArgument("Unable to split " + a.lv +
                           ": it is not a raid1 LV (--type mirror "
                           "splits are not built)");
  }
  if (a.count != 1) return Unsupported("Only --splitmirrors 1 is built");
  const size_t images = seg->areas.size() / 2;
  int tracked = -1;
  for (size_t k = 0; k < images; ++k) {
    if (TrackedSplit(*vg.FindLv(seg->areas[2 * k + 1].name))) tracked = static_cast<int>(k);
  }
  const std::string top = lv->name;
  if (a.trackchanges) {
    if (tracked >= 0) {
      return Busy(a.lv + " already has an image split off with --trackchanges (" +
                  seg->areas[2 * tracked + 1].name + "); merge it back or complete its split");
    }
    if (images < 2) return InvalidArgument(a.lv + " has only one image");
    const std::string image = seg->areas[2 * (images - 1) + 1].name;
    LogicalVolume* img = vg.FindLv(image);
    img->Set(kVisible, true);
    img->Set(kWrite, false);
    LVLAB_RETURN_IF_ERROR(ctx.sys.UpdateAndReload(vg, {top}));
    ctx.sys.trace().Emit("raid-split-tracked", {{"vg", vg.name}, {"lv", image}});
    ctx.out << "  " << vg.name << "/" << image << " split from " << top
            << " for read-only purposes.\n  Use 'lvconvert --merge " << vg.name << "/" << image
            << "' to merge back into " << top << "\n";
    return Status::Ok();
  }
  if (a.name.empty())
    return InvalidArgument("lvconvert --splitmirrors needs --name or --trackchanges");
  LVLAB_RETURN_IF_ERROR(CheckLvName(a.name));
  if (vg.FindLv(a.name)) return AlreadyExists("Logical volume \"" + a.name + "\" already exists");
  if (images < 2) return InvalidArgument(a.lv + " has only one image");
  const size_t k = tracked >= 0 ? static_cast<size_t>(tracked) : images - 1;
  const std::string rmeta = seg->areas[2 * k].name, rimage = seg->areas[2 * k + 1].name;
  seg->areas.erase(seg->areas.begin() + static_cast<long>(2 * k),
                   seg->areas.begin() + static_cast<long>(2 * k + 2));
  std::vector<std::string> gone = {rmeta, rimage};
  if (seg->areas.size() == 2) {  // one image left: the LV becomes linear on it
    const std::string meta0 = seg->areas[0].name, image0 = seg->areas[1].name;
    lv->segments = vg.FindLv(image0)->segments;
    lv->Set("NOTSYNCED", false);
    EraseLv(vg, meta0);
    EraseLv(vg, image0);
    gone.push_back(meta0);
    gone.push_back(image0);
  }
  LogicalVolume split = *vg.FindLv(rimage);
  split.name = a.name;
  split.status = {kRead, kWrite, kVisible};
  EraseLv(vg, rimage);
  EraseLv(vg, rmeta);
  InsertVisible(vg, split);
  LVLAB_RETURN_IF_ERROR(ctx.sys.UpdateAndReload(vg, {top}));
  RemoveDevices(ctx, vg, gone);
  LVLAB_RETURN_IF_ERROR(ctx.sys.Activate(vg, a.name));
  ctx.sys.trace().Emit("raid-split", {{"vg", vg.name}, {"lv", a.name}});
  ctx.out << "  Logical volume " << vg.name << "/" << a.name << " split from " << top << ".\n";
  return Status::Ok();
}

Status MergeRaidImage(Context& ctx, VolumeGroup& vg, const std::string& image) {
  LogicalVolume* top = nullptr;
  for (LogicalVolume& lv : vg.lvs) {
    Segment* seg = RaidSegment(lv);
    if (!seg) continue;
    for (const Area& a : seg->areas) {
      if (a.name == image) top = &lv;
    }
  }
  LogicalVolume* img = vg.FindLv(image);
  if (!top || !img || !TrackedSplit(*img)) {
    return InvalidArgument(vg.name + "/" + image +
                           " is not a raid1 image split off with --trackchanges");
  }
  img->Set(kWrite, true);
  img->Set(kVisible, false);
  const std::string name = top->name;
  LVLAB_RETURN_IF_ERROR(ctx.sys.UpdateAndReload(vg, {name}));
  ctx.sys.trace().Emit("raid-image-merged", {{"vg", vg.name}, {"lv", image}});
  ctx.out << "  " << vg.name << "/" << image << " successfully merged back into " << vg.name << "/"
          << name << "\n";
  return Status::Ok();
}

}  // namespace lvlab::lvm
