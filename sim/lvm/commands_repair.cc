// lvconvert --repair of mirror and raid1 LVs (repair.h).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "sim/base/check.h"
#include "sim/lvm/activation.h"
#include "sim/lvm/names.h"
#include "sim/lvm/repair.h"

namespace lvlab::lvm {
namespace {

using PvSet = std::set<std::string>;  // PV keys

// PVs whose drive failed, that are missing, or that the VG flags MISSING.
PvSet FailedPvs(const VgRead& r) {
  PvSet out(r.missing.begin(), r.missing.end());
  for (const PhysicalVolume& pv : r.vg.pvs) {
    if (pv.Has(kMissing)) out.insert(pv.key);
    auto it = r.members.find(pv.key);
    if (it != r.members.end() &&
        (!it->second->state.ok() || (it->second->disk && it->second->disk->failed()))) {
      out.insert(pv.key);
    }
  }
  return out;
}

// The PV keys `lv` (and the sub-LVs it maps onto) has extents on.
void PvsOf(const VolumeGroup& vg, const std::string& lv, PvSet* out, int depth = 0) {
  const LogicalVolume* l = vg.FindLv(lv);
  if (!l || depth > 8) return;
  for (const Segment& seg : l->segments) {
    for (const Area& a : seg.areas) {
      if (a.kind == Area::Kind::kPv) {
        out->insert(a.name);
      } else {
        PvsOf(vg, a.name, out, depth + 1);
      }
    }
  }
}

bool OnPvs(const VolumeGroup& vg, const std::string& lv, const PvSet& pvs) {
  PvSet on;
  PvsOf(vg, lv, &on);
  return std::any_of(on.begin(), on.end(), [&](const std::string& k) { return pvs.count(k); });
}

void MarkMissing(VolumeGroup& vg, const PvSet& failed) {
  for (PhysicalVolume& pv : vg.pvs) {
    if (failed.count(pv.key) && !pv.Has(kMissing)) pv.status.push_back(kMissing);
  }
}

LogicalVolume NewSubLv(Context& ctx, const std::string& name, const std::string& id = "") {
  LogicalVolume lv;
  lv.name = name;
  lv.id = id.empty() ? ctx.lab().NewId() : id;
  lv.status = {kRead, kWrite};
  lv.creation_time = ctx.lab().options().now_seconds();
  lv.creation_host = ctx.lab().options().host;
  return lv;
}

// A PV that may take a new sub-LV of `extents`: present, allocatable, not
// failed, not in `avoid`, with room, and among `allowed` (empty: any).
std::vector<std::string> Candidates(const VolumeGroup& vg, const PvSet& avoid, uint64_t extents,
                                    const PvSet& allowed) {
  std::vector<std::string> out;
  for (const PhysicalVolume& pv : vg.pvs) {
    if (avoid.count(pv.key) || pv.Has(kMissing) || !pv.Has(kAllocatable)) continue;
    if (!allowed.empty() && !allowed.count(pv.key)) continue;
    if (pv.pe_count - vg.AllocatedExtents(pv) >= extents) out.push_back(pv.key);
  }
  return out;
}

Status AddSubLv(VolumeGroup& vg, LogicalVolume sub, uint64_t extents, const std::string& pv_key) {
  AllocRequest req;
  req.extents = extents;
  req.allowed = {PeRange{pv_key, 0, 0}};
  LVLAB_ASSIGN_OR_RETURN(std::vector<Chunk> chunks, Allocate(vg, req));
  AppendSegments(sub, chunks, 0);
  vg.lvs.push_back(std::move(sub));  // hidden LVs go last
  return Status::Ok();
}

// Zeroes the first 64 KiB of a sub-LV on its PV, as LVM wipes a new log or
// metadata LV (the LV has no device yet, or its holder is suspended).
Status WipeOnPv(const VgRead& r, const VolumeGroup& vg, const std::string& lv) {
  const LogicalVolume* l = vg.FindLv(lv);
  LVLAB_CHECK(l && !l->segments.empty() && l->segments[0].areas[0].kind == Area::Kind::kPv);
  const Area& a = l->segments[0].areas[0];
  auto it = r.members.find(a.name);
  if (it == r.members.end() || !it->second->disk) {
    return FailedPrecondition("Cannot wipe " + vg.name + "/" + lv + ": its PV is missing");
  }
  const PhysicalVolume* pv = vg.FindPv(a.name);
  const uint64_t sector = pv->pe_start + a.start * vg.extent_size;
  const uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(128, vg.extent_size));
  std::vector<uint8_t> zeros(n * 512ULL, 0);
  return it->second->disk->Write(sector, n, zeros.data(), true)
      .WithContext("Failed to wipe " + vg.name + "/" + lv);
}

// y/n prompt; -y answers yes, no input answers no.
bool Ask(Context& ctx, const LvconvertRepairArgs& a, const std::string& question) {
  if (a.yes) return true;
  ctx.out << question << " [y/n]: ";
  ctx.out.flush();
  std::string answer;
  const bool yes = a.in && std::getline(*a.in, answer) && (answer == "y" || answer == "Y");
  if (!yes) ctx.out << "\n";
  return yes;
}

std::string Plural(size_t n, const char* one) { return std::to_string(n) + " " + one; }

// --- mirror ---------------------------------------------------------------

struct MirrorShape {
  uint32_t images = 1;
  uint32_t logs = 0;
};

MirrorShape ShapeOf(const LogicalVolume& lv) {
  if (lv.segments.size() != 1 || lv.segments[0].type != "mirror") return {};
  return {static_cast<uint32_t>(lv.segments[0].areas.size()),
          lv.segments[0].mirror_log.empty() ? 0u : 1u};
}

std::string FreeImageName(const VolumeGroup& vg, const std::string& lv) {
  for (int i = 0;; ++i) {
    std::string name = lv + "_mimage_" + std::to_string(i);
    if (!vg.FindLv(name)) return name;
  }
}

// Drops a log LV made by NewLog when the up-convert fails after all.
void DropLog(Context& ctx, VolumeGroup& vg, const std::string& log) {
  (void)ctx.sys.Deactivate(vg, log);
  EraseLv(vg, log);
  (void)ctx.lab().WriteVg(vg);
}

// A new disk log LV on its own first, as LVM's _init_mirror_log does:
// committed, activated and wiped, so that the mirror's table finds its
// device live and the log empty. `taken` PVs need `extents` more for
// images; a PV holding no image of the LV is preferred.
Result<std::string> NewLog(Context& ctx, VolumeGroup& vg, const std::string& name,
                           const PvSet& failed, const PvSet& allowed,
                           const std::vector<std::string>& taken, uint64_t extents) {
  PvSet avoid = failed;
  PvsOf(vg, name, &avoid);
  avoid.insert(taken.begin(), taken.end());
  std::vector<std::string> pvs = Candidates(vg, avoid, 1, allowed);
  for (const std::string& pv : taken) {  // else beside a new image
    if (Candidates(vg, failed, extents + 1, {pv}).size() == 1) pvs.push_back(pv);
  }
  for (const std::string& pv : Candidates(vg, failed, 1, allowed)) {  // else beside an old one
    if (std::find(taken.begin(), taken.end(), pv) == taken.end()) pvs.push_back(pv);
  }
  if (pvs.empty()) {
    return NoSpace("Insufficient suitable allocatable extents for logical volume " + name +
                   "_mlog: 1 more required");
  }
  const std::string log = name + "_mlog";
  LVLAB_RETURN_IF_ERROR(AddSubLv(vg, NewSubLv(ctx, log), 1, pvs[0]));
  Status st = ctx.lab().WriteVg(vg);
  if (st.ok()) st = ctx.sys.Activate(vg, log);
  if (st.ok()) {
    const uint64_t bytes = std::min<uint64_t>(64 << 10, vg.extent_bytes());
    st = WriteDevice(ctx.sys, DmName(vg.name, log), 0, std::vector<uint8_t>(bytes, 0));
  }
  if (!st.ok()) {
    DropLog(ctx, vg, log);
    return st;
  }
  return log;
}

// _lvconvert_mirrors_aux for an up-convert: adds images on PVs that hold no
// image of the LV (a linear LV becomes a mirror again) and a disk log.
// Every region is resynchronised: the log is new or wiped.
Status UpConvert(Context& ctx, const VgRead& r, VolumeGroup& vg, const std::string& name,
                 MirrorShape want, const PvSet& failed, const PvSet& allowed) {
  const MirrorShape have = ShapeOf(*vg.FindLv(name));
  if (want.images <= have.images && want.logs <= have.logs) return Status::Ok();
  const uint64_t extents = vg.FindLv(name)->extent_count();
  PvSet used = failed;
  PvsOf(vg, name, &used);
  const uint32_t add = want.images > have.images ? want.images - have.images : 0;
  std::vector<std::string> image_pvs = Candidates(vg, used, extents, allowed);
  if (image_pvs.size() < add) {
    return NoSpace("Insufficient suitable allocatable extents for logical volume " + name + ": " +
                   Plural(add, "more image") + " of " + std::to_string(extents) +
                   " extents needs as many PVs that hold no image of it");
  }
  image_pvs.resize(add);
  std::string new_log;
  if (want.logs > have.logs) {
    LVLAB_ASSIGN_OR_RETURN(new_log, NewLog(ctx, vg, name, failed, allowed, image_pvs, extents));
  }
  VolumeGroup next = vg;
  if (have.images == 1 && add > 0) {  // linear: its extents become _mimage_0
    LogicalVolume* lv = next.FindLv(name);
    LogicalVolume img0 = NewSubLv(ctx, FreeImageName(next, name));
    img0.segments = lv->segments;
    Segment seg;
    seg.extent_count = extents;
    seg.type = "mirror";
    seg.region_size = MirrorRegionSize(next.extent_size, extents);
    seg.areas.push_back({Area::Kind::kLv, img0.name, 0});
    lv->segments = {seg};
    next.lvs.push_back(std::move(img0));
  }
  for (const std::string& pv : image_pvs) {
    const std::string img = FreeImageName(next, name);
    Status st = AddSubLv(next, NewSubLv(ctx, img), extents, pv);
    if (!st.ok()) {
      if (!new_log.empty()) DropLog(ctx, vg, new_log);
      return st;
    }
    next.FindLv(name)->segments[0].areas.push_back({Area::Kind::kLv, img, 0});
  }
  if (!new_log.empty()) next.FindLv(name)->segments[0].mirror_log = new_log;
  // An old log says every region is in sync: wiped, the new images are
  // copied in full (the mirror is suspended, its log flushed).
  const std::string old_log =
      new_log.empty() && add > 0 ? next.FindLv(name)->segments[0].mirror_log : std::string();
  VolumeGroup before = vg;
  vg = std::move(next);
  Status st = ctx.sys.UpdateAndReload(vg, {name}, [&]() -> Status {
    return old_log.empty() ? Status::Ok() : WipeOnPv(r, *ctx.lab().Precommitted(vg.name), old_log);
  });
  if (!st.ok()) {
    vg = std::move(before);
    if (!new_log.empty()) DropLog(ctx, vg, new_log);
    return st;
  }
  ctx.sys.trace().Emit("mirror-upconverted", {{"vg", vg.name}, {"lv", name}});
  return Status::Ok();
}

Status RepairMirror(Context& ctx, VgRead& r, const std::string& name, const PvSet& failed,
                    const PvSet& allowed, const LvconvertRepairArgs& a) {
  VolumeGroup& vg = r.vg;
  const std::string path = vg.name + "/" + name;
  Segment& seg = vg.FindLv(name)->segments[0];
  std::vector<std::string> bad;
  for (const Area& area : seg.areas) {
    if (OnPvs(vg, area.name, failed)) bad.push_back(area.name);
  }
  const bool log_bad = !seg.mirror_log.empty() && OnPvs(vg, seg.mirror_log, failed);
  if (bad.empty() && !log_bad) {
    ctx.out << "  Volume " << path << " is consistent. Nothing to repair.\n";
    return Status::Ok();
  }
  const MirrorShape original = ShapeOf(*vg.FindLv(name));
  if (bad.size() == original.images) {
    return FailedPrecondition("No usable images left in " + path + ".");
  }
  // Phase 1: remove what failed (the log first, as LVM adjusts it first).
  std::vector<std::string> gone = bad;
  if (log_bad) {
    gone.push_back(seg.mirror_log);
    EraseLv(vg, seg.mirror_log);
    seg.mirror_log.clear();
  }
  std::erase_if(seg.areas, [&](const Area& area) {
    return std::find(bad.begin(), bad.end(), area.name) != bad.end();
  });
  for (const std::string& b : bad) EraseLv(vg, b);
  LogicalVolume* lv = vg.FindLv(name);
  if (lv->segments[0].areas.size() == 1) {  // one image left: linear on it
    const std::string image = lv->segments[0].areas[0].name;
    const std::string log = lv->segments[0].mirror_log;
    lv->segments = vg.FindLv(image)->segments;
    EraseLv(vg, image);
    gone.push_back(image);
    if (!log.empty()) {
      EraseLv(vg, log);
      gone.push_back(log);
    }
  }
  MarkMissing(vg, failed);
  LVLAB_RETURN_IF_ERROR(ctx.sys.UpdateAndReload(vg, {name}));
  RemoveDevices(ctx, vg, gone);
  ctx.sys.trace().Emit("mirror-repaired", {{"vg", vg.name}, {"lv", name}});
  if (!bad.empty()) {
    ctx.out << "  Mirror status: " << bad.size() << " of " << original.images
            << " images failed.\n";
  }
  if (log_bad) ctx.out << "  Mirror log status: 1 of 1 images failed.\n";
  // Phase 2: replace per policy.
  bool replace_images = false, replace_log = false;
  const LvmConfig& conf = ctx.lab().options().config;
  if (a.use_policies) {
    replace_images = conf.mirror_image_fault_policy != "remove";
    replace_log = conf.mirror_log_fault_policy != "remove";
  } else if (!a.force) {
    replace_log = !log_bad || Ask(ctx, a, "Attempt to replace failed mirror log?");
    replace_images =
        bad.empty() || Ask(ctx, a,
                           "Attempt to replace failed mirror images (requires full device "
                           "resync)?");
  }
  MirrorShape want{
      replace_images ? original.images : original.images - static_cast<uint32_t>(bad.size()), 0};
  if (want.images == 1) replace_log = false;
  want.logs = replace_log ? original.logs : original.logs - (log_bad ? 1 : 0);
  while (replace_images || replace_log) {
    ctx.err << "  WARNING: Trying to up-convert to " << want.images << " images, " << want.logs
            << " logs.\n";
    Status st = UpConvert(ctx, r, vg, name, want, failed, allowed);
    if (st.ok()) break;
    ctx.err << "  " << st.message() << "\n";
    if (want.images > 2) {
      --want.images;
    } else if (want.logs > 0) {
      --want.logs;
    } else {
      break;
    }
  }
  const MirrorShape now = ShapeOf(*vg.FindLv(name));
  if (replace_images && now.images != original.images) {
    ctx.err << "  WARNING: Failed to replace " << original.images - now.images << " of "
            << original.images << " images in volume " << path << ".\n";
  }
  if (replace_log && now.logs != original.logs) {
    ctx.err << "  WARNING: Failed to replace " << original.logs - now.logs << " of "
            << original.logs << " logs in volume " << path << ".\n";
  }
  return Status::Ok();
}

// --- raid1 ----------------------------------------------------------------

Status RepairRaid(Context& ctx, VgRead& r, const std::string& name, const PvSet& failed,
                  const PvSet& allowed, const LvconvertRepairArgs& a) {
  VolumeGroup& vg = r.vg;
  const std::string path = vg.name + "/" + name;
  const std::vector<Area> areas = vg.FindLv(name)->segments[0].areas;  // vg.lvs changes below
  const size_t images = areas.size() / 2;
  bool do_it = true;
  if (a.use_policies) {
    const std::string& policy = ctx.lab().options().config.raid_fault_policy;
    do_it = policy == "allocate" || policy == "replace";
  } else {
    do_it = Ask(ctx, a, "Attempt to replace failed RAID images (requires full device resync)?");
  }
  if (!do_it) {
    if (a.use_policies) {
      ctx.err << "  Use 'lvconvert --repair " << path << "' to replace failed device.\n";
    }
    return Status::Ok();
  }
  std::vector<size_t> bad;
  for (size_t k = 0; k < images; ++k) {
    const LogicalVolume* image = vg.FindLv(areas[2 * k + 1].name);
    if (image && image->visible() && !image->Has(kWrite)) {
      return FailedPrecondition(
          "Unable to replace RAID images while the array has unassigned "
          "areas (" +
          vg.name + "/" + image->name + " is split off with --trackchanges; merge it back first).");
    }
    if (OnPvs(vg, areas[2 * k].name, failed) || OnPvs(vg, areas[2 * k + 1].name, failed)) {
      bad.push_back(k);
    }
  }
  if (bad.empty()) {
    ctx.out << "  " << path << " does not contain devices specified to replace.\n";
    ctx.out << "  Faulty devices in " << path << " successfully replaced.\n";
    return Status::Ok();
  }
  if (bad.size() == images)
    return FailedPrecondition("Unable to replace all PVs from " + path + " at once.");
  const uint64_t extents = vg.FindLv(areas[1].name)->extent_count();
  PvSet used = failed;
  for (size_t k = 0; k < images; ++k) {
    if (std::find(bad.begin(), bad.end(), k) != bad.end()) continue;
    PvsOf(vg, areas[2 * k].name, &used);
    PvsOf(vg, areas[2 * k + 1].name, &used);
  }
  std::vector<std::string> pvs = Candidates(vg, used, extents + 1, allowed);
  if (pvs.empty()) {
    return NoSpace("Insufficient suitable allocatable extents for logical volume " +
                   areas[2 * bad[0] + 1].name + ": " + std::to_string(extents + 1) +
                   " more required on a PV that holds no other image\n  Failed to allocate "
                   "replacement images for " +
                   path + ".\n  Failed to replace faulty devices in " + path + ".");
  }
  for (size_t n = bad.size(); n > pvs.size(); --n) {
    ctx.err << "  Failed to replace " << n << " devices.  Attempting to replace " << n - 1
            << " instead.\n";
  }
  bad.resize(std::min(bad.size(), pvs.size()));
  std::vector<std::string> metas;
  for (size_t i = 0; i < bad.size(); ++i) {
    for (const bool meta : {true, false}) {
      const std::string sub = areas[2 * bad[i] + (meta ? 0 : 1)].name;
      const std::string id = vg.FindLv(sub)->id;
      EraseLv(vg, sub);
      LogicalVolume lv = NewSubLv(ctx, sub, id);
      lv.status.push_back("REBUILD");  // LV_REBUILD: "rebuild <idx>" in the table
      LVLAB_RETURN_IF_ERROR(AddSubLv(vg, std::move(lv), meta ? 1 : extents, pvs[i]));
      if (meta) metas.push_back(sub);
    }
  }
  MarkMissing(vg, failed);
  Status reloaded = ctx.sys.UpdateAndReload(vg, {name}, [&]() -> Status {
    // A new rmeta without a superblock: the array rebuilds that image.
    for (const std::string& m : metas) {
      LVLAB_RETURN_IF_ERROR(WipeOnPv(r, *ctx.lab().Precommitted(vg.name), m));
    }
    return Status::Ok();
  });
  LVLAB_RETURN_IF_ERROR(reloaded);
  // The kernel took the rebuild (its superblocks keep it): LVM clears the
  // flag in the next commit.
  for (LogicalVolume& l : vg.lvs) l.Set("REBUILD", false);
  LVLAB_RETURN_IF_ERROR(ctx.lab().WriteVg(vg));
  ctx.sys.trace().Emit("raid-repaired", {{"vg", vg.name}, {"lv", name}, {"replaced", bad.size()}});
  ctx.out << "  Faulty devices in " << path << " successfully replaced.\n";
  return Status::Ok();
}

}  // namespace

