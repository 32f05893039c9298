// vgcfgbackup and vgcfgrestore (with --create-pvs for real LVM backups).
#include <fstream>
#include <sstream>

#include "sim/lvm/commands.h"
#include "sim/lvm/vg_text.h"

namespace lvlab::lvm {

Status Vgcfgbackup(Context& ctx, const std::string& vg, const std::string& file) {
  LVLAB_ASSIGN_OR_RETURN(VgRead r, ReadVgForReport(ctx, vg));
  const std::string text = FormatVgFile(
      r.vg, ctx.lab().MakeHeader("Created *after* executing '" +
                                 ctx.lab().options().command_line + "'"));
  const std::string tmp = file + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) return IOError("cannot write " + tmp + "; check the directory exists and is writable");
  }
  if (std::rename(tmp.c_str(), file.c_str()) != 0) return IOError("cannot rename " + tmp + " to " + file);
  ctx.out << "  Volume group \"" << vg << "\" successfully backed up.\n";
  return Status::Ok();
}

Status Vgcfgrestore(Context& ctx, const VgcfgrestoreArgs& a) {
  std::ifstream in(a.file, std::ios::binary);
  if (!in) return NotFound("Couldn't open backup file " + a.file);
  std::stringstream buf;
  buf << in.rdbuf();
  auto parsed = ParseVgText(buf.str());
  if (!parsed.ok()) return parsed.status().WithContext(a.file);
  VolumeGroup vg = std::move(parsed->vg);
  if (vg.name != a.vg) {
    return InvalidArgument("Couldn't read volume group " + a.vg + " from " + a.file +
                           ": the file holds volume group " + vg.name);
  }
  LVLAB_RETURN_IF_ERROR(ValidateVg(vg).WithContext(a.file));
  // Every PV of the file must exist (by UUID), or be creatable.
  struct ToCreate { std::string name; const PhysicalVolume* pv; };
  std::vector<ToCreate> create;
  for (const PhysicalVolume& pv : vg.pvs) {
    LabPv* lp = ctx.lab().PvFor(pv);
    if (lp) {
      if (!lp->vg_name.empty() && lp->vg_name != vg.name) {
        return Busy("PV " + lp->name + " (uuid " + pv.id + ") belongs to volume group " +
                    lp->vg_name + "; cannot restore " + vg.name + " onto it");
      }
      if (lp->label.device_size_bytes < (pv.pe_start + pv.pe_count * vg.extent_size) * 512) {
        return InvalidArgument("PV " + lp->name + " is smaller than " + a.file + " records");
      }
      continue;
    }
    if (!a.create_pvs) {
      return NotFound("Couldn't find device with uuid " + pv.id + ".\n  Cannot restore Volume " +
                      "Group " + vg.name + " with 1 PVs marked as missing.\n  Use " +
                      "--create-pvs to create lab PVs for the PVs the file names.");
    }
    if (ctx.lab().FindPv(pv.key)) {
      return AlreadyExists("cannot create PV " + pv.key + " for uuid " + pv.id + ": a PV named " +
                           pv.key + " already exists with another uuid");
    }
    if (pv.dev_size < pv.pe_start + pv.pe_count * vg.extent_size || pv.pe_start < 16) {
      return InvalidArgument(a.file + ": PV " + pv.key + " has dev_size " +
                             std::to_string(pv.dev_size) + " too small for its extents");
    }
    create.push_back({pv.key, &pv});
  }
  // The VG as it is now, if any: its LVs must be inactive, its seqno is kept.
  uint64_t seqno = vg.seqno;
  std::vector<LabPv*> orphaned;
  if (auto cur = ctx.lab().ReadVg(vg.name); cur.ok()) {
    for (const LogicalVolume& lv : cur->vg.lvs) {
      if (ctx.sys.IsActive(cur->vg, lv.name)) {
        return Busy("Volume group " + vg.name + " has active volume " + lv.name +
                    "; deactivate it first (vgchange -an " + vg.name + ")");
      }
    }
    seqno = std::max(seqno, cur->vg.seqno);
    for (auto& [key, lp] : cur->members) {
      bool kept = false;
      for (const PhysicalVolume& pv : vg.pvs) kept = kept || ctx.lab().PvFor(pv) == lp;
      if (!kept) orphaned.push_back(lp);
    }
  }
  for (const ToCreate& c : create) {
    LVLAB_RETURN_IF_ERROR(ctx.lab().CreatePv(c.name, c.pv->dev_size * 512, c.pv->pe_start * 512,
                                             UndashedUuid(c.pv->id)));
    ctx.out << "  Physical volume \"" << c.name << "\" created for uuid " << c.pv->id << ".\n";
  }
  vg.seqno = seqno;
  LVLAB_RETURN_IF_ERROR(ctx.lab().WriteVg(vg));
  LVLAB_RETURN_IF_ERROR(ctx.lab().WipePvs(orphaned));
  ctx.out << "  Restored volume group " << vg.name << ".\n";
  return Status::Ok();
}

}  // namespace lvlab::lvm
