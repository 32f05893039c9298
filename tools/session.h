// A command's session with a lab directory (daemon-less mode).
//
// LAB/pvs/*.img are the PVs, LAB/archive/ every committed metadata version,
// LAB/backup/ the vgcfgbackup default, LAB/run/ the running machine: a lock
// that serialises lvlab processes and the kernel's device list (the dm
// devices that "stay" active between commands). Deleting LAB/run/ is a
// reboot: nothing is active afterwards.
//
// Open locks the lab, opens its PVs, boots a System on the real clock and
// restores the kernel's devices; Close saves them and unlocks.
#pragma once

#include <memory>
#include <string>

#include "sim/base/status.h"
#include "sim/lvm/commands.h"
#include "sim/lvm/lab.h"
#include "sim/lvm/system.h"

namespace lvlab::tools {

// --lab, else $LVLAB_DIR, else ./lab.
std::string ResolveLabDir(const std::string& flag);

class Session {
 public:
  // `create` makes the directory if it is missing (pvcreate, vgcfgrestore).
  static Result<std::unique_ptr<Session>> Open(const std::string& dir,
                                               const std::string& command_line, bool create);
  ~Session();

  const std::string& dir() const { return dir_; }
  lvm::Lab& lab() { return *lab_; }
  lvm::System& sys() { return *sys_; }
  lvm::Context& ctx() { return *ctx_; }
  // Saves the kernel state. Called by the destructor too.
  Status Close();
  // Forgets the session without saving (a forked child took it over).
  void Abandon() { closed_ = true; }

 private:
  Session() = default;
  std::string dir_;
  int lock_fd_ = -1;
  std::unique_ptr<lvm::Lab> lab_;
  std::unique_ptr<lvm::System> sys_;
  std::unique_ptr<lvm::Context> ctx_;
  bool closed_ = false;
};

// A seed from the operating system, for IDs of real-clock labs.
uint64_t EntropySeed();

}  // namespace lvlab::tools
