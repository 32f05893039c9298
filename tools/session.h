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

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "sim/base/status.h"
#include "sim/lvm/commands.h"
#include "sim/lvm/lab.h"
#include "sim/lvm/system.h"
#include "sim/store/disk.h"

namespace lvlab::tools {

// --lab, else $LVLAB_DIR, else ./lab.
std::string ResolveLabDir(const std::string& flag);

// What a verb works on: a lab directory (LabSession), or a simulated
// Machine when a scenario plays the CLI's words.
class Session {
 public:
  virtual ~Session() = default;
  virtual lvm::Lab& lab() = 0;
  virtual lvm::System& sys() = 0;
  virtual lvm::Context& ctx() = 0;
  // Where default output files go (LAB for LAB/backup/VG); empty if none.
  virtual std::string dir() const = 0;
  // Ends the command: a lab directory saves the kernel state and unlocks.
  virtual Status Close() = 0;
  // Forgets the session without saving (a forked child took it over).
  virtual void Abandon() = 0;
  // True when background pollers must be handed to a forked process (a lab
  // directory); a simulation keeps them running on its scheduler.
  virtual bool forks_pollers() const = 0;
  // True when a foreground command (pvmove without -b) waits for the
  // pollers it started, as at a terminal; false in a scenario, whose later
  // steps run while the move goes on (a crash "when copy_percent >= 50").
  virtual bool waits_for_pollers() const { return true; }
  // True when the PVs' drives outlive a command (a live daemon, a simulated
  // machine), so that their I/O counters since the last boot (pvs -o
  // io_writes) mean something; a lab directory opens them afresh each time.
  virtual bool keeps_drives() const { return false; }
  // True in a live daemon, whose disks have volatile caches and whose power
  // can be cut (lvlab crash); CutPower cuts it, the reboot follows.
  virtual bool live() const { return false; }
  // A live daemon does not wait inside a command (others would queue
  // behind it): a foreground pvmove asks it to answer the client once the
  // pollers are done instead. False: the command waits itself.
  virtual bool DeferWaitForPollers() { return false; }
  virtual void CutPower(store::LossPolicy policy) { (void)policy; }
  // Live only: arms a cut inside the `count`-th write of kind `what`
  // (lvm::CrashPoints) to PV `pv` (any PV when empty); the reboot follows.
  virtual void ArmPowerCut(store::LossPolicy policy, const std::string& what, const std::string& pv,
                           int64_t count) {
    (void)policy, (void)what, (void)pv, (void)count;
  }
  // Live only: arms a cut inside the `writes`+1-th disk write or flush from
  // now; the reboot follows.
  virtual void ArmPowerCutAfterWrites(store::LossPolicy policy, int64_t writes) {
    (void)policy, (void)writes;
  }
  // Live only: the daemon's trace events per type since it started, sorted
  // by type; nullopt without a daemon (no machine lives between commands).
  virtual std::optional<std::map<std::string, uint64_t, std::less<>>> EventCounts() {
    return std::nullopt;
  }
};

class LabSession : public Session {
 public:
  // `create` makes the directory if it is missing (pvcreate, vgcfgrestore).
  static Result<std::unique_ptr<Session>> Open(const std::string& dir,
                                               const std::string& command_line, bool create);
  ~LabSession() override;

  lvm::Lab& lab() override { return *lab_; }
  lvm::System& sys() override { return *sys_; }
  lvm::Context& ctx() override { return *ctx_; }
  std::string dir() const override { return dir_; }
  // Saves the kernel state. Called by the destructor too.
  Status Close() override;
  void Abandon() override { closed_ = true; }
  bool forks_pollers() const override { return true; }

 private:
  LabSession() = default;
  std::string dir_;
  int lock_fd_ = -1;
  std::unique_ptr<lvm::Lab> lab_;
  std::unique_ptr<lvm::System> sys_;
  std::unique_ptr<lvm::Context> ctx_;
  bool closed_ = false;
};

// A seed from the operating system, for IDs of real-clock labs.
uint64_t EntropySeed();

// The Lab options of a lab directory on the real clock: entropy IDs, this
// host, wall-clock timestamps, every committed version archived in
// LAB/archive/. Disks keep the default (volatile cache on).
lvm::LabOptions RealLabOptions(const std::string& dir, const std::string& command_line);

// Writes `text` to path.tmp and renames it over `path`.
Status WriteFileAtomic(const std::string& path, const std::string& text);

}  // namespace lvlab::tools
