// pvmove: move extents off a PV through a temporary mirror.
#include <iostream>

#include "sim/lvm/pvmove.h"
#include "tools/cli.h"

namespace lvlab::tools {

static Result<std::pair<uint64_t, bool>> ParseInterval(const std::string& text) {
  std::string t = text;
  const bool plus = !t.empty() && t[0] == '+';
  if (plus) t = t.substr(1);
  if (t.empty() || t.size() > 9 || t.find_first_not_of("0123456789") != std::string::npos) {
    return InvalidArgument("Invalid argument for --interval: " + text + "; give seconds, e.g. -i 5");
  }
  return std::pair<uint64_t, bool>(uint64_t{std::stoull(t)} * 1'000'000'000ULL, plus);
}

void SetupPvmove(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("pvmove", "Move extents off a PV, through a temporary mirror");
  auto a = std::make_shared<lvm::PvmoveArgs>();
  auto interval = std::make_shared<std::string>("15");
  auto background = std::make_shared<bool>(false);
  auto narrate = std::make_shared<bool>(false);
  auto source = std::make_shared<std::vector<std::string>>();
  cmd->add_option("pv", *source, "Source PV[:PE-PE...], then destination PVs[:PE-PE...]");
  cmd->add_option("-n,--name", a->lv, "Move only this LV");
  cmd->add_flag("--atomic", a->atomic, "All or nothing: one mirror over the whole move");
  cmd->add_flag("--abort", a->abort, "Abort the move (from PV, or every move)");
  cmd->add_flag("-b,--background", *background, "Poll in a background process and return");
  cmd->add_option("-i,--interval", *interval, "Seconds between progress checks (+N delays the "
                  "first; 0 waits for the mirror's event)");
  cmd->add_option("--alloc", a->alloc, "normal, contiguous, cling or anywhere")
      ->check(CLI::IsMember({"normal", "contiguous", "cling", "anywhere"}));
  cmd->add_flag("--narrate", *narrate, "Print each step: tables, suspends, copies, checkpoints");
  cmd->footer("Examples:\n  lvlab pvmove -i 1 pv2 pv4\n  lvlab pvmove --atomic -n lv0 pv1\n"
              "  lvlab pvmove            # resume every unfinished move\n"
              "  lvlab pvmove --abort    # abort every move");
  cmd->callback([&r, a, interval, background, narrate, source] {
    auto iv = ParseInterval(*interval);
    if (!iv.ok()) return r.Fail(iv.status());
    a->interval_ns = iv->first;
    a->delay_first_poll = iv->second;
    if (!source->empty()) {
      a->source = source->front();
      a->dests.assign(source->begin() + 1, source->end());
    }
    r.Run([&](Session& s) -> Status {
      const bool deferred = !*background && s.DeferWaitForPollers();
      a->wait = !*background && !deferred && s.waits_for_pollers();
      if (*narrate) {
        s.sys().set_narration(&s.ctx().out);
        NarrateCopies(s);
      }
      LVLAB_RETURN_IF_ERROR(lvm::Pvmove(s.ctx(), *a));
      if (*background) return DetachPollers(s);
      return Status::Ok();
    });
  });
}

}  // namespace lvlab::tools
