// PersistentStore: the snapshot's persistent exception store on its COW
// device, in the kernel's on-disk layout (dm-snap-persistent.c; written
// down in docs/snapshot-format.md).
//
// Chunk 0 is the header {magic "SnAp" 0x70416e53, valid, version 1,
// chunk_size}, little-endian. Metadata area a sits at chunk 1 + a*(epa+1)
// with epa = chunk_size*512/16 entries {le64 old_chunk, le64 new_chunk}; the
// epa chunks after it hold copied data. The table ends at the first entry
// whose new_chunk is 0.
//
// Commits are batched as the kernel's are: entries committed while an area
// write is in flight go out together in the next one. Every metadata write
// carries PREFLUSH|FUA (the copied data is durable before the entry naming
// it, the entry durable before the callbacks run). When an area becomes
// full, the next one is zeroed before the full area is written. Entries are
// committed in the order the targets give them (allocation order).
//
// Load and the merge helpers follow persistent_read_metadata,
// persistent_prepare_merge and persistent_commit_merge. Load blocks: it
// runs the scheduler until its I/O completes (the kernel's ctr does
// synchronous dm_io).
//
// Not thread-safe: one engine thread. Does not own the COW device or the
// scheduler; callbacks may run after the caller's state changed, so owners
// keep the store alive until idle() (no write in flight).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "sim/base/status.h"
#include "sim/dm/block_device.h"
#include "sim/engine/scheduler.h"

namespace lvlab::dm {

inline constexpr uint32_t kSnapMagic = 0x70416e53;  // "SnAp"
inline constexpr uint32_t kSnapDiskVersion = 1;

class PersistentStore {
 public:
  using Done = std::function<void(Status)>;
  using Exception = std::pair<uint64_t, uint64_t>;  // old_chunk, new_chunk

  PersistentStore(BlockDevice* cow, uint64_t chunk_sectors, engine::Scheduler& scheduler);

  // Reads the header and the areas. A zero magic is a new store: writes the
  // header and zeroes area 0. Another magic fails (Corrupt). A header with
  // valid == 0 loads as invalid (valid() false, Ok returned). The on-disk
  // chunk size wins over the table's.
  Status Load();

  bool valid() const { return valid_; }
  uint64_t chunk_sectors() const { return chunk_; }
  // Committed exceptions in on-disk order.
  const std::vector<Exception>& exceptions() const { return entries_; }

  // The next free data chunk (prepare_exception), or nullopt when the COW
  // device is full.
  std::optional<uint64_t> Allocate();
  // Adds the entry and writes its area; `done` runs once it is durable.
  void Commit(uint64_t old_chunk, uint64_t new_chunk, Done done);
  // persistent_drop_snapshot: marks the store invalid and writes valid = 0
  // into the header (best effort).
  void Drop();

  // The newest run of consecutive exceptions (old and new both counting
  // down) inside the current area: sets *last_old/*last_new and returns its
  // length, or 0 when nothing is left to merge.
  uint64_t PrepareMerge(uint64_t* last_old, uint64_t* last_new) const;
  // Clears the newest n entries and writes the area (PREFLUSH|FUA).
  void CommitMerge(uint64_t n, Done done);

  // persistent_usage.
  uint64_t sectors_allocated() const { return next_free_ * chunk_; }
  uint64_t total_sectors() const { return cow_->size_sectors(); }
  uint64_t metadata_sectors() const;

  // No write in flight and none queued.
  bool idle() const { return !busy_ && waiting_.empty(); }

 private:
  uint64_t epa() const { return chunk_ * kSectorSize / 16; }
  uint64_t AreaChunk(uint64_t area) const { return 1 + area * (epa() + 1); }
  void SkipMetadata();
  Status BlockingIo(engine::Bio::Op op, uint64_t chunk, uint8_t* data, uint32_t flags);
  std::vector<uint8_t> AreaImage(uint64_t area) const;
  std::vector<uint8_t> HeaderImage() const;
  void StartWrite();
  void WriteSteps(std::shared_ptr<std::deque<std::pair<uint64_t, bool>>> steps, size_t target);
  void FinishWrite(size_t target, Status st);

  BlockDevice* const cow_;
  uint64_t chunk_;
  engine::Scheduler& scheduler_;
  bool valid_ = true;
  std::vector<Exception> entries_;  // committed in memory, on-disk order
  size_t durable_ = 0;              // entries_ known durable
  uint64_t next_free_ = 2;
  bool busy_ = false;
  std::deque<std::pair<size_t, Done>> waiting_;  // (entries needed durable, callback)
};

}  // namespace lvlab::dm
