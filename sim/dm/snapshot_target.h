// The snapshot and snapshot-merge targets (dm-snap.c), over a
// PersistentStore on the COW device (reference/device-mapper-targets.md 4).
//
//   snapshot       <origin> <cow> P|PO <chunk_sectors>
//   snapshot-merge <origin> <cow> P|PO <chunk_sectors>
//   snapshot-origin <origin>                    (snapshot_origin.cc)
//
// <origin> is the real device (LVM's ORIGIN-real), never the
// snapshot-origin device. The store is read when the target first resumes
// (the kernel reads it in the ctr; LVM resumes the new COW device before
// that, lvlab's activation only after). Transient stores (N) are not built.
//
// snapshot: a completed exception maps the chunk to the COW; reads of other
// chunks go to the origin; a write to a chunk without one allocates an
// exception, copies the chunk origin -> COW (unless the write covers it
// whole), commits the store, then writes to the COW. An origin write waits
// (OriginSnapshot) until the chunk's old data is copied and committed.
// Exceptions are committed in allocation order. A full COW or an I/O error
// invalidates the snapshot: the header gets valid = 0, every I/O fails with
// EIO and the status reads "Invalid"; origin writes go on.
//
// snapshot-merge: is the origin device. At resume it takes over the
// exceptions of an active snapshot using the same COW (the handover; that
// snapshot turns invalid) or reads them from disk, then merges them back
// newest first, one run of consecutive chunks per step: copy COW -> origin,
// flush the origin, clear the entries from the store (PREFLUSH|FUA), forget
// them in core, release the writes that waited. Writes to the chunks being
// merged wait for the step; other chunks with an exception are served from
// the COW; the rest from the origin. Suspend stops after the current step;
// resume carries on from the store. Status "<allocated>/<total> <metadata>"
// shrinks until allocated == metadata.
//
// NextData follows the read path: a chunk with a completed exception is the
// COW's answer for its place in the COW, any other chunk the origin's (a
// snapshot that fails its reads says "data"). So does ChangedSince, for a
// snapshot whose exceptions and validity did not change after the stamp
// (a merging one always answers "changed"), and Resolve.
//
// Not thread-safe: one engine thread. Owned by its Device's table; does not
// own the devices. Postsuspend waits for its copies and commits.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sim/base/change_clock.h"
#include "sim/dm/copier.h"
#include "sim/dm/exception_store.h"
#include "sim/dm/snapshot_registry.h"
#include "sim/dm/target.h"

namespace lvlab::dm {

struct MirrorBugs;

class SnapshotTarget final : public Target, public OriginSnapshot {
 public:
  SnapshotTarget(const TargetArgs& args, bool merge, BlockDevice* origin, BlockDevice* cow,
                 std::string persistent, uint64_t chunk_sectors);
  ~SnapshotTarget() override;

  // Target
  std::string type() const override { return merge_ ? "snapshot-merge" : "snapshot"; }
  void Map(engine::Bio bio, uint64_t target_offset_sectors) override;
  std::string TableArgs() const override;
  std::string StatusInfo() const override;
  void Presuspend() override;
  void Postsuspend() override;
  Status Preresume() override;
  void Resume() override;
  uint64_t max_io_len() const override { return chunk_; }
  std::optional<SectorRange> NextData(uint64_t offset, uint64_t end) override;
  bool ChangedSince(uint64_t stamp, uint64_t offset, uint64_t end) override;
  // The same read path, down to disk extents; a change of the exceptions or
  // the validity counts as a table swap.
  bool Resolve(uint64_t offset, uint64_t end, std::vector<DiskExtent>* out,
               uint64_t* newest_table) override;
  std::vector<DeviceArea> Areas() const override;

  // OriginSnapshot
  bool PrepareOriginWrite(uint64_t sector, uint64_t n, std::function<void()> ready) override;
  BlockDevice* cow() const override { return cow_; }
  bool merging() const override { return merge_; }
  uint64_t chunk_sectors() const override { return chunk_; }

