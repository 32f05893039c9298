#include "tools/cli.h"

namespace lvlab::tools {

void SetupVgcreate(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("vgcreate", "Create a volume group from orphan PVs");
  auto args = std::make_shared<lvm::VgcreateArgs>();
  auto size = std::make_shared<std::string>();
  cmd->add_option("vg", args->vg, "Volume group name")->required();
  cmd->add_option("pv", args->pvs, "Physical volumes")->required();
  cmd->add_option("-s,--physicalextentsize", *size, "Extent size (default 4M)");
  cmd->footer("Example:\n  lvlab vgcreate -s 4M vg0 pv1 pv2 pv3");
  cmd->callback([&r, args, size] {
    if (!size->empty()) {
      auto b = ParseSizeOption("--physicalextentsize", *size);
      if (!b.ok()) return r.Fail(b.status());
      args->extent_size_bytes = *b;
    }
    r.Run([&](Session& s) { return lvm::Vgcreate(s.ctx(), *args); });
  });
}

void SetupVgremove(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("vgremove", "Remove volume groups (their PVs become orphans)");
  auto vgs = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  cmd->add_option("vg", *vgs, "Volume groups")->required();
  cmd->add_flag("-f,--force", *force, "Remove the VG's logical volumes too");
  cmd->footer("Example:\n  lvlab vgremove -f vg0");
  cmd->callback([&r, vgs, force] {
    r.Run([&](Session& s) { return lvm::Vgremove(s.ctx(), *vgs, *force); });
  });
}

void SetupVgextend(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("vgextend", "Add orphan PVs to a volume group");
  auto vg = std::make_shared<std::string>();
  auto pvs = std::make_shared<std::vector<std::string>>();
  auto restore = std::make_shared<bool>(false);
  cmd->add_option("vg", *vg, "Volume group")->required();
  cmd->add_option("pv", *pvs, "Physical volumes")->required();
  cmd->add_flag("--restoremissing", *restore,
                "Take back PVs flagged MISSING whose drive is back (no new PVs)");
  cmd->footer("Examples:\n  lvlab vgextend vg0 pv4\n  lvlab vgextend --restoremissing vg0 pv2");
  cmd->callback([&r, vg, pvs, restore] {
    r.Run([&](Session& s) {
      return *restore ? lvm::VgextendRestoreMissing(s.ctx(), *vg, *pvs)
                      : lvm::Vgextend(s.ctx(), *vg, *pvs);
    });
  });
}

void SetupVgreduce(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("vgreduce", "Remove unused PVs from a volume group");
  auto vg = std::make_shared<std::string>();
  auto pvs = std::make_shared<std::vector<std::string>>();
  auto missing = std::make_shared<bool>(false);
  auto force = std::make_shared<bool>(false);
  cmd->add_option("vg", *vg, "Volume group")->required();
  cmd->add_option("pv", *pvs, "Physical volumes (none with --removemissing)");
  cmd->add_flag("--removemissing", *missing,
                "Remove the VG's missing PVs (with --force, the LVs on them too)");
  cmd->add_flag("-f,--force", *force, "With --removemissing: remove partial LVs");
  cmd->footer("Examples:\n  lvlab vgreduce vg0 pv4\n  lvlab vgreduce --removemissing --force vg0");
  cmd->callback([&r, vg, pvs, missing, force] {
    if (*missing && !pvs->empty()) {
      return r.Fail(InvalidArgument("Please only specify the volume group"));
    }
    if (!*missing && pvs->empty()) {
      return r.Fail(InvalidArgument("Please enter physical volume paths"));
    }
    r.Run([&](Session& s) {
      return *missing ? lvm::VgreduceRemoveMissing(s.ctx(), *vg, *force)
                      : lvm::Vgreduce(s.ctx(), *vg, *pvs);
    });
  });
}

void SetupVgck(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("vgck", "Check a volume group's metadata; --updatemetadata repairs");
  auto vg = std::make_shared<std::string>();
  auto update = std::make_shared<bool>(false);
  cmd->add_option("vg", *vg, "Volume group")->required();
  cmd->add_flag("--updatemetadata", *update, "Rewrite the metadata on every PV (repairs old copies)");
  cmd->footer("Example:\n  lvlab vgck --updatemetadata vg0");
  cmd->callback([&r, vg, update] { r.Run([&](Session& s) { return lvm::Vgck(s.ctx(), *vg, *update); }); });
}

}  // namespace lvlab::tools
