#include "fuse/direct_io.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "sim/base/units.h"
#include "sim/dm/mirror_target.h"

namespace lvlab::fuse {
namespace {

bool DiskQualifies(const store::Disk& disk) {
  const store::DiskModel& m = disk.options().model;
  return !disk.faults().any() && m.read_latency_ns == 0 && m.write_latency_ns == 0 &&
         m.bandwidth_bytes_per_sec == 0 && !(disk.power() && disk.power()->off());
}

// Reads may take a mirror's default leg (leg 0 while no leg has failed): in
// dm-mirror it holds the newest data of every region, in sync or not (a
// write to a region not yet copied goes to it alone; a write to a region
// being copied waits, unacknowledged, until the copy is done, then goes to
// every leg). Writes through a mirror stay bios: the mirror orders them.
std::optional<dm::DeviceArea> MirrorReadLeg(dm::Kernel& kernel, const dm::Target& target) {
  const auto* mirror = dynamic_cast<const dm::MirrorTarget*>(&target);
  const dm::MirrorBugs& bugs = kernel.bugs();
  if (mirror == nullptr || bugs.recovery_write_one_leg || bugs.clean_before_flush ||
      bugs.merge_clear_before_flush) {
    return std::nullopt;
  }
  if (mirror->Health().find_first_not_of('A') != std::string::npos) return std::nullopt;
  const std::vector<dm::DeviceArea> areas = target.Areas();
  if (areas.empty()) return std::nullopt;
  return areas[0];
}

// The extents of `dev`'s live table, following linear targets onto disks,
// onto other devices (a pvmove'd LV onto pvmove0) and, read-only, onto a
// mirror's default leg; nullopt if any part leads elsewhere.
std::optional<std::vector<DirectIo::Extent>> DeviceExtents(dm::Kernel& kernel,
                                                           const dm::Device& dev, int depth) {
  const dm::Table* table = dev.live_table();
  if (depth > 3 || dev.io_blocked() || table == nullptr || table->empty()) return std::nullopt;
  std::vector<DirectIo::Extent> extents;
  for (const dm::TableEntry& e : *table) {
    dm::DeviceArea area;
    bool writable = true;
    if (e.target->type() == "linear") {
      const std::vector<dm::DeviceArea> areas = e.target->Areas();
      if (areas.size() != 1) return std::nullopt;
      area = areas[0];
    } else if (std::optional<dm::DeviceArea> leg = MirrorReadLeg(kernel, *e.target)) {
      area = *leg;
      writable = false;
    } else {
      return std::nullopt;
    }
    if (const auto* disk_dev = dynamic_cast<const dm::DiskDevice*>(area.dev)) {
      if (!DiskQualifies(*disk_dev->disk())) return std::nullopt;
      extents.push_back(
          DirectIo::Extent{e.start, e.len, disk_dev->disk(), area.start_sectors, writable});
      continue;
    }
    const auto* lower = dynamic_cast<const dm::Device*>(area.dev);
    if (lower == nullptr) return std::nullopt;
    auto below = DeviceExtents(kernel, *lower, depth + 1);
    if (!below) return std::nullopt;
    // Sectors [area.start, area.start + e.len) of the lower device.
    uint64_t covered = 0;
    for (const DirectIo::Extent& b : *below) {
      const uint64_t from = std::max(b.start, area.start_sectors);
      const uint64_t to = std::min(b.start + b.len, area.start_sectors + e.len);
      if (from >= to) continue;
      extents.push_back(DirectIo::Extent{e.start + (from - area.start_sectors), to - from, b.disk,
                                         b.offset + (from - b.start), writable && b.writable});
      covered += to - from;
    }
    if (covered != e.len) return std::nullopt;
  }
  return extents;
}

}  // namespace

DirectIo::PlanMap DirectIo::Plan(dm::Kernel& kernel) {
  PlanMap plan;
  for (const dm::Device* dev : kernel.List()) {
    if (auto extents = DeviceExtents(kernel, *dev, 0))
      plan.emplace(dev->name(), std::move(*extents));
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
  for (const Extent& e : *extents) {
    if (!e.writable && e.start < sector + nsectors && sector < e.start + e.len) {
      Leave();
      return std::nullopt;  // through a mirror: the engine orders the legs
    }
  }
  Status st = ForEach(*extents, sector, nsectors,
                      [data, fua](store::Disk* disk, uint64_t at, uint64_t n, uint64_t byte) {
                        return disk->Write(at, static_cast<uint32_t>(n), data + byte, fua);
                      });
  Leave();
  return st;
}

}  // namespace lvlab::fuse