Status LvconvertRepair(Context& ctx, const LvconvertRepairArgs& a) {
  LVLAB_ASSIGN_OR_RETURN(auto names, SplitLvPath(a.lv));
  LVLAB_ASSIGN_OR_RETURN(VgRead r, ReadVgForReport(ctx, names.first));
  const LogicalVolume* lv = r.vg.FindLv(names.second);
  if (!lv) return NotFound("Failed to find logical volume \"" + a.lv + "\"");
  const bool mirror =
      lv->segments.size() == 1 && lv->segments[0].type == "mirror" && !lv->Has(kPvmove);
  const bool raid = lv->segments.size() == 1 && lv->segments[0].type == "raid1";
  if (!mirror && !raid) {
    return InvalidArgument("Unsupported volume type for repair of volume " + a.lv + ".");
  }
  if (!ctx.sys.IsActive(r.vg, names.second)) {
    return FailedPrecondition("Logical volume " + a.lv +
                              " must be active to perform this operation.");
  }
  PvSet allowed;
  if (!a.pvs.empty()) {
    LVLAB_ASSIGN_OR_RETURN(std::vector<PeRange> ranges, ParsePvArgs(ctx, r.vg, a.pvs));
    for (const PeRange& pr : ranges) allowed.insert(pr.pv_key);
  }
  const PvSet failed = FailedPvs(r);
  // The VG lock: dmeventd's repair of the same VG waits for this one.
  if (!ctx.sys.TryLockVg(r.vg.name)) {
    return Busy("Volume group \"" + r.vg.name +
                "\" is busy (a poller or dmeventd is changing "
                "it); try again");
  }
  Status st = mirror ? RepairMirror(ctx, r, names.second, failed, allowed, a)
                     : RepairRaid(ctx, r, names.second, failed, allowed, a);
  ctx.sys.UnlockVg(r.vg.name);
  return st;
}

}  // namespace lvlab::lvm
