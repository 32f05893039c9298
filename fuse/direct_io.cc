#include "fuse/direct_io.h"

#include <algorithm>
#include <functional>
#include <mutex>
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

store::Disk* QualifyingDisk(const dm::DeviceArea& area) {
  const auto* disk_dev = dynamic_cast<const dm::DiskDevice*>(area.dev);
  if (disk_dev == nullptr || !DiskQualifies(*disk_dev->disk())) return nullptr;
  return disk_dev->disk();
}

// A mirror segment, if it qualifies: reads take its default leg while it
// holds the newest data of every region (dm-mirror: a write to a region not
// yet copied goes to it alone, one to a region being copied waits,
// unacknowledged, until the copy is done, then goes to every leg); writes
// take the mirror's routes when it may open them and its legs are all
// qualifying disks.
struct MirrorSegment {
  dm::DeviceArea read_leg;
  dm::MirrorTarget* mirror = nullptr;  // set when writes may be direct
  std::vector<DirectIo::Place> legs;
};
std::optional<MirrorSegment> MirrorOf(dm::Target& target) {
  auto* mirror = dynamic_cast<dm::MirrorTarget*>(&target);
  if (mirror == nullptr || !mirror->DirectReadsPossible()) return std::nullopt;
  const std::vector<dm::DeviceArea> areas = target.Areas();
  const dm::DeviceArea read_leg = areas.at(static_cast<size_t>(mirror->default_leg()));
  if (!mirror->DirectWritesPossible()) return MirrorSegment{read_leg, nullptr, {}};
  MirrorSegment seg{read_leg, mirror, {}};
  for (const dm::DeviceArea& a : areas) {
    store::Disk* disk = QualifyingDisk(a);
    if (disk == nullptr) return MirrorSegment{read_leg, nullptr, {}};
    seg.legs.push_back({disk, a.start_sectors});
  }
  return seg;
}

// Sectors [from, to) of `b` (which holds them) as LV sectors from `start`.
DirectIo::Extent Slice(const DirectIo::Extent& b, uint64_t from, uint64_t to, uint64_t start,
                       bool writable) {
  const uint64_t skip = from - b.start;
  DirectIo::Extent e{start,
                     to - from,
                     b.disk,
                     b.offset + skip,
                     writable && b.writable,
                     b.mirror,
                     b.mirror_offset + skip,
                     b.legs};
  for (DirectIo::Place& p : e.legs) p.offset += skip;
  return e;
}

// The extents of `dev`'s live table, following linear targets onto disks,
// onto other devices (a pvmove'd LV onto pvmove0) and onto mirrors; nullopt
// if any part leads elsewhere.
std::optional<std::vector<DirectIo::Extent>> DeviceExtents(const dm::Device& dev, int depth) {
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
    } else if (std::optional<MirrorSegment> m = MirrorOf(*e.target)) {
      if (m->mirror != nullptr) {
        const DirectIo::Place& read = m->legs.at(static_cast<size_t>(m->mirror->default_leg()));
        extents.push_back(
            DirectIo::Extent{e.start, e.len, read.disk, read.offset, true, m->mirror, 0, m->legs});
        continue;
      }
      area = m->read_leg;
      writable = false;
    } else {
      return std::nullopt;
    }
    if (store::Disk* disk = QualifyingDisk(area)) {
      extents.push_back(
          DirectIo::Extent::OnDisk(e.start, e.len, disk, area.start_sectors, writable));
      continue;
    }
    if (dynamic_cast<const dm::DiskDevice*>(area.dev) != nullptr) return std::nullopt;
    const auto* lower = dynamic_cast<const dm::Device*>(area.dev);
    if (lower == nullptr) return std::nullopt;
    auto below = DeviceExtents(*lower, depth + 1);
    if (!below) return std::nullopt;
    // Sectors [area.start, area.start + e.len) of the lower device.
    uint64_t covered = 0;
    for (const DirectIo::Extent& b : *below) {
      const uint64_t from = std::max(b.start, area.start_sectors);
      const uint64_t to = std::min(b.start + b.len, area.start_sectors + e.len);
      if (from >= to) continue;
      extents.push_back(Slice(b, from, to, e.start + (from - area.start_sectors), writable));
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
    if (auto extents = DeviceExtents(*dev, 0)) plan.emplace(dev->name(), std::move(*extents));
  }
  return plan;
}

