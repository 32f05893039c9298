// Disk: a simulated drive on top of an ImageFile.
//
// A Disk adds to its image what a real drive has between the host and the
// platter: a volatile write cache, a timing model and fault state. All
// addresses are in 512-byte sectors. Data operations complete synchronously
// on data; the dm layer schedules their completions in (virtual) time with
// CompletionTimeNs and enforces the model's queue depth.
//
// Durability follows the kernel's writeback-cache contract (REQ_PREFLUSH and
// REQ_FUA): a completed write is visible to reads at once but durable only
// after a later Flush, or at once if it was FUA. After a power loss (Crash)
// the image holds the data at the last flush, plus every FUA write, plus any
// subset of the completed unflushed writes, down to single sectors: a torn
// multi-sector write is possible. An older write never overwrites a newer
// durable one. A cache that grows past max_dirty_bytes writes back its oldest
// writes, as a real drive may at any moment, so code must neither rely on
// unflushed data being lost nor on it surviving. With background_writeback
// a thread of the Disk starts once the cache holds more than three quarters
// of max_dirty_bytes and writes back the oldest records, up to 1 MiB at a
// time, as long as the cache would still hold half without them, while
// writers go on filling the cache. Nothing is written back while the power
// is off (a batch begun before the cut completes; a writer that finds the
// cache full then leaves it so for the crash). Writers wait for the thread
// where the cache is full, and for the batch under way where they change
// the image themselves (FUA, Discard, Flush, Crash), so that an older
// record never lands over newer data. With background_writeback a Flush
// writes the cache back the same way, with the mutex released: writes that
// come meanwhile go on into the cache (they are not the flush's), and a
// crash waits for the flush to complete. Discard is durable at once (a simplification). With
// volatile_cache=false every write goes straight to the image and a crash loses nothing.
//
// Zero-copy (the Copier's offload between write-through disks): Pin reads a
// range as Read would (same checks and stats) but leaves the data on the
// image and returns a DiskPin; WriteFromPin on another Disk (or this one)
// writes the pinned data as Write would, copying image to image inside the
// host kernel. Until a pin is dropped, a Write or Discard through its Disk
// that overlaps it first saves the pinned data in the pin, so the copy gets
// the data as it was when pinned, like a read into a buffer. A Disk with a
// volatile cache or any injected fault does not pin (Pin returns null: read
// instead), and a destination with either takes the data through a buffer.
// Writes made straight to image() are not seen by pins.
//
// Thread-safety: Read, Write, Flush, Discard, NextData, Crash, Pin and
// WriteFromPin hold the disk's mutex (WriteFromPin both disks'), so the live
// daemon's FUSE workers may move data through a Disk beside the engine
// thread (fuse/direct_io.h). The write-back thread writes the image without
// the mutex, never where a reader would read it (those sectors still read
// from the cache). Everything else (fault state, options, stats, the
// timing model) belongs to the engine thread, which must stop such direct
// I/O before changing the fault state. A Disk owns its image; it shares its
// PowerDomain, if any, with the other disks of its machine.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "sim/base/change_clock.h"
#include "sim/base/rng.h"
#include "sim/base/status.h"
#include "sim/store/disk_faults.h"
#include "sim/store/image_file.h"
#include "sim/store/power_domain.h"
#include "sim/store/write_cache.h"

namespace lvlab::store {

// Timing of one drive, in virtual time. Integer arithmetic only.
struct DiskModel {
  uint64_t read_latency_ns = 0;
  uint64_t write_latency_ns = 0;
  uint64_t bandwidth_bytes_per_sec = 0;  // 0 = unlimited
  uint32_t queue_depth = 32;             // enforced by the dm layer
};

struct DiskOptions {
  bool volatile_cache = true;
  uint64_t max_dirty_bytes = 64 << 20;  // the cache writes back its oldest data beyond this
  bool sync_on_flush = false;           // fdatasync the image on Flush and FUA writes
  // Live mode: a thread of the Disk's own writes the oldest data back to
  // the image, down to half of max_dirty_bytes, whenever the cache holds
  // more than three quarters of it, with the disk's mutex released during
  // the image writes, so that writers seldom wait for the image (see the
  // top of this file). Needs an image whose Read and Write may run on two
  // threads at once (a file image). Off in simulated mode, where when data
  // reaches the image must not depend on the host's timing.
  bool background_writeback = false;
  DiskModel model;
};

// What a power loss does to the completed but unflushed writes.
enum class LossPolicy {
  kNone,    // every one survives
  kAll,     // none survives
  kRandom,  // each write is kept, lost or torn at sector granularity
};
const char* LossPolicyName(LossPolicy policy);
// Parses "none", "all" or "random".
Result<LossPolicy> ParseLossPolicy(std::string_view text);

struct DiskStats {
  uint64_t reads = 0;
  uint64_t writes = 0;
  uint64_t flushes = 0;
  uint64_t discards = 0;
  uint64_t bytes_read = 0;
  uint64_t bytes_written = 0;
};

class Disk;

// A pinned range of a Disk's data (see Pin). Dropping it unpins.
class DiskPin {
 public:
  ~DiskPin();
  DiskPin(const DiskPin&) = delete;
  DiskPin& operator=(const DiskPin&) = delete;

