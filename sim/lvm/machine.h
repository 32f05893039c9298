// Machine: a simulated computer with a lab's PVs as its disks, for tests,
// scenarios and property tests. It owns the images (in memory by default),
// a PowerDomain shared by all disks, and the current boot: Lab, System and a
// Context whose output is captured. Crash() cuts the power with a loss
// policy and boots again: nothing is active afterwards. Virtual time; the
// same seed gives the same run. Single-threaded.
#pragma once

#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "sim/lvm/commands.h"
#include "sim/lvm/image_store.h"
#include "sim/store/disk.h"

namespace lvlab::lvm {

struct MachineOptions {
  uint64_t seed = 1;
  store::DiskOptions disk;  // volatile cache on by default: crashes lose data
  // Where the PV images live: sparse files in this directory (which must
  // exist), or memory when empty.
  std::string image_dir;
  Bugs bugs;                // the catalogue's switches (bugs.h), for every boot
  LvmConfig config;         // lvm.conf, for every boot
};

class Machine {
 public:
  explicit Machine(MachineOptions options = {});
  ~Machine();

  Lab& lab() { return *lab_; }
  System& sys() { return *sys_; }
  Context& ctx() { return *ctx_; }
  store::PowerDomain& power() { return *power_; }
  // What commands printed since the last call.
  std::string TakeOut();
  std::string TakeErr();

  // Power cut (if the power is still on, it goes off now), every disk loses
  // unflushed data by `policy`, then a fresh boot.
  void Crash(store::LossPolicy policy);
  // A boot without a crash (the kernel's devices are forgotten).
  void Reboot();
  uint64_t boots() const { return boots_; }
  // Gives PV `pv` its own drive timing from its next open on (pvcreate or
  // the next boot), instead of options.disk.model; kept across boots.
  void SetDiskModel(const std::string& pv, const store::DiskModel& model);

 private:
  MachineOptions options_;
  std::unique_ptr<ImageStore> images_;
  std::shared_ptr<store::PowerDomain> power_;
  Rng crash_rng_;
  std::ostringstream out_, err_;
  std::unique_ptr<Lab> lab_;
  std::unique_ptr<System> sys_;
  std::unique_ptr<Context> ctx_;
  uint64_t boots_ = 0;
  std::map<std::string, store::DiskModel> models_;  // per-PV drive timing
};

}  // namespace lvlab::lvm
