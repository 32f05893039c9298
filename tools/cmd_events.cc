// events: how many trace events of each type a live daemon's machine has
// emitted since it was mounted (checkpoints, table loads, boots...).
#include "tools/cli.h"

namespace lvlab::tools {

void SetupEvents(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("events", "Live: count the daemon's trace events by type");
  cmd->footer(
      "Prints one line per event type the mounted lab's machine has emitted since\n"
      "lvlab mount, TYPE COUNT, sorted by type; reboots (lvlab crash) do not reset\n"
      "the counts. Events are those a scenario waits for (when: {event: NAME}).\n"
      "Example:\n  lvlab pvmove -i 1 pv1 pv2 && lvlab events");
  cmd->callback([&r] {
    r.Run([&](Session& s) -> Status {
      auto counts = s.EventCounts();
      if (!counts) {
        return FailedPrecondition(
            "no daemon is running for this lab; events are counted by a mounted lab (lvlab "
            "mount MNT)");
      }
      for (const auto& [type, n] : *counts) s.ctx().out << type << " " << n << "\n";
      return Status::Ok();
    });
  });
}

}  // namespace lvlab::tools
