// show: the LV -> PV mapping as a diagram.
#include <iostream>

#include "sim/lvm/show.h"
#include "tools/cli.h"

namespace lvlab::tools {

void SetupShow(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("show", "Draw how a VG's LVs map onto its PVs");
  auto target = std::make_shared<std::string>();
  cmd->add_option("what", *target, "VG or VG/LV")->required();
  cmd->footer("Example:\n  lvlab show vg0/lv0");
  cmd->callback([&r, target] {
    r.Run([&](Session& s) -> Status {
      std::string vg = *target, lv;
      if (auto slash = vg.find('/'); slash != std::string::npos) {
        lv = vg.substr(slash + 1);
        vg = vg.substr(0, slash);
      }
      LVLAB_ASSIGN_OR_RETURN(lvm::VgRead read, lvm::ReadVgForReport(s.ctx(), vg));
      if (!lv.empty() && !read.vg.FindLv(lv)) {
        return NotFound("Failed to find logical volume \"" + *target + "\"");
      }
      auto pv_name = [&](const lvm::PhysicalVolume& pv) -> std::string {
        lvm::LabPv* lp = s.lab().PvFor(pv);
        return lp ? lp->name : "[unknown]";
      };
      auto devno = [&](const lvm::LogicalVolume& l) { return s.sys().DevNoOf(read.vg, l.name); };
      s.ctx().out << lvm::ShowDiagram(read.vg, lv, pv_name, devno);
      return Status::Ok();
    });
  });
}

}  // namespace lvlab::tools
