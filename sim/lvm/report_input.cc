#include "sim/lvm/report_input.h"

#include <sstream>

#include "sim/lvm/names.h"
#include "sim/lvm/pvmove.h"
#include "sim/lvm/pvmove_poll.h"
#include "sim/lvm/snapshot_layout.h"

namespace lvlab::lvm {

namespace {

// _snap_target_percent: allocated/total, 0 when only metadata is allocated.
void SnapshotUsage(System& sys, const VolumeGroup& vg, const std::string& node,
                   ReportLvState* st) {
  auto status = sys.kernel().StatusLines(DmName(vg.name, node));
  if (!status.ok()) return;
  std::istringstream f(*status);
  std::string start, len, type, usage, meta;
  if (!(f >> start >> len >> type >> usage) || type.rfind("snapshot", 0) != 0) return;
  if (usage == "Invalid" || usage == "Merge") {
    st->snapshot_invalid = true;
    return;
  }
  const size_t slash = usage.find('/');
  if (slash == std::string::npos || !(f >> meta)) return;
  const double allocated = std::stod(usage.substr(0, slash));
  const double total = std::stod(usage.substr(slash + 1));
  st->snap_percent = allocated == std::stod(meta) || total == 0 ? 0.0 : 100.0 * allocated / total;
}

}  // namespace

ReportLvState LvState(System& sys, const VolumeGroup& vg, const LogicalVolume& lv) {
  ReportLvState st;
  if (const Segment* snap = SnapshotOfCow(vg, lv.name)) {
    // A snapshot's numbers come from its device, or from the origin's
    // snapshot-merge while it merges (its own device is gone then).
    const std::string node = snap->merging ? snap->origin : lv.name;
    const dm::Device* dev = sys.kernel().Find(DmName(vg.name, node));
    if (!dev) return st;
    st.active = true;
    st.suspended = dev->suspended();
    st.open = !snap->merging && dev->opens() > 0;
    if (!snap->merging) {
      st.dm_name = dev->name();
      st.devno = dev->devno().ToString();
    }
    auto table = sys.kernel().Table(dev->name());
    if (table.ok() && (table->find(" snapshot ") != std::string::npos ||
                       table->find(" snapshot-merge ") != std::string::npos)) {
      SnapshotUsage(sys, vg, node, &st);
    }
    return st;
  }
  const dm::Device* dev = sys.kernel().Find(DmName(vg.name, lv.name));
  if (!dev) return st;
  st.active = true;
  st.suspended = dev->suspended();
  st.open = dev->opens() > 0;
  st.dm_name = dev->name();
  st.devno = dev->devno().ToString();
  st.copy_percent = PvmoveProgress(sys, vg, lv);
  if (!lv.segments.empty() && lv.segments.front().type == "mirror" && !lv.Has(kPvmove)) {
    auto status = sys.kernel().StatusLines(dev->name());
    const auto counts = MirrorSyncCounts(status.ok() ? *status : "");
    if (!counts.empty() && counts[0].second > 0) {
      st.copy_percent = 100.0 * double(counts[0].first) / double(counts[0].second);
    }
  }
  if (!lv.segments.empty() && lv.segments.front().type == "raid1") {
    // "0 N raid raid1 2 AA cur/max idle 0 0 -": sync_percent is cur/max.
    auto status = sys.kernel().StatusLines(dev->name());
    std::istringstream f(status.ok() ? *status : "");
    std::string start, len, type, level, devs, health, ratio;
    if (f >> start >> len >> type >> level >> devs >> health >> ratio && type == "raid") {
      const size_t slash = ratio.find('/');
      const double cur = std::stod(ratio.substr(0, slash));
      const double max = std::stod(ratio.substr(slash + 1));
      st.copy_percent = max > 0 ? 100.0 * cur / max : 100.0;
    }
  }
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
    pv.mda_count = lp->label.has_mda() ? 1 : 0;
    // A failed drive cannot be read: LVM reports its PV missing (pv_attr
    // 'm', LVs on it partial).
    pv.missing = lp->disk && lp->disk->failed();
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
