// Gathers what Report() needs from a running System: every VG read from the
// lab (warnings to ctx.err), every PV of the lab, and each LV's kernel state.
#pragma once

#include <memory>
#include <vector>

#include "sim/lvm/commands.h"
#include "sim/lvm/report.h"

namespace lvlab::lvm {

struct ReportData {
  std::vector<std::unique_ptr<VgRead>> vgs;
  ReportInput input;  // points into vgs; valid while this object lives
};

std::unique_ptr<ReportData> GatherReport(Context& ctx);

// The kernel state of `lv` as reports show it.
ReportLvState LvState(System& sys, const VolumeGroup& vg, const LogicalVolume& lv);

}  // namespace lvlab::lvm
