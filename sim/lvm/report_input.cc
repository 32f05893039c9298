#include "sim/lvm/report_input.h"

#include "sim/lvm/names.h"
#include "sim/lvm/pvmove.h"

namespace lvlab::lvm {

ReportLvState LvState(System& sys, const VolumeGroup& vg, const LogicalVolume& lv) {
  ReportLvState st;
  const dm::Device* dev = sys.kernel().Find(DmName(vg.name, lv.name));
  if (!dev) return st;
  st.active = true;
  st.suspended = dev->suspended();
  st.open = dev->opens() > 0;
  st.dm_name = dev->name();
  st.devno = dev->devno().ToString();
  st.copy_percent = PvmoveProgress(sys, vg, lv);
  return st;
}

std::unique_ptr<ReportData> GatherReport(Context& ctx) {
  auto data = std::make_unique<ReportData>();
  for (const std::string& name : ctx.lab().VgNames()) {
    auto r = ReadVgForReport(ctx, name);
    if (!r.ok()) {
      ctx.err << "  " << r.status().message() << "\n";
      continue;
    }
    data->vgs.push_back(std::make_unique<VgRead>(std::move(r).value()));
  }
  for (const auto& r : data->vgs) data->input.vgs.push_back(&r->vg);
  for (LabPv* lp : ctx.lab().pvs()) {
    ReportPv pv;
    pv.name = lp->name;
    pv.devno = "7:" + std::to_string(lp->minor);
    if (!lp->state.ok()) {
      ctx.err << "  WARNING: " << lp->state.message() << "\n";
      continue;
    }
    pv.dev_size_sectors = lp->label.device_size_bytes / 512;
    pv.pe_start_sectors = lp->label.pe_start_bytes / 512;
    for (const auto& r : data->vgs) {
      for (const auto& [key, member] : r->members) {
        if (member == lp) {
          pv.vg_name = r->vg.name;
          pv.meta = r->vg.FindPv(key);
        }
      }
    }
    data->input.pvs.push_back(std::move(pv));
  }
  // PVs that a VG lists but the lab does not have.
  for (const auto& r : data->vgs) {
    for (const std::string& key : r->missing) {
      ReportPv pv;
      pv.name = "[unknown]";
      pv.vg_name = r->vg.name;
      pv.meta = r->vg.FindPv(key);
      pv.dev_size_sectors = pv.meta->dev_size;
      pv.pe_start_sectors = pv.meta->pe_start;
      pv.missing = true;
      data->input.pvs.push_back(std::move(pv));
    }
  }
  System* sys = &ctx.sys;
  data->input.lv_state = [sys](const VolumeGroup& vg, const LogicalVolume& lv) {
    return LvState(*sys, vg, lv);
  };
  return data;
}

}  // namespace lvlab::lvm
