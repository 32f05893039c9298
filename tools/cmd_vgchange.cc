#include "tools/cli.h"

namespace lvlab::tools {
namespace {

Result<bool> ParseActivate(const std::string& v) {
  if (v == "y" || v == "ey" || v == "ay" || v == "ly" || v == "sy") return true;
  if (v == "n" || v == "en" || v == "ln") return false;
  return InvalidArgument("Invalid argument for --activate: " + v + "; use -ay or -an");
}

}  // namespace

void SetupVgchange(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("vgchange", "Activate or deactivate every LV of volume groups");
  auto vgs = std::make_shared<std::vector<std::string>>();
  auto act = std::make_shared<std::string>();
  cmd->add_option("vg", *vgs, "Volume groups (default: all)");
  cmd->add_option("-a,--activate", *act, "y or n (also ay, ey)")->required();
  auto poll = std::make_shared<std::string>("y");
  cmd->add_option("--poll", *poll, "n: do not resume unfinished pvmoves")
      ->check(CLI::IsMember({"y", "n"}));
  cmd->footer("Example:\n  lvlab vgchange -ay vg0");
  cmd->callback([&r, vgs, act, poll] {
    auto on = ParseActivate(*act);
    if (!on.ok()) return r.Fail(on.status());
    r.Run([&](Session& s) {
      LVLAB_RETURN_IF_ERROR(lvm::Vgchange(s.ctx(), *vgs, *on, *poll != "n"));
      return DetachPollers(s);
    });
  });
}

void SetupLvchange(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("lvchange", "Activate or deactivate logical volumes");
  auto lvs = std::make_shared<std::vector<std::string>>();
  auto act = std::make_shared<std::string>();
  cmd->add_option("lv", *lvs, "Logical volumes as VG/LV")->required();
  cmd->add_option("-a,--activate", *act, "y or n (also ay, ey)")->required();
  auto poll = std::make_shared<std::string>("y");
  cmd->add_option("--poll", *poll, "n: do not resume an unfinished pvmove")
      ->check(CLI::IsMember({"y", "n"}));
  cmd->footer("Example:\n  lvlab lvchange -an vg0/lv0");
  cmd->callback([&r, lvs, act, poll] {
    auto on = ParseActivate(*act);
    if (!on.ok()) return r.Fail(on.status());
    r.Run([&](Session& s) {
      LVLAB_RETURN_IF_ERROR(lvm::Lvchange(s.ctx(), *lvs, *on, *poll != "n"));
      return DetachPollers(s);
    });
  });
}

}  // namespace lvlab::tools
