// pvcreate, pvremove, vgcreate, vgremove, vgextend, vgreduce, vgchange, vgck.
#include <algorithm>
#include <set>

#include "sim/base/units.h"
#include "sim/lvm/commands.h"
#include "sim/lvm/names.h"
#include "sim/lvm/pvmove.h"
#include "sim/lvm/snapshot.h"

namespace lvlab::lvm {
namespace {

// Checks that `names` are usable orphan PVs; returns them.
Result<std::vector<LabPv*>> OrphanPvs(Context& ctx, const std::string& vg,
                                      const std::vector<std::string>& names) {
  std::vector<LabPv*> out;
  for (const std::string& name : names) {
    LabPv* pv = ctx.lab().FindPv(name);
    if (!pv) {
      return NotFound("Physical volume \"" + name + "\" not found; create it with " +
                      "`lvlab pvcreate " + name + " --size SIZE`");
    }
    if (!pv->state.ok()) return pv->state;
    if (!pv->vg_name.empty()) {
      return InvalidArgument("Physical volume '" + name + "' is already in volume group '" +
                             pv->vg_name + "'\n  Unable to add physical volume '" + name +
                             "' to volume group '" + vg + "'");
    }
    if (std::count(names.begin(), names.end(), name) > 1) {
      return InvalidArgument("Physical volume \"" + name + "\" is listed more than once");
    }
    out.push_back(pv);
  }
  return out;
}

PhysicalVolume PvEntry(const VolumeGroup& vg, const LabPv& lp) {
  PhysicalVolume pv;
  pv.key = vg.NextPvKey();
  pv.id = DashedUuid(lp.label.uuid);
  pv.device = "/dev/loop" + std::to_string(lp.minor);
  pv.status = {kAllocatable};
  pv.dev_size = lp.label.device_size_bytes / 512;
  pv.pe_start = lp.label.pe_start_bytes / 512;
  pv.pe_count = (pv.dev_size - pv.pe_start) / vg.extent_size;
  return pv;
}

}  // namespace

Status Pvcreate(Context& ctx, const std::string& name, uint64_t size, uint64_t pe_start,
                uint32_t metadata_copies) {
  LVLAB_RETURN_IF_ERROR(ctx.lab().CreatePv(name, size, pe_start, "", metadata_copies));
  ctx.out << "  Physical volume \"" << name << "\" successfully created.\n";
  return Status::Ok();
}

Status Pvremove(Context& ctx, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    LabPv* pv = ctx.lab().FindPv(name);
    if (!pv) return NotFound("Failed to find physical volume \"" + name + "\"");
    if (!pv->vg_name.empty()) {
      return Busy("PV " + name + " is used by VG " + pv->vg_name +
                  " so please use vgreduce first.");
    }
  }
  for (const std::string& name : names) {
    LVLAB_RETURN_IF_ERROR(ctx.lab().RemovePv(name));
    ctx.out << "  Labels on physical volume \"" << name << "\" successfully wiped.\n";
  }
  return Status::Ok();
}

Status Vgcreate(Context& ctx, const VgcreateArgs& args) {
  LVLAB_RETURN_IF_ERROR(CheckVgName(args.vg));
  const auto names = ctx.lab().VgNames();
  if (std::find(names.begin(), names.end(), args.vg) != names.end()) {
    return AlreadyExists("A volume group called " + args.vg + " already exists.");
  }
  if (args.pvs.empty()) return InvalidArgument("Please enter physical volume name(s)");
  const uint64_t es = args.extent_size_bytes;
  if (es < 1024 || (es & (es - 1)) != 0) {
    return InvalidArgument("Physical extent size " + FormatSize(es, 'h', true) +
                           " is invalid: use a power of 2 of at least 1k, e.g. -s 4M");
  }
  LVLAB_ASSIGN_OR_RETURN(std::vector<LabPv*> pvs, OrphanPvs(ctx, args.vg, args.pvs));
  VolumeGroup vg;
  vg.name = args.vg;
  vg.id = ctx.lab().NewId();
  vg.extent_size = es / 512;
  for (LabPv* lp : pvs) {
    PhysicalVolume pv = PvEntry(vg, *lp);
    if (pv.dev_size <= pv.pe_start || pv.pe_count == 0) {
      return InvalidArgument("Physical volume \"" + lp->name + "\" is too small for extent size " +
                             FormatSize(es, 'h', true) + "; use a smaller -s or a larger PV");
    }
    vg.pvs.push_back(pv);
  }
  LVLAB_RETURN_IF_ERROR(ctx.lab().WriteVg(vg));
  ctx.out << "  Volume group \"" << vg.name << "\" successfully created\n";
  return Status::Ok();
}

