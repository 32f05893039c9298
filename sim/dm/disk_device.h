// DiskDevice: a store::Disk seen as a block device (7:minor), like a loop
// device over a PV image.
//
// Each bio is timed by the disk's model: it starts when one of the model's
// queue_depth slots is free (FIFO otherwise), and completes at
// disk->CompletionTimeNs(start, is_write, bytes). The data operation is
// applied at completion: a read copies the disk's newest data then, a write
// with kPreflush flushes the disk and then writes, kFua writes through, a
// flush flushes, a discard discards. The Status of the operation goes to
// bio.done. NextData merges the disk's answer (image extents and cached
// writes) with the writes submitted but not yet applied; a failed or
// powered-off disk answers "all data", so that a reader meets the error.
//
// Zero-copy: a read bio with no data and a PinnedSource pins its range
// (store::Disk::Pin) into the source, or, where the disk does not pin, reads
// into the source's buffer; a write bio with no data and the same source
// writes what the source holds (store::Disk::WriteFromPin). The last of
// the source's `writes` hands a buffer to the disk's cache rather than a
// copy (store::Disk::Write with a buffer), and takes back the buffer the
// disk gives. Timing, stats and errors are those of the plain read and
// write: only the bytes take a shorter path. The Copier uses this between
// DiskDevices.
//
// Not thread-safe: one engine thread. The DiskDevice does not own the Disk,
// the Scheduler or the Trace; all must outlive it. Owned by the Kernel.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sim/dm/block_device.h"
#include "sim/engine/scheduler.h"
#include "sim/engine/trace.h"
#include "sim/store/disk.h"

namespace lvlab::dm {

// The data a zero-copy read got: a pin, or a buffer.
struct PinnedSource : engine::BioSource {
  std::shared_ptr<store::DiskPin> pin;
  std::vector<uint8_t> buffer;
  uint32_t writes = 1;  // write bios that will take this source; the last may keep the buffer
};

class DiskDevice : public BlockDevice {
 public:
  // REQUIRES: disk != nullptr. trace may be null.
  DiskDevice(store::Disk* disk, uint32_t minor, engine::Scheduler& scheduler, engine::Trace* trace);

  void Submit(engine::Bio bio) override;
  uint64_t size_sectors() const override { return disk_->size_sectors(); }
  DevNo devno() const override { return devno_; }
  const std::string& name() const override { return disk_->name(); }
  std::optional<SectorRange> NextData(uint64_t sector, uint64_t end) override;
  // A discard is zeros, durable at once (store::Disk).
  bool DiscardZeroes(uint64_t, uint64_t) override { return true; }
  // The disk's answer (store::Disk::ChangedSince), and changed where a
  // write is in flight.
  bool ChangedSince(uint64_t stamp, uint64_t sector, uint64_t end) override;
  // Itself: the disk's sectors.
  bool Resolve(uint64_t sector, uint64_t end, std::vector<DiskExtent>* out,
               uint64_t* newest_table) override;

  store::Disk* disk() const { return disk_; }
  // Emits "bio-submit"/"bio-complete" for every bio (off by default: verbose).
  void set_trace_io(bool on) { trace_io_ = on; }
  uint64_t in_flight() const { return in_flight_; }
  size_t queued() const { return queue_.size(); }

 private:
  void Start(engine::Bio bio);
  void Complete(engine::Bio bio);
  Status Apply(const engine::Bio& bio);
  Status ApplyPinned(const engine::Bio& bio, uint32_t nsectors);
  std::optional<SectorRange> UnappliedNextData(uint64_t sector, uint64_t end) const;

  store::Disk* const disk_;
  const DevNo devno_;
  engine::Scheduler& scheduler_;
  engine::Trace* const trace_;
  bool trace_io_ = false;
  uint64_t in_flight_ = 0;                       // started, not yet completed
  std::deque<engine::Bio> queue_;                // waiting for a queue slot
  std::multiset<SectorRange> unapplied_writes_;  // submitted, not yet applied
};

}  // namespace lvlab::dm
