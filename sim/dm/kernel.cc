// Kernel: device lifecycle verbs (create, suspend, resume, remove, open,
// wait). Table parsing and the read-only queries are in kernel_tables.cc.
#include "sim/dm/kernel.h"

#include <utility>

#include "sim/base/check.h"

namespace lvlab::dm {

namespace {

constexpr size_t kMaxNameLen = 127;  // DM_NAME_LEN - 1
constexpr size_t kMaxUuidLen = 128;  // DM_UUID_LEN - 1

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

std::string DeviceInfo::State() const {
  return std::string(suspended ? "SUSPENDED" : "ACTIVE") + (read_only ? " (READ-ONLY)" : "");
}

std::string DeviceInfo::TablesPresent() const {
  if (live_table && inactive_table) return "LIVE & INACTIVE";
  if (live_table) return "LIVE";
  if (inactive_table) return "INACTIVE";
  return "None";
}

Kernel::Kernel(engine::Scheduler& scheduler, engine::Trace* trace)
    : scheduler_(scheduler), trace_(trace), copier_(scheduler, trace) {}

Kernel::~Kernel() = default;

void Kernel::AddDisk(store::Disk* disk, uint32_t minor) {
  const DevNo devno{kDiskMajor, minor};
  LVLAB_CHECK(by_devno_.count(devno) == 0) << "disk minor " << devno.ToString() << " in use";
  auto dev = std::make_unique<DiskDevice>(disk, minor, scheduler_, trace_);
  dev->set_trace_io(trace_io_);
  by_devno_[devno] = dev.get();
  disks_[minor] = std::move(dev);
}

DiskDevice* Kernel::FindDisk(uint32_t minor) {
  auto it = disks_.find(minor);
  return it == disks_.end() ? nullptr : it->second.get();
}

void Kernel::set_trace_io(bool on) {
  trace_io_ = on;
  for (auto& [minor, disk] : disks_) disk->set_trace_io(on);
}

Result<Device*> Kernel::Get(const std::string& name) const {
  auto it = devices_.find(name);
  if (it == devices_.end()) return NotFound(name + ": no such device");
  return it->second.get();
}

Result<DevNo> Kernel::Create(const std::string& name, const std::string& uuid,
                             std::optional<uint32_t> minor) {
  if (name.empty() || name.size() > kMaxNameLen || name.find('/') != std::string::npos ||
      name == "." || name == "..") {
    return InvalidArgument("invalid device name '" + name + "': use 1 to 127 characters, no '/'");
  }
  if (uuid.size() > kMaxUuidLen) return InvalidArgument(name + ": uuid longer than 128 bytes");
  if (devices_.count(name)) return AlreadyExists(name + ": a device with this name exists");
  if (!uuid.empty()) {
    for (const auto& [other_name, d] : devices_) {
      if (d->uuid() == uuid) {
        return AlreadyExists(name + ": uuid " + uuid + " is already used by " + other_name);
      }
    }
  }
  DevNo devno{kDmMajor, 0};
  if (minor) {
    devno.minor = *minor;
    if (auto it = by_devno_.find(devno); it != by_devno_.end()) {
      return Busy(name + ": minor " + devno.ToString() + " is in use by " + it->second->name());
    }
  } else {
    while (by_devno_.count(devno)) ++devno.minor;
  }
  auto dev = std::make_unique<Device>(name, uuid, devno, scheduler_, trace_);
  by_devno_[devno] = dev.get();
  devices_[name] = std::move(dev);
  if (trace_) {
    trace_->Emit("create", {{"dev", name}, {"devno", devno.ToString()}, {"uuid", uuid}});
  }
  return devno;
}

Status Kernel::ClearInactive(const std::string& name) {
  LVLAB_ASSIGN_OR_RETURN(Device * d, Get(name));
  d->ClearInactive();
  if (trace_) trace_->Emit("table-clear", {{"dev", name}});
  return Status::Ok();
}

Status Kernel::DrainAndSuspend(Device* d, bool noflush) {
  if (before_suspend_) before_suspend_(*d);
  d->BeginSuspend(noflush);
  const bool drained = scheduler_.RunUntil([d] { return d->in_flight() == 0; });
  if (!drained) {
    const uint64_t stuck = d->in_flight();
    d->CancelSuspend();
    return Busy(d->name() + ": suspend abandoned: " + std::to_string(stuck) +
                " bios in flight can never complete (no events pending)");
  }
  d->FinishSuspend();
  return Status::Ok();
}

Status Kernel::Suspend(const std::string& name, bool noflush) {
  LVLAB_ASSIGN_OR_RETURN(Device * d, Get(name));
  if (d->suspended()) return Status::Ok();
  return DrainAndSuspend(d, noflush);
}

Status Kernel::Resume(const std::string& name) {
  LVLAB_ASSIGN_OR_RETURN(Device * d, Get(name));
  if (d->inactive_table() != nullptr) {
    if (!d->suspended()) LVLAB_RETURN_IF_ERROR(DrainAndSuspend(d, /*noflush=*/false));
    LVLAB_RETURN_IF_ERROR(d->ValidateInactive());
    // The old targets are destroyed here, as by the kernel's dm_table_destroy.
    d->SwapTable();
  } else if (d->live_table() == nullptr) {
    return FailedPrecondition(name + ": no table to resume; load one first");
  }
  if (!d->suspended()) return Status::Ok();
  return d->Resume();
}

Status Kernel::Remove(const std::string& name) {
  LVLAB_ASSIGN_OR_RETURN(Device * d, Get(name));
  const std::vector<std::string> holders = Holders(d);
  if (!holders.empty()) {
    return Busy(name + ": device is in use by " + JoinNames(holders) +
                "; remove or reload those first");
  }
  if (d->opens() > 0) {
    return Busy(name + ": device is open (open count " + std::to_string(d->opens()) +
                "); close it first");
  }
  if (!d->suspended()) LVLAB_RETURN_IF_ERROR(DrainAndSuspend(d, /*noflush=*/false));
  d->FailDeferred();
  by_devno_.erase(d->devno());
  devices_.erase(devices_.find(name));
  if (trace_) trace_->Emit("remove", {{"dev", name}});
  return Status::Ok();
}

Status Kernel::Open(const std::string& name) {
  LVLAB_ASSIGN_OR_RETURN(Device * d, Get(name));
  d->Open();
  return Status::Ok();
}

Status Kernel::Close(const std::string& name) {
  LVLAB_ASSIGN_OR_RETURN(Device * d, Get(name));
  if (d->opens() == 0) return FailedPrecondition(name + ": device is not open");
  d->Close();
  return Status::Ok();
}

Status Kernel::Message(const std::string& name, uint64_t sector,
                       const std::vector<std::string>& argv, std::string* reply) {
  LVLAB_ASSIGN_OR_RETURN(Device * d, Get(name));
  if (argv.empty()) return InvalidArgument(name + ": empty target message");
  const dm::Table* table = d->live_table();
  if (table == nullptr) return FailedPrecondition(name + ": no live table to send a message to");
  std::string text;
  for (const std::string& a : argv) text += (text.empty() ? "" : " ") + a;
  if (trace_) trace_->Emit("message", {{"dev", name}, {"sector", sector}, {"message", text}});
  for (const TableEntry& e : *table) {
    if (sector >= e.start && sector - e.start < e.len) {
      LVLAB_RETURN_IF_ERROR(e.target->Message(argv).WithContext(name));
      if (reply) *reply = e.target->MessageReply();
      return Status::Ok();
    }
  }
  return InvalidArgument(name + ": target message sector " + std::to_string(sector) +
                         " is outside the device");
}

Result<uint32_t> Kernel::WaitEvent(const std::string& name, uint32_t event_nr,
                                   uint64_t deadline_ns) {
  LVLAB_RETURN_IF_ERROR(Get(name).status());
  // The device may be removed while waiting: look it up each time.
  auto changed = [&] {
    const Device* d = Find(name);
    return d == nullptr || d->event_nr() != event_nr;
  };
  if (!scheduler_.RunUntil(changed, deadline_ns)) {
    return Busy(name + ": no event after event number " + std::to_string(event_nr));
  }
  const Device* d = Find(name);
  if (d == nullptr) return NotFound(name + ": device removed while waiting for an event");
  return d->event_nr();
}

}  // namespace lvlab::dm