Status Vgremove(Context& ctx, const std::vector<std::string>& vgs, bool force) {
  std::vector<VgRead> reads;
  for (const std::string& name : vgs) {
    LVLAB_ASSIGN_OR_RETURN(VgRead r, ReadVgForUpdate(ctx, name));
    for (const LogicalVolume& lv : r.vg.lvs) {
      if (lv.Has(kLocked) || lv.Has(kPvmove)) {
        return Busy("Can't remove locked logical volume " + name + "/" + lv.name +
                    "; finish or abort the pvmove first (pvmove --abort)");
      }
      if (!force) {
        return Busy("Volume group \"" + name + "\" still contains " +
                    std::to_string(r.vg.lvs.size()) +
                    " logical volume(s); remove them first or use vgremove -f");
      }
      if (ctx.sys.IsActive(r.vg, lv.name)) {
        const dm::Device* dev = ctx.sys.kernel().Find(DmName(name, lv.name));
        if (dev && dev->opens() > 0) {
          return Busy("Logical volume " + name + "/" + lv.name + " in use.");
        }
      }
    }
    reads.push_back(std::move(r));
  }
  for (VgRead& r : reads) {
    for (auto it = r.vg.lvs.rbegin(); it != r.vg.lvs.rend(); ++it) {
      if (it->visible()) LVLAB_RETURN_IF_ERROR(ctx.sys.Deactivate(r.vg, it->name));
    }
    for (const LogicalVolume& lv : r.vg.lvs) {
      ctx.out << "  Logical volume \"" << lv.name << "\" successfully removed.\n";
    }
    std::vector<LabPv*> members;
    for (auto& [key, lp] : r.members) members.push_back(lp);
    LVLAB_RETURN_IF_ERROR(ctx.lab().WipePvs(members));
    ctx.out << "  Volume group \"" << r.vg.name << "\" successfully removed\n";
  }
  return Status::Ok();
}

Status Vgextend(Context& ctx, const std::string& name, const std::vector<std::string>& pv_names) {
  LVLAB_ASSIGN_OR_RETURN(VgRead r, ReadVgForUpdate(ctx, name));
  LVLAB_ASSIGN_OR_RETURN(std::vector<LabPv*> pvs, OrphanPvs(ctx, name, pv_names));
  for (LabPv* lp : pvs) {
    PhysicalVolume pv = PvEntry(r.vg, *lp);
    if (pv.pe_count == 0) {
      return InvalidArgument("Physical volume \"" + lp->name + "\" is too small for VG " + name);
    }
    r.vg.pvs.push_back(pv);
  }
  LVLAB_RETURN_IF_ERROR(ctx.lab().WriteVg(r.vg));
  ctx.out << "  Volume group \"" << name << "\" successfully extended\n";
  return Status::Ok();
}

