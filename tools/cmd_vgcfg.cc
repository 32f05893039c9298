// vgcfgbackup and vgcfgrestore.
#include <filesystem>

#include "tools/cli.h"

namespace lvlab::tools {

void SetupVgcfgbackup(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("vgcfgbackup", "Write a VG's metadata in LVM2's text format");
  auto vg = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  cmd->add_option("vg", *vg, "Volume group")->required();
  cmd->add_option("-f,--file", *file, "Output file (default: LAB/backup/VG)");
  cmd->footer("Example:\n  lvlab vgcfgbackup -f vg0.vg vg0");
  cmd->callback([&r, vg, file] {
    r.Run([&](Session& s) -> Status {
      std::string out = *file;
      if (out.empty()) {
        std::filesystem::path dir = std::filesystem::path(s.dir()) / "backup";
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        out = (dir / *vg).string();
      }
      return lvm::Vgcfgbackup(s.ctx(), *vg, out);
    });
  });
}

void SetupVgcfgrestore(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("vgcfgrestore",
                                 "Restore a VG's metadata from a file (LVM2 text format)");
  auto a = std::make_shared<lvm::VgcfgrestoreArgs>();
  cmd->add_option("vg", a->vg, "Volume group")->required();
  cmd->add_option("-f,--file", a->file, "Backup file (vgcfgbackup or a real LVM backup)")->required();
  cmd->add_flag("--create-pvs", a->create_pvs,
                "Create lab PVs for the PVs the file names (named after their keys, pv0...)");
  cmd->footer("Example:\n  lvlab vgcfgrestore --create-pvs -f /etc/lvm/backup/vg0 vg0");
  cmd->callback([&r, a] { r.Run([&](Session& s) { return lvm::Vgcfgrestore(s.ctx(), *a); }, true); });
}

}  // namespace lvlab::tools
