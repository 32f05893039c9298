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
  if (!s.forks_pollers() || s.sys().pollers().AllDone()) return Status::Ok();
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

namespace {

// The value of "key":... in a trace line (numbers and plain strings).
std::string Field(const std::string& line, const std::string& key) {
  const std::string k = "\"" + key + "\":";
  auto at = line.find(k);
  if (at == std::string::npos) return "";
  at += k.size();
  if (line[at] == '"') {
    auto end = line.find('"', at + 1);
    return line.substr(at + 1, end - at - 1);
  }
  auto end = line.find_first_of(",}", at);
  return line.substr(at, end - at);
}

}  // namespace

void NarrateCopies(Session& s) {
  lvm::System* sys = &s.sys();
  sys->trace().Subscribe([sys](std::string_view type, const std::string& line) {
    if (type == "region-recovering") {
      const uint64_t region = std::stoull(Field(line, "region"));
      sys->Narrate("copying region " + std::to_string(region + 1) + " of " + Field(line, "of") +
                   " of " + Field(line, "dev") + " (kcopyd: leg 0 to leg 1)");
    }
  });
}

}  // namespace lvlab::tools