  // The consistency check's quiesce (as it pauses workloads): while held,
  // a merge starts no new step; MergeStepInFlight tells whether the step
  // under way (copy, origin flush, commit) is still writing. ReleaseMerge
  // starts the step a hold deferred. In-kernel writes of a merge through a
  // mirror below the origin would otherwise race the comparison of its legs.
  void HoldMerge() { merge_held_ = true; }
  void ReleaseMerge();
  bool MergeStepInFlight() const { return merging_n_ != 0; }

  // Test hooks.
  bool TEST_valid() const { return valid_; }
  bool TEST_merge_running() const { return step_running_; }
  size_t TEST_exceptions() const { return complete_.size(); }

 private:
  // Calls fn(device, first, end) for each piece of [offset, end) in order,
  // where a read of it goes now (a chunk with a completed exception: the
  // COW; the rest: the origin), until fn returns false; true if none did.
  bool AllReadPieces(uint64_t offset, uint64_t end,
                     const std::function<bool(BlockDevice*, uint64_t, uint64_t)>& fn) const;
  struct Pending {
    uint64_t old_chunk = 0;
    uint64_t new_chunk = 0;
    bool copied = false;
    Status copy_status;
    engine::Bio full_write;  // a whole-chunk snapshot write: the copy itself
    bool has_full_write = false;
    std::vector<engine::Bio> writes;  // snapshot writes waiting
    std::vector<std::function<void()>> origin_waiters;
  };

  void Fail(engine::Bio bio);
  void ToCow(engine::Bio bio, uint64_t new_chunk, uint64_t offset_in_chunk);
  Pending* NewPending(uint64_t old_chunk, uint64_t new_chunk);
  void StartCopy(Pending* pe);
  void CopyDone(uint64_t old_chunk, Status st);
  void CommitInOrder();
  void Committed(uint64_t old_chunk, Status st);
  void Invalidate(const std::string& why);
  uint64_t ChunkLen(uint64_t chunk) const;
  bool Quiet() const;

  // snapshot-merge (snapshot_merge.cc)
  void MapMerge(engine::Bio bio, uint64_t offset);
  Status Handover();
  void NextMergeStep();
  void MergeCopied(uint64_t first_old, uint64_t n, Status st);
  void MergeFlushed(uint64_t first_old, uint64_t n, Status st);
  void MergeCommitted(uint64_t first_old, uint64_t n, Status st);
  void MergeFailed();
  void TrackCowIo(engine::Bio& bio, uint64_t old_chunk);

  Kernel* const kernel_;
  Device* const device_;
  engine::Scheduler& scheduler_;
  engine::Trace* const trace_;
  const bool merge_;
  BlockDevice* const origin_;
  BlockDevice* const cow_;
  const std::string persistent_;
  uint64_t chunk_;
  const uint64_t len_;
  std::unique_ptr<PersistentStore> store_;
  bool loaded_ = false;
  bool registered_ = false;
  bool valid_ = true;
  std::map<uint64_t, uint64_t> complete_;                 // old chunk -> new chunk
  uint64_t map_stamp_ = NextChangeStamp();  // complete_, valid_ or loaded_ last changed
  std::map<uint64_t, std::unique_ptr<Pending>> pending_;  // by old chunk
  std::deque<uint64_t> alloc_order_;                      // old chunks, allocation order
  uint64_t commits_in_flight_ = 0;
  uint64_t copies_in_flight_ = 0;

  // Merge state.
  bool merge_failed_ = false;
  bool stop_ = false;
  bool step_running_ = false;
  bool merge_held_ = false;      // HoldMerge
  bool merge_deferred_ = false;  // a step not started because of a hold
  uint64_t merging_first_ = 0;  // old chunks [first, first + n) being merged
  uint64_t merging_n_ = 0;
  std::map<uint64_t, uint64_t> cow_io_;                 // old chunk -> bios in flight on the COW
  std::vector<std::pair<engine::Bio, uint64_t>> held_;  // writes to merging chunks
  std::function<void()> on_cow_idle_;
};

Result<std::unique_ptr<Target>> NewSnapshotTarget(const TargetArgs& args);
Result<std::unique_ptr<Target>> NewSnapshotMergeTarget(const TargetArgs& args);
Result<std::unique_ptr<Target>> NewSnapshotOriginTarget(const TargetArgs& args);

}  // namespace lvlab::dm
