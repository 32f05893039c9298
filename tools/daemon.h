// The live daemon (lvlab mount): a LiveMachine on the real clock, the FUSE
// file system of its LVs and the control socket over which every other
// lvlab command reaches it.
//
// Run files, all in LAB/run/: `lock` (held with flock for the daemon's whole
// life, so daemon-less commands and a second daemon cannot take the lab),
// `pid` ("PID\nMOUNTPOINT\n"), `control` (the socket, mode 0600) and `kernel`
// (the device list, saved after every command and every second, so that a
// daemon killed with SIGKILL leaves a machine the next mount can boot:
// devices restored, unfinished pvmoves polled again).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/base/status.h"

namespace lvlab::tools {

struct MountRequest {
  std::string lab;         // lab directory
  std::string mountpoint;  // an existing directory
  bool foreground = false;
  bool allow_other = false;
};

// Starts the daemon. Without foreground it forks and returns once the mount
// is ready (or failed); in the foreground it serves until unmounted or
// SIGTERM, and returns when everything is flushed and saved. Returns the
// process exit code; messages go to stderr.
int RunMountDaemon(const MountRequest& request);

// lvlab umount MNT: asks the daemon serving MNT to flush and unmount, waits
// for it to exit. Returns the exit code.
int RunUmount(const std::string& mountpoint);

// If a live daemon serves `lab`, sends it `args` (as typed after lvlab,
// without --lab), prints what it answers and returns its exit code; nullopt
// if no daemon listens (stale run files are left for the next mount).
std::optional<int> ForwardToDaemon(const std::string& lab, const std::vector<std::string>& args);

}  // namespace lvlab::tools
