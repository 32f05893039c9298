// Background polling without a daemon: a forked process keeps the machine.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "sim/lvm/pvmove.h"
#include "sim/lvm/pvmove_poll.h"
#include "tools/cli.h"

namespace lvlab::tools {

Status DetachPollers(Session& s) {
  if (s.sys().pollers().AllDone()) return Status::Ok();
  std::cout.flush();
  std::cerr.flush();
  const pid_t pid = fork();
  if (pid < 0) return IOError("cannot fork the background poller");
  if (pid > 0) {
    // The child owns the machine now: it saves the kernel state and the
    // shared lock is released when it exits.
    s.Abandon();
    return Status::Ok();
  }
  setsid();
  const int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
  }
  Status st = lvm::WaitForPollers(s.ctx());
  (void)s.Close();
  _exit(st.ok() ? 0 : 5);
}

void NarrateCopies(Session& s) {
  lvm::System* sys = &s.sys();
  sys->trace().Subscribe([sys](std::string_view type, const std::string& line) {
    if (type == "region-recovered" || type == "region-recovering" || type == "suspend" ||
        type == "resume") {
      sys->Narrate("  " + line);
    }
  });
}

}  // namespace lvlab::tools
