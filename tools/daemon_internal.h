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
  bool defer_wait = false;  // set by the running command (a foreground pvmove)
  struct Waiting {
    std::shared_ptr<CallGuard> guard;
    int out_id, err_id;  // its output sinks, kept while it waits
    uint64_t boot;
  };
  std::vector<Waiting> waiting;  // foreground pvmoves waiting for the pollers

  std::string RunPath(const char* name) const { return lab + "/run/" + name; }
  // Engine thread: writes LAB/run/kernel if the device list changed.
  void SaveState();
  // Engine thread: saves, refreshes the mount, answers calls held for a
  // reboot and foreground pvmoves whose pollers are done.
  void Tick();
  // Engine thread, at shutdown: answers the waiting foreground pvmoves.
  void StopWaiting();
};

// Control connection thread: runs the request's command on the engine
// thread, streams its output, sends the exit code.
void ServeCommand(Daemon& d, const fuse::ControlRequest& request, int fd);

}  // namespace lvlab::tools