  uint64_t sector() const { return sector_; }
  uint32_t nsectors() const { return nsectors_; }
  // The pinned data (nsectors * 512 bytes) into out.
  Status Data(std::vector<uint8_t>& out);

 private:
  friend class Disk;
  DiskPin(Disk* disk, uint64_t sector, uint32_t nsectors)
      : disk_(disk), sector_(sector), nsectors_(nsectors) {}
  Status DataLocked(std::vector<uint8_t>& out);  // REQUIRES: disk_->mu_ held, or saved_valid_

  Disk* disk_;  // null once the Disk is destroyed
  const uint64_t sector_;
  const uint32_t nsectors_;
  std::vector<uint8_t> saved_;  // the data, once the range changed on the disk
  bool saved_valid_ = false;
};

class Disk {
 public:
  // REQUIRES: image != nullptr.
  Disk(std::string name, std::unique_ptr<ImageFile> image, DiskOptions options);
  ~Disk();
  Disk(const Disk&) = delete;
  Disk& operator=(const Disk&) = delete;

  const std::string& name() const { return name_; }
  uint64_t size_sectors() const { return size_sectors_; }
  // The backing image. Writing it directly bypasses the cache.
  ImageFile* image() { return image_.get(); }
  const DiskOptions& options() const { return options_; }

  // Reads the newest completed data into out (nsectors * 512 bytes).
  Status Read(uint64_t sector, uint32_t nsectors, uint8_t* out);
  // Writes nsectors * 512 bytes; visible at once, durable after the next
  // Flush, or at once if fua.
  Status Write(uint64_t sector, uint32_t nsectors, const uint8_t* data, bool fua);
  // Write(sector, nsectors, buffer->data(), fua), where the cache may keep
  // *buffer (nsectors * 512 bytes) itself rather than a copy; *buffer then
  // holds a buffer the drive no longer needs, maybe empty, for the caller
  // to reuse. Its contents are unspecified either way.
  Status Write(uint64_t sector, uint32_t nsectors, std::vector<uint8_t>* buffer, bool fua);
  // Makes every write completed before it durable.
  Status Flush();
  // Drops cached data in the range and punches it out of the image; reads
  // then return zeros. Durable at once.
  Status Discard(uint64_t sector, uint64_t nsectors);

  // A Read that leaves the data on the image (see the top of this file);
  // null where this disk does not pin.
  Result<std::shared_ptr<DiskPin>> Pin(uint64_t sector, uint32_t nsectors);
  // Write(sector, the pinned data, fua), without a copy through user space
  // where both disks allow it.
  Status WriteFromPin(uint64_t sector, DiskPin& pin, bool fua);

  // The first sector range [start, end) at or after `sector` and below `end`
  // that may hold data: the image's data extents (rounded out to whole
  // sectors) merged with the sectors whose newest data is in the cache; nullopt when [sector, end)
  // reads as zeros. The answer is exact for the cache and as exact as the image for the rest (a
  // memory image reports 64 KiB chunks, a file image the host's extents). A range may come back in
  // pieces: ask again from its end. Works whatever the power or fault state.
  // The hole found last is remembered until the next Write, Flush, Crash or
  // write-back (or a change of the image's allocation), so that walking a large hole
  // region by region costs one image scan, not one per region.
  using SectorRange = std::pair<uint64_t, uint64_t>;
  Result<std::optional<SectorRange>> NextData(uint64_t sector, uint64_t end);

  // Whether what a read of [sector, end) returns may have changed after
  // `stamp` (base/change_clock.h): a write or discard overlapping it (at
  // any outcome), a crash, a fault change, or the disk made later. True
  // while the disk has faults, is failed or has no power (its reads are
  // not a function of its contents). Over-reports, never under-reports.
  bool ChangedSince(uint64_t stamp, uint64_t sector, uint64_t end);
  // The same for every Disk opened in turn on an image that keeps its
  // change record (ImageFile::change_record), so that a checker can tell,
  // after a reboot, that it reads the same image.
  uintptr_t change_identity() const { return reinterpret_cast<uintptr_t>(changes_.get()); }

  // Power loss: applies `policy` to the unflushed writes (kRandom draws from
  // rng). Afterwards the cache is empty and the image holds exactly the
  // durable state. Works whether or not the power or the device is up.
  void Crash(LossPolicy policy, Rng& rng);

  void set_power(std::shared_ptr<PowerDomain> power) { power_ = std::move(power); }
  const std::shared_ptr<PowerDomain>& power() const { return power_; }