Status Vgreduce(Context& ctx, const std::string& name, const std::vector<std::string>& pv_names) {
  LVLAB_ASSIGN_OR_RETURN(VgRead r, ReadVgForUpdate(ctx, name));
  std::vector<LabPv*> gone;
  for (const std::string& pvname : pv_names) {
    auto it = std::find_if(r.members.begin(), r.members.end(),
                           [&](const auto& m) { return m.second->name == pvname; });
    if (it == r.members.end()) {
      return InvalidArgument("Physical volume \"" + pvname + "\" not in volume group \"" + name +
                             "\"");
    }
    const PhysicalVolume* pv = r.vg.FindPv(it->first);
    if (r.vg.AllocatedExtents(*pv) > 0) {
      return Busy("Physical volume \"" + pvname + "\" still in use; move its data off with " +
                  "`lvlab pvmove " + pvname + "` first");
    }
    if (r.vg.pvs.size() - gone.size() <= 1) {
      return InvalidArgument("Can't remove final physical volume \"" + pvname + "\" from " +
                             "volume group \"" + name + "\"; use vgremove");
    }
    gone.push_back(it->second);
  }
  for (LabPv* lp : gone) {
    auto pos = std::find_if(r.vg.pvs.begin(), r.vg.pvs.end(),
                            [&](const PhysicalVolume& p) { return ctx.lab().PvFor(p) == lp; });
    r.vg.pvs.erase(pos);
  }
  LVLAB_RETURN_IF_ERROR(ctx.lab().WriteVg(r.vg));
  LVLAB_RETURN_IF_ERROR(ctx.lab().WipePvs(gone));
  for (LabPv* lp : gone) {
    ctx.out << "  Removed \"" << lp->name << "\" from volume group \"" << name << "\"\n";
  }
  return Status::Ok();
}

namespace {

// PVs of the VG that are missing: not found, their drive failed, or flagged
// MISSING by a repair (LVM's is_missing_pv).
std::vector<std::string> MissingPvKeys(const VgRead& r) {
  std::vector<std::string> out;
  for (const PhysicalVolume& pv : r.vg.pvs) {
    const auto it = r.members.find(pv.key);
    const bool gone = std::find(r.missing.begin(), r.missing.end(), pv.key) != r.missing.end() ||
                      it == r.members.end() || !it->second ||
                      (it->second->disk && it->second->disk->failed());
    if (gone || pv.Has(kMissing)) out.push_back(pv.key);
  }
  return out;
}

// LVs with an extent on one of `missing` (PARTIAL_LV), and every LV that
// stacks on one (a raid or mirror LV on a partial image, a snapshot of a
// partial origin or COW store).
std::set<std::string> PartialLvs(const VolumeGroup& vg, const std::vector<std::string>& missing) {
  std::set<std::string> out;
  auto on_missing = [&](const Area& a) {
    return a.kind == Area::Kind::kPv &&
           std::find(missing.begin(), missing.end(), a.name) != missing.end();
  };
  bool grew = true;
  while (grew) {
    grew = false;
    for (const LogicalVolume& lv : vg.lvs) {
      if (out.count(lv.name)) continue;
      bool partial = false;
      for (const Segment& seg : lv.segments) {
        for (const Area& a : seg.areas) {
          if (on_missing(a) || (a.kind == Area::Kind::kLv && out.count(a.name))) partial = true;
        }
        if (!seg.mirror_log.empty() && out.count(seg.mirror_log)) partial = true;
        if (!seg.origin.empty() && out.count(seg.origin)) partial = true;
        if (!seg.cow_store.empty() && out.count(seg.cow_store)) partial = true;
      }
      if (partial) out.insert(lv.name), grew = true;
    }
  }
  return out;
}

}  // namespace

