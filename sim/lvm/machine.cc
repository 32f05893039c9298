#include "sim/lvm/machine.h"

#include <map>
#include <optional>

namespace lvlab::lvm {

Machine::Machine(MachineOptions options)
    : options_(std::move(options)),
      images_(options_.image_dir.empty() ? NewMemImageStore()
                                         : NewDirImageStore(options_.image_dir)),
      power_(std::make_shared<store::PowerDomain>(Rng(options_.seed).Derive("power").Next())),
      crash_rng_(Rng(options_.seed).Derive("crash")) {
  Reboot();
}

Machine::~Machine() = default;

std::string Machine::TakeOut() {
  std::string s = out_.str();
  out_.str("");
  return s;
}

std::string Machine::TakeErr() {
  std::string s = err_.str();
  err_.str("");
  return s;
}

void Machine::Reboot() {
  // The drives keep their faults across a boot (a failed disk stays failed);
  // a flakey period starts again with the new clock.
  std::map<std::string, store::DiskFaults> faults;
  if (lab_) {
    for (LabPv* pv : lab_->pvs()) {
      const store::Disk* disk = pv->disk.get();  // read only: no change of everything
      if (!disk || !disk->faults().any()) continue;
      store::DiskFaults f = disk->faults();
      if (f.flakey) f.flakey->since_ns = 0;
      faults[pv->name] = f;
    }
  }
  ctx_.reset();
  sys_.reset();
  lab_.reset();
  LabOptions o;
  o.disk = options_.disk;
  o.power = power_;
  o.id_seed = Rng(options_.seed).Derive("ids").Next() + boots_;
  o.command_line = "lvlab";
  o.model_for = [this](const std::string& pv) -> std::optional<store::DiskModel> {
    auto it = models_.find(pv);
    if (it == models_.end()) return std::nullopt;
    return it->second;
  };
  o.faults = [faults](const std::string& pv) {
    auto it = faults.find(pv);
    return it == faults.end() ? store::DiskFaults{} : it->second;
  };
  o.bugs = options_.bugs;
  o.config = options_.config;
  lab_ = std::move(Lab::Open(NewImageStoreView(images_.get()), o)).value();
  sys_ = std::make_unique<System>(lab_.get(), nullptr);
  ctx_ = std::make_unique<Context>(Context{*sys_, out_, err_});
  ++boots_;
}

void Machine::SetDiskModel(const std::string& pv, const store::DiskModel& model) {
  models_[pv] = model;
}

void Machine::Crash(store::LossPolicy policy) {
  if (!power_->off()) power_->CutAfterWrites(0);
  power_->Restore();
  for (LabPv* pv : lab_->pvs()) {
    if (pv->disk) pv->disk->Crash(policy, crash_rng_);
  }
  Reboot();
}

}  // namespace lvlab::lvm