  // A failed device answers every operation with an IOError.
  void SetFailed(bool failed) {
    changes_->changed_all = NextChangeStamp();
    faults_.failed = failed;
  }
  bool failed() const { return faults_.failed; }
  // Every injected fault (disk_faults.h). Faults that depend on time
  // (flakey) read `clock`, the engine's now in ns; without one it is 0.
  // The mutable one counts as a change of everything (ChangedSince): read
  // through the const one.
  DiskFaults& faults() {
    changes_->changed_all = NextChangeStamp();
    return faults_;
  }
  const DiskFaults& faults() const { return faults_; }
  void set_clock(std::function<uint64_t()> clock) { clock_ = std::move(clock); }
  uint64_t now_ns() const { return clock_ ? clock_() : 0; }

  const DiskStats& stats() const { return stats_; }
  // Ranges pinned now.
  size_t pins() {
    std::lock_guard<std::mutex> lock(mu_);
    return pins_.size();
  }
  uint64_t dirty_bytes() {
    std::lock_guard<std::mutex> lock(mu_);
    return cache_.dirty_bytes();
  }
  size_t pending_writes() {
    std::lock_guard<std::mutex> lock(mu_);
    return cache_.pending_writes();
  }

  // When an I/O of `bytes` submitted at now_ns completes: now + latency +
  // transfer time, where transfers are serialised at the model's bandwidth.
  uint64_t CompletionTimeNs(uint64_t now_ns, bool is_write, uint64_t bytes);

 private:
  Status CheckRange(const char* op, uint64_t sector, uint64_t nsectors) const;
  Status CheckUp() const;
  // Power, then the injected faults for one operation: kOk to go on, kDrop
  // to acknowledge a write without storing it, or an IOError.
  Result<DiskFaults::Verdict> Admit(FaultOp op, uint64_t sector, uint64_t nsectors);
  // Gates a Write or Flush through the power domain; tears `data` on a cut.
  Status AdmitWrite(uint64_t sector, uint32_t nsectors, const uint8_t* data);
  void TearWrite(uint64_t sector, uint32_t nsectors, const uint8_t* data);
  Status WriteImage(uint64_t sector, uint64_t nsectors, const uint8_t* data);
  // Both Writes: `owned`, when not null, holds `data` and may be adopted.
  Status WriteData(uint64_t sector, uint32_t nsectors, const uint8_t* data,
                   std::vector<uint8_t>* owned, bool fua);
  // Saves the data of every pin overlapping the range, before it changes.
  Status SavePins(uint64_t sector, uint64_t nsectors);
  Status PowerOff() const;
  Result<std::optional<SectorRange>> ImageNextData(uint64_t sector, uint64_t end);
  std::optional<SectorRange> CacheNextData(uint64_t sector, uint64_t end) const;
  // Background write-back (DiskOptions::background_writeback).
  void WriteBackLoop();
  bool WriteBackWanted() const;  // REQUIRES: mu_ held
  // Returns once no background write-back is under way; the thread starts
  // no new batch while someone waits here. REQUIRES: lock holds mu_.
  void AwaitWriteBack(std::unique_lock<std::mutex>& lock);

  friend class DiskPin;
  const std::string name_;
  std::mutex mu_;  // held by the data operations
  const std::unique_ptr<ImageFile> image_;
  const DiskOptions options_;
  const uint64_t size_sectors_;
  WriteCache cache_;
  // A hole of the image found by NextData: no data in sectors [from, to).
  struct HoleHint {
    uint64_t from = 0;
    uint64_t to = 0;
    uint64_t generation = UINT64_MAX;  // generation_ when found
    uint64_t allocated = 0;            // image AllocatedBytes() when found
  };
  HoleHint hole_;
  uint64_t generation_ = 0;  // bumped by every call that may put data in the image
  // ChangedSince: the image's record (ImageFile::change_record), or the
  // Disk's own, begun at its birth.
  const std::shared_ptr<ChangeRecord> changes_;
  std::shared_ptr<PowerDomain> power_;
  DiskFaults faults_;
  std::function<uint64_t()> clock_;
  std::vector<DiskPin*> pins_;  // live pins of this disk's data
  DiskStats stats_;
  uint64_t busy_until_ns_ = 0;
  // Background write-back, under mu_. Busy: the thread is writing a batch,
  // or a Flush the cache, with mu_ released. Failed: its last write failed, so it waits until a
  // Flush or Crash empties the cache (the writers' own write-back then
  // meets the error and reports it).
  std::condition_variable writeback_wanted_;  // the thread waits here for work
  std::condition_variable writeback_idle_;    // others wait here for !writeback_busy_
  bool writeback_busy_ = false;
  // Draining: the cache went past three quarters of its bound and the
  // thread writes back until half remains; only then does a writer wake it
  // again, so it wakes once per drain, not once per write.
  bool writeback_draining_ = false;
  int writeback_waiters_ = 0;  // in AwaitWriteBack: no new batch until they are through
  bool writeback_failed_ = false;
  bool writeback_stop_ = false;
  std::thread writeback_thread_;  // last: started once everything else is built
};

}  // namespace lvlab::store
