#include "fuse/direct_io.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "sim/base/units.h"

namespace lvlab::fuse {
namespace {

bool DiskQualifies(const store::Disk& disk) {
  const store::DiskModel& m = disk.options().model;
  return !disk.faults().any() && m.read_latency_ns == 0 && m.write_latency_ns == 0 &&
         m.bandwidth_bytes_per_sec == 0 && !(disk.power() && disk.power()->off());
}

std::optional<std::vector<DirectIo::Extent>> DeviceExtents(const dm::Device& dev) {
  const dm::Table* table = dev.live_table();
  if (dev.io_blocked() || table == nullptr || table->empty()) return std::nullopt;
  std::vector<DirectIo::Extent> extents;
  for (const dm::TableEntry& e : *table) {
    if (e.target->type() != "linear") return std::nullopt;
    const std::vector<dm::DeviceArea> areas = e.target->Areas();
    if (areas.size() != 1) return std::nullopt;
    const auto* disk_dev = dynamic_cast<const dm::DiskDevice*>(areas[0].dev);
    if (disk_dev == nullptr || !DiskQualifies(*disk_dev->disk())) return std::nullopt;
    extents.push_back(DirectIo::Extent{e.start, e.len, disk_dev->disk(), areas[0].start_sectors});
  }
  return extents;
}

}  // namespace

DirectIo::PlanMap DirectIo::Plan(dm::Kernel& kernel) {
  PlanMap plan;
  for (const dm::Device* dev : kernel.List()) {
    if (auto extents = DeviceExtents(*dev)) plan.emplace(dev->name(), std::move(*extents));
  }
  return plan;
}

void DirectIo::Revoke() {
  enabled_.store(false, std::memory_order_seq_cst);
  while (active_.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
}

void DirectIo::Install(uint64_t boot, PlanMap plan) {
  if (enabled() && boot == boot_ && plan == plan_) return;
  Revoke();
  boot_ = boot;
  plan_ = std::move(plan);
  if (!plan_.empty()) enabled_.store(true, std::memory_order_seq_cst);
}

const std::vector<DirectIo::Extent>* DirectIo::Enter(std::string_view dm, uint64_t boot) {
  if (!enabled_.load(std::memory_order_relaxed)) return nullptr;  // cheap early out
  active_.fetch_add(1, std::memory_order_seq_cst);
  if (enabled_.load(std::memory_order_seq_cst) && boot == boot_) {
    auto it = plan_.find(dm);
    if (it != plan_.end()) return &it->second;
  }
  Leave();
  return nullptr;
}

template <typename Fn>
Status DirectIo::ForEach(const std::vector<Extent>& extents, uint64_t sector, uint64_t nsectors,
                         Fn fn) {
  uint64_t done = 0;
  for (const Extent& e : extents) {
    if (done == nsectors) break;
    const uint64_t at = sector + done;
    if (at >= e.start + e.len || at < e.start) continue;
    const uint64_t n = std::min(nsectors - done, e.start + e.len - at);
    LVLAB_RETURN_IF_ERROR(fn(e.disk, e.offset + (at - e.start), n, done * kSectorSize));
    done += n;
  }
  if (done != nsectors) return IOError("direct I/O beyond the device's table");
  return Status::Ok();
}

std::optional<Status> DirectIo::Read(std::string_view dm, uint64_t boot, uint64_t sector,
                                     uint64_t nsectors, uint8_t* out) {
  const std::vector<Extent>* extents = Enter(dm, boot);
  if (extents == nullptr) return std::nullopt;
  Status st = ForEach(*extents, sector, nsectors,
                      [out](store::Disk* disk, uint64_t at, uint64_t n, uint64_t byte) {
                        return disk->Read(at, static_cast<uint32_t>(n), out + byte);
                      });
  Leave();
  return st;
}

std::optional<Status> DirectIo::Write(std::string_view dm, uint64_t boot, uint64_t sector,
                                      uint64_t nsectors, const uint8_t* data, bool fua) {
  const std::vector<Extent>* extents = Enter(dm, boot);
  if (extents == nullptr) return std::nullopt;
  Status st = ForEach(*extents, sector, nsectors,
                      [data, fua](store::Disk* disk, uint64_t at, uint64_t n, uint64_t byte) {
                        return disk->Write(at, static_cast<uint32_t>(n), data + byte, fua);
                      });
  Leave();
  return st;
}

}  // namespace lvlab::fuse
