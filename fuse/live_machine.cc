#include "fuse/live_machine.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <string_view>

#include "sim/lvm/names.h"
#include "sim/lvm/pvmove.h"

namespace lvlab::fuse {

Result<std::unique_ptr<LiveMachine>> LiveMachine::Boot(LabFactory open_lab,
                                                       const std::string& saved_state,
                                                       uint64_t seed) {
  std::unique_ptr<LiveMachine> m(new LiveMachine());
  m->open_lab_ = std::move(open_lab);
  m->power_ = std::make_shared<store::PowerDomain>(Rng(seed).Derive("power").Next());
  m->crash_rng_ = Rng(seed).Derive("crash");
  const char* no_direct = std::getenv("LVLAB_NO_DIRECT_IO");
  m->direct_allowed_ = no_direct == nullptr || std::string_view(no_direct) != "1";
  LVLAB_RETURN_IF_ERROR(m->OpenBoot());
  if (!saved_state.empty()) {
    auto parsed = lvm::KernelState::Parse(saved_state);
    if (!parsed.ok()) {
      m->err_ << "  WARNING: " << parsed.status().message() << "; treating it as a reboot\n";
    } else if (Status st = m->sys_->Restore(*parsed); !st.ok()) {
      m->err_ << "  WARNING: could not restore the kernel's devices (" << st.message()
              << "); treating it as a reboot\n";
    }
  }
  for (const std::string& vg : m->lab_->VgNames()) {
    lvm::PollActivePvmoves(*m->ctx_, vg, lvm::kDefaultPollingInterval);
  }
  return m;
}

void LiveMachine::LogLine(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

LiveMachine::~LiveMachine() {
  direct_.Revoke();
  ctx_.reset();
  sys_.reset();
  lab_.reset();
}

Status LiveMachine::OpenBoot() {
  LVLAB_ASSIGN_OR_RETURN(lab_, open_lab_(power_));
  sys_ = std::make_unique<lvm::System>(lab_.get(), engine::NewRealClock());
  sys_->kernel().set_before_suspend([this](const dm::Device&) { direct_.Revoke(); });
  ctx_ = std::make_unique<lvm::Context>(lvm::Context{*sys_, out_, err_});
  const uint64_t n = boot_.fetch_add(1, std::memory_order_release) + 1;
  sys_->trace().Emit("boot", {{"n", n}});
  return Status::Ok();
}

void LiveMachine::Inject(std::function<void()> fn) {
  std::shared_lock<std::shared_mutex> lock(boot_mu_);
  sys_->scheduler().Inject(std::move(fn));
}

void LiveMachine::Stop() {
  stop_.store(true);
  Inject([] {});
}

void LiveMachine::Run(const std::function<void()>& tick, uint64_t tick_ns) {
  auto next_tick = std::chrono::steady_clock::now();
  while (!stop_.load()) {
    engine::Scheduler& s = sys_->scheduler();
    if (!s.RunOne()) s.WaitForWork(tick_ns);
    if (armed_cut_ && power_->off()) {  // an armed write cut the power
      direct_.Revoke();
      pending_cut_ = armed_cut_;
      armed_cut_.reset();
    }
    if (pending_cut_) {
      const store::LossPolicy policy = *pending_cut_;
      pending_cut_.reset();
      Reboot(policy);
      if (tick) tick();
    }
    if (std::chrono::steady_clock::now() >= next_tick) {
      if (tick) tick();
      ResumeDirectIo();
      next_tick = std::chrono::steady_clock::now() + std::chrono::nanoseconds(tick_ns);
    }
  }
}

void LiveMachine::ResumeDirectIo() {
  if (!direct_allowed_ || pending_cut_ || power_->off()) return direct_.Revoke();
  direct_.Install(boot(), DirectIo::Plan(sys_->kernel()));
}

void LiveMachine::CutPower(store::LossPolicy policy) {
  direct_.Revoke();
  if (!power_->off()) power_->CutAfterWrites(0);
  pending_cut_ = policy;
}

void LiveMachine::ArmPowerCut(store::LossPolicy policy, store::PowerDomain::WriteMatch match,
                              int64_t count) {
  power_->CutAtMatchingWrite(std::move(match), count);
  armed_cut_ = policy;
}

void LiveMachine::ArmPowerCutAfterWrites(store::LossPolicy policy, int64_t writes) {
  power_->CutAfterWrites(writes);
  armed_cut_ = policy;
}

std::map<std::string, uint64_t, std::less<>> LiveMachine::EventCounts() const {
  std::map<std::string, uint64_t, std::less<>> counts = past_events_;
  for (const auto& [type, n] : sys_->trace().counts()) counts[type] += n;
  return counts;
}

void LiveMachine::Reboot(store::LossPolicy policy) {
  direct_.Revoke();
  armed_cut_.reset();  // Restore() below cancels the armed write
  // What the dying machine's disks hold decides what survives. The power
  // comes back only after that, so that no drive writes back in between.
  for (lvm::LabPv* pv : lab_->pvs()) {
    if (pv->disk) pv->disk->Crash(policy, crash_rng_);
  }
  power_->Restore();
  sys_->trace().Emit("power-cut", {{"lose", store::LossPolicyName(policy)}});
  for (const auto& [type, n] : sys_->trace().counts()) past_events_[type] += n;
  std::vector<std::function<void()>> carried;
  {
    std::unique_lock<std::shared_mutex> lock(boot_mu_);
    carried = sys_->scheduler().TakeInjected();
    ctx_.reset();
    sys_.reset();  // work queued on it is dropped: its waiters get EIO
    lab_.reset();
    if (Status st = OpenBoot(); !st.ok()) {
      std::cerr << "lvlab: the machine cannot boot again: " << st.message() << "\n";
      std::abort();
    }
    for (auto& fn : carried) sys_->scheduler().Inject(std::move(fn));
  }
}

Status LiveMachine::FlushDisks() {
  Status first;
  for (lvm::LabPv* pv : lab_->pvs()) {
    if (!pv->disk) continue;
    if (Status st = pv->disk->Flush(); !st.ok() && first.ok()) first = st;
  }
  return first;
}

std::vector<LvFile> LiveMachine::Files() {
  std::vector<LvFile> files;
  for (const std::string& vg_name : lab_->VgNames()) {
    auto r = lab_->ReadVg(vg_name);
    if (!r.ok()) continue;
    for (const lvm::LogicalVolume& lv : r->vg.lvs) {
      if (!lv.visible() || !sys_->IsActive(r->vg, lv.name)) continue;
      const std::string dm = lvm::DmName(vg_name, lv.name);
      const dm::Device* d = sys_->kernel().Find(dm);
      if (!d) continue;
      files.push_back(LvFile{vg_name, lv.name, dm, d->size_sectors() * kSectorSize});
    }
  }
  std::sort(files.begin(), files.end(), [](const LvFile& a, const LvFile& b) {
    return a.vg != b.vg ? a.vg < b.vg : a.lv < b.lv;
  });
  return files;
}

}  // namespace lvlab::fuse
