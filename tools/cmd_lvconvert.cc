// lvconvert: merge a snapshot or a split raid1 image, split raid1 images.
#include <iostream>

#include "sim/lvm/raid.h"
#include "sim/lvm/snapshot.h"
#include "tools/cli.h"

namespace lvlab::tools {

void SetupLvconvert(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand(
      "lvconvert", "Merge a snapshot or a split raid1 image back; split raid1 images");
  auto a = std::make_shared<lvm::LvconvertMergeArgs>();
  auto split = std::make_shared<lvm::LvconvertSplitArgs>();
  auto merge = std::make_shared<bool>(false);
  auto background = std::make_shared<bool>(false);
  auto interval = std::make_shared<uint64_t>(15);
  auto splitmirrors = std::make_shared<uint32_t>(0);
  cmd->add_option("lv", a->lv, "VG/SNAP, VG/LV_rimage_N (--merge) or VG/LV (--splitmirrors)")
      ->required();
  auto* m = cmd->add_flag("--merge", *merge, "Merge the snapshot or tracked image back");
  auto* sm = cmd->add_option("--splitmirrors", *splitmirrors, "Split off this many raid1 images");
  m->excludes(sm);
  cmd->add_flag("--trackchanges", split->trackchanges,
                "With --splitmirrors: keep the image's slot and track changes");
  cmd->add_option("--name", split->name, "With --splitmirrors: the new LV's name");
  cmd->add_flag("-b,--background", *background, "Start the merge and return");
  cmd->add_option("-i,--interval", *interval, "Seconds between progress reports");
  cmd->footer(
      "Examples:\n  lvlab lvconvert --merge vg0/snap\n"
      "  lvlab lvconvert --splitmirrors 1 --trackchanges vg0/r0\n"
      "  lvlab lvconvert --merge vg0/r0_rimage_1\n"
      "  lvlab lvconvert --splitmirrors 1 --name r0copy vg0/r0");
  cmd->callback([&r, a, split, merge, background, interval, splitmirrors] {
    if (!*merge && *splitmirrors == 0) {
      return r.Fail(InvalidArgument("lvconvert needs --merge or --splitmirrors N"));
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
