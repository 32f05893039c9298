// crash: a power cut of the lab's machine, then a reboot.
#include <filesystem>
#include <iostream>

#include "sim/lvm/crash_match.h"
#include "tools/cli.h"

namespace lvlab::tools {

void SetupCrash(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("crash", "Cut the power and reboot: nothing stays active");
  auto lose = std::make_shared<std::string>("random");
  cmd->add_option("--lose", *lose, "What unflushed data is lost: none, all or random")
      ->check(CLI::IsMember({"none", "all", "random"}));
  auto during = std::make_shared<std::string>();
  auto pv = std::make_shared<std::string>();
  auto count = std::make_shared<int64_t>(1);
  cmd->add_option("--during", *during,
                  "Live: arm the cut instead, inside a metadata-write (below a PV's pe_start), "
                  "data-write or any-write")
      ->check(CLI::IsMember(lvm::CrashPoints()));
  cmd->add_option("--pv", *pv, "With --during: only writes to this PV count");
  auto* count_opt =
      cmd->add_option("--count", *count, "With --during: cut inside the COUNT-th such write")
          ->check(CLI::PositiveNumber);
  auto writes = std::make_shared<int64_t>(-1);
  cmd->add_option("--writes", *writes,
                  "Live: arm the cut instead, inside the WRITES+1-th disk write or flush from now "
                  "(any kind, any PV)")
      ->check(CLI::NonNegativeNumber)
      ->excludes("--during")
      ->excludes("--pv")
      ->excludes(count_opt);
  cmd->footer(
      "Without a daemon no command holds unflushed data between commands, so a crash\n"
      "forgets the kernel's devices (every LV inactive, pvmoves interrupted) and\n"
      "loses nothing else. With a live daemon (lvlab mount) the disks' volatile\n"
      "caches lose their unflushed writes by --lose, open files get EIO, and the\n"
      "daemon's machine reboots with nothing active. Live, --during arms the cut inside\n"
      "a later write of that kind, whichever command, poller or fio makes it; --writes N\n"
      "arms it inside the N+1-th disk write or flush from now, whatever it is.\n"
      "Examples:\n  lvlab crash --lose random && lvlab vgchange -ay vg0\n"
      "  lvlab crash --lose all --during metadata-write --pv pv2 --count 3\n"
      "  lvlab crash --lose random --writes 12");
  cmd->callback([&r, lose, during, pv, count, count_opt, writes] {
    r.Run([&](Session& s) -> Status {
      if (during->empty() && (!pv->empty() || count_opt->count() > 0)) {
        return InvalidArgument(
            "--pv and --count place an armed cut: add --during metadata-write "
            "(or data-write, any-write)");
      }
      const bool by_count = *writes >= 0;
      if ((by_count || !during->empty()) && !s.live()) {
        const std::string step =
            by_count ? "writes: " + std::to_string(*writes) : "during: " + *during;
        return FailedPrecondition("crash --" + std::string(by_count ? "writes" : "during") +
                                  " arms a cut inside a later disk write, and without a daemon "
                                  "no command runs on after this one; mount the lab first "
                                  "(lvlab mount MNT), or use a scenario step: crash: {" +
                                  step + "}");
      }
      if (by_count) {
        s.ArmPowerCutAfterWrites(*store::ParseLossPolicy(*lose), *writes);
        s.ctx().out << "  Power cut armed: inside disk write or flush number " << *writes + 1
                    << " from now; then a reboot (lose " << *lose << ").\n";
        return Status::Ok();
      }
      if (!during->empty()) {
        if (!pv->empty() && s.lab().FindPv(*pv) == nullptr) {
          return NotFound("no PV named " + *pv + " in this lab (see lvlab pvs)");
        }
        s.ArmPowerCut(*store::ParseLossPolicy(*lose), *during, *pv, *count);
        const std::string which = *count == 1
                                      ? "the next " + *during
                                      : *during + " number " + std::to_string(*count) + " from now";
        s.ctx().out << "  Power cut armed: inside " << which << (pv->empty() ? "" : " to " + *pv)
                    << "; then a reboot (lose " << *lose << ").\n";
        return Status::Ok();
      }
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