Status VgreduceRemoveMissing(Context& ctx, const std::string& name, bool force) {
  LVLAB_ASSIGN_OR_RETURN(VgRead r, ReadVgForReport(ctx, name));
  VolumeGroup& vg = r.vg;
  const std::vector<std::string> missing = MissingPvKeys(r);
  if (missing.empty()) {
    ctx.err << "  Volume group \"" << name << "\" is already consistent.\n";
    return Status::Ok();
  }
  const std::set<std::string> partial = PartialLvs(vg, missing);
  std::set<std::string> doomed;  // the partial LVs and what they are made of
  if (!partial.empty() && !force) {
    for (const std::string& lv : partial) {
      if (vg.FindLv(lv)->visible()) {
        ctx.err << "  WARNING: Partial LV " << lv << " needs to be repaired or removed.\n";
      }
    }
    ctx.err << "  WARNING: There are still partial LVs in VG " << name << ".\n"
            << "  To remove them unconditionally use: vgreduce --removemissing --force.\n"
            << "  WARNING: Proceeding to remove empty missing PVs.\n";
  } else {
    doomed = partial;
    bool grew = true;
    while (grew) {  // the images, logs, metadata and COW LVs under them
      grew = false;
      for (const LogicalVolume& lv : vg.lvs) {
        if (!doomed.count(lv.name)) continue;
        for (const Segment& seg : lv.segments) {
          std::vector<std::string> under = {seg.mirror_log, seg.cow_store};
          for (const Area& a : seg.areas) {
            if (a.kind == Area::Kind::kLv) under.push_back(a.name);
          }
          for (const std::string& u : under) {
            if (!u.empty() && vg.FindLv(u) && doomed.insert(u).second) grew = true;
          }
        }
      }
    }
    // Deactivated with the old metadata (an origin whose snapshot goes too),
    // then removed.
    for (const std::string& lv : doomed) {
      const LogicalVolume* l = vg.FindLv(lv);
      if (!l->visible()) continue;
      if (const dm::Device* dev = ctx.sys.kernel().Find(DmName(vg.name, lv)); dev && dev->opens()) {
        return Busy("Logical volume " + name + "/" + lv + " in use.");
      }
      LVLAB_RETURN_IF_ERROR(ctx.sys.Deactivate(vg, lv));
    }
    for (const LogicalVolume& l : vg.lvs) {
      for (const Segment& seg : l.segments) {
        if (doomed.count(l.name) && !seg.origin.empty() && !doomed.count(seg.origin)) {
          LVLAB_RETURN_IF_ERROR(ctx.sys.Deactivate(vg, seg.origin));
        }
      }
    }
    std::erase_if(vg.lvs, [&](const LogicalVolume& l) { return doomed.count(l.name) > 0; });
  }
  // A missing PV that still holds extents stays (only without --force).
  std::vector<std::string> removed;
  std::erase_if(vg.pvs, [&](const PhysicalVolume& pv) {
    if (std::find(missing.begin(), missing.end(), pv.key) == missing.end()) return false;
    if (vg.AllocatedExtents(pv) > 0) return false;
    removed.push_back(pv.key);
    return true;
  });
  if (vg.pvs.empty())
    return FailedPrecondition("Volume Groups must always contain at least one PV");
  // Those that stay are written flagged MISSING, as LVM's vg_write does.
  for (PhysicalVolume& pv : vg.pvs) {
    if (std::find(missing.begin(), missing.end(), pv.key) != missing.end() && !pv.Has(kMissing)) {
      pv.status.push_back(kMissing);
    }
  }
  LVLAB_RETURN_IF_ERROR(ctx.lab().WriteVg(vg));
  for (const std::string& lv : doomed) {
    if (ctx.sys.kernel().Find(DmName(vg.name, lv)))
      (void)ctx.sys.kernel().Remove(DmName(vg.name, lv));
  }
  if (!partial.empty() && !force) {
    return FailedPrecondition("Failed to remove every missing PV of " + name +
                              ": partial LVs use them");
  }
  ctx.out << "  Wrote out consistent volume group " << name << ".\n";
  return Status::Ok();
}

