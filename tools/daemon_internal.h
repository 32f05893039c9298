// The daemon's parts shared by daemon.cc (life cycle) and daemon_session.cc
// (commands on the engine thread). Not a public interface.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "fuse/control.h"
#include "fuse/live_machine.h"
#include "fuse/lv_fs.h"
#include "tools/session.h"

namespace lvlab::tools {

struct CallGuard;

struct Daemon {
  std::string lab;  // absolute
  std::unique_ptr<fuse::LiveMachine> machine;
  std::unique_ptr<fuse::LvFs> fs;
  std::unique_ptr<fuse::ControlServer> control;
  // Engine thread only:
  bool command_running = false;
  std::string saved_state;  // what LAB/run/kernel holds
  std::string refreshed_devices;  // the device list the mount last followed
  std::vector<std::shared_ptr<CallGuard>> after_reboot;  // crash commands answer then

  std::string RunPath(const char* name) const { return lab + "/run/" + name; }
  // Engine thread: writes LAB/run/kernel if the device list changed.
  void SaveState();
  // Engine thread: saves, refreshes the mount, answers calls held for a reboot.
  void Tick();
};

// Control connection thread: runs the request's command on the engine
// thread, streams its output, sends the exit code.
void ServeCommand(Daemon& d, const fuse::ControlRequest& request, int fd);

}  // namespace lvlab::tools