void DirectIo::Revoke() {
  enabled_.store(false, std::memory_order_seq_cst);
  while (active_.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
}

void DirectIo::Install(uint64_t boot, PlanMap plan) {
  const bool same = enabled() && boot == boot_ && plan == plan_;
  if (!same) {
    Revoke();
    boot_ = boot;
    plan_ = std::move(plan);
  }
  // Routes open only under the plan made from the mirror as it is now (the
  // default leg its kDefaultLeg writes go to), never under an older one.
  for (const auto& [dm, extents] : plan_) {
    for (const Extent& e : extents) {
      if (e.mirror != nullptr) e.mirror->OpenDirectWrites();
    }
  }
  if (!same && !plan_.empty()) enabled_.store(true, std::memory_order_seq_cst);
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
    LVLAB_RETURN_IF_ERROR(fn(e, at - e.start, n, done * kSectorSize));
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
                      [out](const Extent& e, uint64_t skip, uint64_t n, uint64_t byte) {
                        return e.disk->Read(e.offset + skip, static_cast<uint32_t>(n), out + byte);
                      });
  Leave();
  return st;
}

std::optional<Status> DirectIo::WriteMirror(const Extent& e, uint64_t skip, uint64_t n,
                                            const uint8_t* data, bool fua) {
  using Route = dm::MirrorDirectRoutes::Route;
  dm::MirrorDirectRoutes& routes = e.mirror->direct_routes();
  const uint64_t rs = e.mirror->region_size();
  uint64_t done = 0;
  while (done < n) {
    const uint64_t at = e.mirror_offset + skip + done;  // the mirror's sector
    const uint64_t region = at / rs;
    const uint64_t len = std::min(n - done, (region + 1) * rs - at);
    const Route route = routes.Enter(region);
    if (route == Route::kNone) return std::nullopt;  // the engine holds it until copied
    const uint8_t* from = data + done * kSectorSize;
    Status st;
    if (route == Route::kDefaultLeg) {  // not copied yet: the copy will carry it
      st = e.disk->Write(e.offset + skip + done, static_cast<uint32_t>(len), from, fua);
    } else {
      // Two writers of the same sectors must reach the legs in the same
      // order, or an in-sync region's legs would differ.
      std::lock_guard<std::mutex> lock(
          region_locks_[(std::hash<const void*>{}(e.mirror) ^ region) % region_locks_.size()]);
      for (size_t leg = 0; leg < e.legs.size() && st.ok(); ++leg) {
        const Place& p = e.legs[leg];
        st = p.disk->Write(p.offset + skip + done, static_cast<uint32_t>(len), from, fua);
      }
    }
    routes.Leave(region);
    // A leg that fails is the mirror's to handle (it fails the leg and puts
    // the region out of sync): the engine writes the whole bio again.
    if (!st.ok()) return std::nullopt;
    done += len;
  }
  return Status::Ok();
}

std::optional<Status> DirectIo::Write(std::string_view dm, uint64_t boot, uint64_t sector,
                                      uint64_t nsectors, const uint8_t* data, bool fua) {
  const std::vector<Extent>* extents = Enter(dm, boot);
  if (extents == nullptr) return std::nullopt;
  for (const Extent& e : *extents) {
    if (!e.writable && e.start < sector + nsectors && sector < e.start + e.len) {
      Leave();
      return std::nullopt;  // through a mirror that orders its legs itself
    }
  }
  // A write the engine must take after all (a region being copied) is then
  // taken whole: the sectors written here already are written again, with
  // the same data.
  bool to_engine = false;
  Status st = ForEach(
      *extents, sector, nsectors,
      [this, data, fua, &to_engine](const Extent& e, uint64_t skip, uint64_t n, uint64_t byte) {
        if (e.mirror == nullptr) {
          return e.disk->Write(e.offset + skip, static_cast<uint32_t>(n), data + byte, fua);
        }
        std::optional<Status> written = WriteMirror(e, skip, n, data + byte, fua);
        if (written) return *written;
        to_engine = true;
        return Status(IOError("to the engine"));  // stops the walk
      });
  Leave();
  if (to_engine) return std::nullopt;
  return st;
}

}  // namespace lvlab::fuse
