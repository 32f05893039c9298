// LiveMachine: the daemon's computer. It owns the current boot — the Lab
// (PV images with volatile write caches behind one PowerDomain), the System
// on the real clock and a Context whose streams outlive every boot — and
// runs the engine loop on the thread that calls Run.
//
// Other threads (FUSE workers, control connections) hand work to the engine
// with Inject, which is safe while the machine reboots: closures injected
// but not yet started move to the new boot's scheduler. CutPower (engine
// thread) cuts the power at the next disk write, which it tears, and after
// the running event returns the loop reboots: each disk loses its
// unflushed writes by the policy, the System is rebuilt with nothing
// active, and boot() advances, so a file handle opened before the cut can
// tell. Work that was queued on the old scheduler is destroyed unrun: its
// closures must answer their waiters from their destructors (IoWait does).
//
// Direct I/O (direct_io.h): Run installs the set of LVs that FUSE workers may
// read and write without the engine about every tick; a device that begins
// to suspend, a power cut and a reboot take it away at once, and a command
// must call PauseDirectIo before it runs and ResumeDirectIo after.
//
// Trace events: each boot's System emits into its own engine::Trace; the
// machine adds a boot's counts to its own before the System goes, emits
// "boot" (field n: boot()) on every boot and "power-cut" (field lose) on
// the dying System before a reboot, so EventCounts covers the machine's
// whole life.
//
// Thread-safety: Inject, boot(), direct() and Stop are thread-safe;
// everything else runs on the engine thread (or before Run starts / after
// it returns).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "fuse/direct_io.h"
#include "fuse/routed_output.h"
#include "sim/base/rng.h"
#include "sim/base/status.h"
#include "sim/lvm/commands.h"
#include "sim/lvm/lab.h"
#include "sim/lvm/system.h"
#include "sim/store/disk.h"
#include "sim/store/power_domain.h"

namespace lvlab::fuse {

// One active, visible LV as the mount shows it.
struct LvFile {
  std::string vg;
  std::string lv;
  std::string dm;  // device-mapper name
  uint64_t size_bytes = 0;
  bool operator==(const LvFile&) const = default;
};

class LiveMachine {
 public:
  // Opens a fresh Lab of the lab directory (the caller decides its options:
  // volatile caches on, real timestamps, archive).
  using LabFactory =
      std::function<Result<std::unique_ptr<lvm::Lab>>(std::shared_ptr<store::PowerDomain> power)>;

  // Boots: opens the lab, restores `saved` kernel devices (may be empty) and
  // resumes the polling of every unfinished pvmove among them, as a boot
  // with autoactivation does.
  static Result<std::unique_ptr<LiveMachine>> Boot(LabFactory open_lab,
                                                   const std::string& saved_state, uint64_t seed);
  ~LiveMachine();

  lvm::System& sys() { return *sys_; }
  lvm::Lab& lab() { return *lab_; }
  lvm::Context& ctx() { return *ctx_; }
  RoutedOutput& out() { return out_; }
  RoutedOutput& err() { return err_; }
  // Counts boots; read by any thread.
  uint64_t boot() const { return boot_.load(std::memory_order_acquire); }

  // Thread-safe: runs fn on the engine thread soon.
  void Inject(std::function<void()> fn);
  // Runs the engine until Stop. `tick` runs on the engine thread about every
  // tick_ns and after each reboot (save state, refresh the mount).
  void Run(const std::function<void()>& tick, uint64_t tick_ns);
  // Thread-safe: makes Run return after the event running now.
  void Stop();

  // FUSE workers' fast path; its Read and Write are thread-safe.
  DirectIo& direct() { return direct_; }
  // Engine thread: no direct I/O until ResumeDirectIo (or the next tick).
  void PauseDirectIo() { direct_.Revoke(); }
  // Engine thread: recomputes and installs the direct set (none while the
  // power is off or a cut is pending, and never when the daemon started
  // with LVLAB_NO_DIRECT_IO=1 in its environment: every I/O is then a bio
  // on the engine thread, for comparison).
  void ResumeDirectIo();

  // Engine thread: the power goes off now; the reboot follows the event.
  void CutPower(store::LossPolicy policy);
  bool power_cut_pending() const { return pending_cut_.has_value(); }
  // Engine thread: the power goes off inside the `count`-th disk write from
  // now that `match` accepts (on the engine thread or a FUSE worker's direct
  // I/O); the reboot with `policy` follows. Replaces an earlier armed cut.
  void ArmPowerCut(store::LossPolicy policy, store::PowerDomain::WriteMatch match, int64_t count);
  // Engine thread: the power goes off inside the `writes`+1-th disk write or
  // flush from now, of any kind, to any PV (a scenario's `crash: {writes:
  // N}`); the reboot with `policy` follows. Replaces an earlier armed cut.
  // REQUIRES: writes >= 0.
  void ArmPowerCutAfterWrites(store::LossPolicy policy, int64_t writes);

  // Engine thread: trace events per type since the machine first booted,
  // across reboots, sorted by type.
  std::map<std::string, uint64_t, std::less<>> EventCounts() const;

  // Engine thread, for a clean stop: flushes every disk's cache to its image.
  Status FlushDisks();
  // The active visible LVs, sorted by vg then lv.
  std::vector<LvFile> Files();

 private:
  LiveMachine() = default;
  static void LogLine(std::string_view text);
  Status OpenBoot();
  void Reboot(store::LossPolicy policy);

  LabFactory open_lab_;
  std::shared_ptr<store::PowerDomain> power_;
  Rng crash_rng_{1};
  // Without a command listening, text goes to the daemon's log (stderr).
  RoutedOutput out_{LogLine};
  RoutedOutput err_{LogLine};
  std::unique_ptr<lvm::Lab> lab_;
  std::unique_ptr<lvm::System> sys_;
  std::unique_ptr<lvm::Context> ctx_;
  std::map<std::string, uint64_t, std::less<>> past_events_;  // of the boots before this one
  std::atomic<uint64_t> boot_{0};
  std::atomic<bool> stop_{false};
  std::optional<store::LossPolicy> pending_cut_;
  std::optional<store::LossPolicy> armed_cut_;  // ArmPowerCut's, until the power goes
  std::shared_mutex boot_mu_;  // held exclusively while sys_ is replaced
  DirectIo direct_;
  bool direct_allowed_ = true;
};

}  // namespace lvlab::fuse
