// mount / umount: live mode (tools/daemon.h).
#include <sstream>

#include "tools/cli.h"
#include "tools/daemon.h"

namespace lvlab::tools {

void SetupMount(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("mount", "Serve the lab live: every active LV as MNT/VG/LV");
  auto req = std::make_shared<MountRequest>();
  auto options = std::make_shared<std::string>();
  cmd->add_option("mountpoint", req->mountpoint, "An existing empty directory")->required();
  cmd->add_flag("-f,--foreground", req->foreground, "Serve in the foreground until unmounted");
  cmd->add_option("-o", *options, "Mount options: allow_other");
  cmd->footer("A daemon hosts the lab's machine on the real clock; other lvlab commands on the\n"
              "lab reach it over LAB/run/control. Files appear on activation and vanish on\n"
              "deactivation; O_DIRECT, fsync (a flush) and fallocate punch-hole (a discard)\n"
              "work as on a block device.\nExample:\n"
              "  lvlab mount /tmp/mnt && lvlab vgchange -ay vg0 && ls -l /tmp/mnt/vg0\n"
              "  fio --filename=/tmp/mnt/vg0/lv0 --direct=1 --rw=randwrite --bs=4k --size=64M");
  cmd->callback([&r, req, options] {
    std::stringstream words(*options);
    for (std::string o; std::getline(words, o, ',');) {
      if (o == "allow_other") {
        req->allow_other = true;
      } else if (!o.empty()) {
        return r.Fail(InvalidArgument("Unknown mount option " + o + "; lvlab knows allow_other"));
      }
    }
    req->lab = ResolveLabDir(r.lab_flag);
    r.exit_code = RunMountDaemon(*req);
  });

  auto* um = app.add_subcommand("umount", "Flush, unmount and stop the daemon serving MNT");
  auto mnt = std::make_shared<std::string>();
  um->add_option("mountpoint", *mnt, "Where lvlab mount mounted the lab")->required();
  um->footer("Example:\n  lvlab umount /tmp/mnt");
  um->callback([&r, mnt] { r.exit_code = RunUmount(*mnt); });
}

}  // namespace lvlab::tools
