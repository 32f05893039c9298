// lvconvert: merge a snapshot or a split raid1 image, split raid1 images,
// repair a mirror or raid1 LV.
#include <iostream>

#include "sim/lvm/raid.h"
#include "sim/lvm/repair.h"
#include "sim/lvm/snapshot.h"
#include "tools/cli.h"

namespace lvlab::tools {

void SetupLvconvert(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand(
      "lvconvert",
      "Merge a snapshot or a split raid1 image back; split raid1 images; repair mirror and raid1 "
      "LVs");
  auto a = std::make_shared<lvm::LvconvertMergeArgs>();
  auto split = std::make_shared<lvm::LvconvertSplitArgs>();
  auto merge = std::make_shared<bool>(false);
  auto background = std::make_shared<bool>(false);
  auto interval = std::make_shared<uint64_t>(15);
  auto splitmirrors = std::make_shared<uint32_t>(0);
  auto repair = std::make_shared<lvm::LvconvertRepairArgs>();
  auto do_repair = std::make_shared<bool>(false);
  auto config = std::make_shared<std::vector<std::string>>();
  cmd->add_option("lv", a->lv,
                  "VG/SNAP, VG/LV_rimage_N (--merge) or VG/LV (--splitmirrors, --repair)")
      ->required();
  cmd->add_option("pvs", repair->pvs, "With --repair: PVs to allocate replacements on");
  auto* m = cmd->add_flag("--merge", *merge, "Merge the snapshot or tracked image back");
  auto* sm = cmd->add_option("--splitmirrors", *splitmirrors, "Split off this many raid1 images");
  m->excludes(sm);
  auto* rp = cmd->add_flag("--repair", *do_repair,
                           "Replace or remove the failed images of a mirror or raid1 LV");
  rp->excludes(m)->excludes(sm);
  cmd->add_flag("--use-policies", repair->use_policies,
                "With --repair: act as lvm.conf's fault policies say (as dmeventd does)");
  cmd->add_flag("-y,--yes", repair->yes, "With --repair: answer yes to the prompts");
  cmd->add_flag("-f,--force", repair->force, "With --repair: no prompts; mirrors not replaced");
  cmd->add_option("--config", *config,
                  "lvm.conf settings for this command: 'activation/raid_fault_policy=allocate'");
  cmd->add_flag("--trackchanges", split->trackchanges,
                "With --splitmirrors: keep the image's slot and track changes");
  cmd->add_option("--name", split->name, "With --splitmirrors: the new LV's name");
  cmd->add_flag("-b,--background", *background, "Start the merge and return");
  cmd->add_option("-i,--interval", *interval, "Seconds between progress reports");
  cmd->footer(
      "Examples:\n  lvlab lvconvert --merge vg0/snap\n"
      "  lvlab lvconvert --splitmirrors 1 --trackchanges vg0/r0\n"
      "  lvlab lvconvert --merge vg0/r0_rimage_1\n"
      "  lvlab lvconvert --splitmirrors 1 --name r0copy vg0/r0\n"
      "  lvlab lvconvert --repair -y vg0/r0 pv4\n"
      "  lvlab lvconvert --repair --use-policies --config "
      "'activation/mirror_image_fault_policy=allocate' vg0/m0");
  cmd->callback([&r, a, split, merge, background, interval, splitmirrors, repair, do_repair,
                 config] {
    if (!*do_repair && (repair->use_policies || repair->yes || repair->force)) {
      return r.Fail(InvalidArgument("--use-policies, --yes and --force go with --repair"));
    }
    if (!*do_repair && !repair->pvs.empty()) {
      return r.Fail(InvalidArgument("PV arguments go with --repair"));
    }
    lvm::LvmConfig conf;
    for (const std::string& c : *config) {
      if (Status st = conf.Apply(c); !st.ok()) return r.Fail(st);
    }
    if (*do_repair) {
      repair->lv = a->lv;
      repair->in = &std::cin;
      return r.Run([&](Session& s) -> Status {
        lvm::LvmConfig& lab_conf = s.lab().mutable_options().config;
        const lvm::LvmConfig saved = lab_conf;
        for (const std::string& c : *config) (void)lab_conf.Apply(c);
        Status st = lvm::LvconvertRepair(s.ctx(), *repair);
        lab_conf = saved;  // --config is for this command only
        return st;
      });
    }
    if (!*merge && *splitmirrors == 0) {
      return r.Fail(InvalidArgument("lvconvert needs --merge, --splitmirrors N or --repair"));
    }
    if (*merge && (split->trackchanges || !split->name.empty())) {
      return r.Fail(InvalidArgument("--trackchanges and --name go with --splitmirrors"));
    }
    a->interval_ns = *interval * 1'000'000'000ULL;
    split->lv = a->lv;
    split->count = *splitmirrors;
    r.Run([&](Session& s) -> Status {
      if (!*merge) return lvm::LvconvertSplitMirrors(s.ctx(), *split);
      a->wait = !*background && s.waits_for_pollers();
      LVLAB_RETURN_IF_ERROR(lvm::LvconvertMerge(s.ctx(), *a));
      if (*background) return DetachPollers(s);
      return Status::Ok();
    });
  });
}

}  // namespace lvlab::tools
