// crash: a power cut of the lab's machine, then a reboot.
#include <filesystem>
#include <iostream>

#include "tools/cli.h"

namespace lvlab::tools {

void SetupCrash(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("crash", "Cut the power and reboot: nothing stays active");
  auto lose = std::make_shared<std::string>("random");
  cmd->add_option("--lose", *lose, "What unflushed data is lost: none, all or random")
      ->check(CLI::IsMember({"none", "all", "random"}));
  cmd->footer("Without a daemon no command holds unflushed data between commands, so a crash\n"
              "forgets the kernel's devices (every LV inactive, pvmoves interrupted) and\n"
              "loses nothing else. With a live daemon (lvlab mount) the disks' volatile\n"
              "caches lose their unflushed writes by --lose, open files get EIO, and the\n"
              "daemon's machine reboots with nothing active.\nExample:\n  lvlab crash --lose random && lvlab vgchange -ay vg0");
  cmd->callback([&r, lose] {
    r.Run([&](Session& s) -> Status {
      if (s.live()) {
        const size_t n = s.sys().kernel().List().size();
        s.CutPower(*store::ParseLossPolicy(*lose));
        s.ctx().out << "  Power cut (lose " << *lose << "); machine rebooted, " << n
                    << " device(s) gone.\n";
        return Status::Ok();
      }
      // Forget every device without flushing or suspending anything.
      std::vector<std::string> names;
      for (const dm::Device* d : s.sys().kernel().List()) names.push_back(d->name());
      // Holders first: a device still used by another's table cannot go yet.
      for (size_t pass = 0; pass <= names.size(); ++pass) {
        for (const std::string& n : names) (void)s.sys().kernel().Remove(n);
      }
      s.ctx().out << "  Power cut (lose " << *lose << "); machine rebooted, " << names.size()
                << " device(s) gone.\n";
      return Status::Ok();
    });
  });
}

}  // namespace lvlab::tools
