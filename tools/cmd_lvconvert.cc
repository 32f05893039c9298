// lvconvert --merge: merge a snapshot back into its origin.
#include <iostream>

#include "sim/lvm/snapshot.h"
#include "tools/cli.h"

namespace lvlab::tools {

void SetupLvconvert(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("lvconvert", "Convert a logical volume: merge a snapshot");
  auto a = std::make_shared<lvm::LvconvertMergeArgs>();
  auto merge = std::make_shared<bool>(false);
  auto background = std::make_shared<bool>(false);
  auto interval = std::make_shared<uint64_t>(15);
  cmd->add_option("lv", a->lv, "The snapshot as VG/SNAP")->required();
  cmd->add_flag("--merge", *merge, "Merge the snapshot into its origin")->required();
  cmd->add_flag("-b,--background", *background, "Start the merge and return");
  cmd->add_option("-i,--interval", *interval, "Seconds between progress reports");
  cmd->footer(
      "Example:\n  lvlab lvconvert --merge vg0/snap\n"
      "  (--splitmirrors and raid1 image merges are not built yet)");
  cmd->callback([&r, a, background, interval] {
    a->interval_ns = *interval * 1'000'000'000ULL;
    r.Run([&](Session& s) -> Status {
      a->wait = !*background && s.waits_for_pollers();
      LVLAB_RETURN_IF_ERROR(lvm::LvconvertMerge(s.ctx(), *a));
      if (*background) return DetachPollers(s);
      return Status::Ok();
    });
  });
}

}  // namespace lvlab::tools