Status VgextendRestoreMissing(Context& ctx, const std::string& name,
                              const std::vector<std::string>& pv_names) {
  LVLAB_ASSIGN_OR_RETURN(VgRead r, ReadVgForReport(ctx, name));
  VolumeGroup& vg = r.vg;
  size_t fixed = 0;
  for (const std::string& pvname : pv_names) {
    auto it = std::find_if(r.members.begin(), r.members.end(),
                           [&](const auto& m) { return m.second && m.second->name == pvname; });
    PhysicalVolume* pv = it == r.members.end() ? nullptr : vg.FindPv(it->first);
    if (!pv) {
      ctx.err << "  WARNING: PV " << pvname << " not found in VG " << name << "\n";
      continue;
    }
    if (!pv->Has(kMissing)) {
      ctx.err << "  WARNING: PV " << pvname << " was not missing in VG " << name << "\n";
      continue;
    }
    LabPv* lp = it->second;
    if (!lp->state.ok() || (lp->disk && lp->disk->failed())) {
      ctx.err << "  WARNING: The PV " << pvname << " is still missing.\n";
      continue;
    }
    std::erase(pv->status, std::string(kMissing));
    ++fixed;
  }
  if (fixed == 0) return FailedPrecondition("No PV has been restored.");
  LVLAB_RETURN_IF_ERROR(ctx.lab().WriteVg(vg));
  ctx.out << "  Volume group \"" << name << "\" successfully extended\n";
  return Status::Ok();
}

Status Vgchange(Context& ctx, const std::vector<std::string>& vgs, bool activate, bool poll) {
  std::vector<std::string> names = vgs.empty() ? ctx.lab().VgNames() : vgs;
  for (const std::string& name : names) {
    LVLAB_RETURN_IF_ERROR(ctx.lab().ReadVg(name).status());  // every VG exists, or nothing is done
  }
  Status first_error;
  for (const std::string& name : names) {
    // LVM's vgchange holds the VG lock while it (de)activates, so a poller
    // that would commit meanwhile (an abort finishing inside this command's
    // suspends) waits, and every LV comes from the metadata read here, under
    // the lock. Without it a pvmove0 removed meanwhile was activated again.
    const bool locked = ctx.sys.TryLockVg(name);
    Result<VgRead> r = ReadVgForReport(ctx, name);
    size_t active = 0;
    if (r.ok()) {
      for (const LogicalVolume& lv : r->vg.lvs) {
        if (!lv.visible()) continue;
        Status st =
            activate ? ctx.sys.Activate(r->vg, lv.name) : ctx.sys.Deactivate(r->vg, lv.name);
        if (!st.ok()) {
          ctx.err << "  " << st.message() << "\n";
          if (first_error.ok()) first_error = st;
        }
        if (ctx.sys.IsActive(r->vg, lv.name)) ++active;
      }
    }
    if (locked) ctx.sys.UnlockVg(name);
    LVLAB_RETURN_IF_ERROR(r.status());
    ctx.out << "  " << active << " logical volume(s) in volume group \"" << name
            << "\" now active\n";
    if (activate && poll) PollActivePvmoves(ctx, name, kDefaultPollingInterval);
    if (activate && poll) PollMerges(ctx, name, kDefaultPollingInterval);
  }
  return first_error;
}

Status Vgck(Context& ctx, const std::string& name, bool update_metadata) {
  LVLAB_ASSIGN_OR_RETURN(VgRead r, ReadVgForReport(ctx, name));
  LVLAB_RETURN_IF_ERROR(ValidateVg(r.vg).WithContext("VG " + name));
  if (update_metadata) {
    if (!r.missing.empty()) {
      return FailedPrecondition("Cannot update metadata of VG " + name + " while PVs are missing");
    }
    LVLAB_RETURN_IF_ERROR(ctx.lab().WriteVg(r.vg));
    ctx.out << "  Metadata of volume group \"" << name << "\" updated to seqno " << r.vg.seqno
            << " on every PV.\n";
  }
  return Status::Ok();
}

}  // namespace lvlab::lvm
