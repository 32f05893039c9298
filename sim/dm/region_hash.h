// RegionHash: the state of each region of a mirror (dm-region-hash.c;
// reference/device-mapper-targets.md 1.3 and 1.6), over a DirtyLog.
//
// Regions not in the hash take their state from the log: CLEAN when in sync,
// NOSYNC otherwise. A write counts as pending on its region (Inc) from
// before it is issued until it ends (Dec); the first pending write turns a
// CLEAN region DIRTY and clears its clean bit in the log. When the last one
// ends, a DIRTY region goes on the clean list, a RECOVERING one on the
// quiesced list, and a NOSYNC one stays as it is. UpdateStates (the start of
// each kmirrord pass) retires the lists: recovered regions are set clean and
// in sync and their delayed writes dispatched; failed recoveries are set out
// of sync when errors are handled, and (the kernel's choice) in sync when
// they are not; clean regions get their clean bit. The caller then flushes
// the log.
//
// Recovery: at most kMaxRecovery (1) region at a time. Recovery slots start
// at zero (a loaded table does not recover) and are given by StartRecovery
// (resume) and taken back by StopRecovery + TakeRecoverySlot (presuspend,
// once the region in flight is done). RecoveryPrepare asks the log for the next out-of-sync region,
// marks it RECOVERING and queues it as quiesced once no write is pending;
// RecoveryStart hands quiesced regions to the copier; RecoveryEnd files the
// result for the next UpdateStates. Writes that reach a RECOVERING region
// are parked on it (Delay) until then.
//
// Not thread-safe: one engine thread. Owned by the mirror target; it does
// not own the log. Entries are kept in an ordered map, so every iteration is
// deterministic.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>

#include "sim/dm/mirror_log.h"
#include "sim/engine/bio.h"

namespace lvlab::dm {

enum class RegionState { kClean, kDirty, kNosync, kRecovering };
const char* RegionStateName(RegionState state);

// One bio piece inside the mirror target, with its per-bio record
// (dm_raid1_bio_record).
struct MirrorBio {
  engine::Bio bio;       // as DM core handed it; bio.sector is the dm device's
  uint64_t offset = 0;   // sectors from the target's start
  uint64_t region = 0;   // the region of `offset` (write_region)
  int read_leg = -1;     // a read mapped straight to this leg (dm_bio_record), else -1
  bool counted = false;  // Inc'd: the end of the bio must Dec

  bool is_flush() const { return bio.op == engine::Bio::Op::kFlush; }
  bool is_discard() const { return bio.op == engine::Bio::Op::kDiscard; }
};

class RegionHash {
 public:
  static constexpr uint32_t kMaxRecovery = 1;  // MAX_RECOVERY

  struct Callbacks {
    // Requeues released writes on the mirror's write list (dispatch_bios).
    std::function<void(std::deque<MirrorBio>)> dispatch_bios;
    std::function<void()> wakeup_workers;
    // A recovery retired by UpdateStates: whether the copy succeeded and
    // whether the region is now in sync.
    std::function<void(uint64_t region, bool copied, bool in_sync)> recovered;
    // RecoveryPrepare is about to mark `region` RECOVERING (optional).
    std::function<void(uint64_t region)> recovering;
  };

  RegionHash(DirtyLog* log, Callbacks callbacks) : log_(log), cb_(std::move(callbacks)) {}

  RegionState GetState(uint64_t region) const;
  void Inc(uint64_t region);
  void Dec(uint64_t region);
  // The writes counted on `region` (Inc) and not yet ended (Dec).
  uint32_t pending(uint64_t region) const;
  // A write failed on some leg: the region goes NOSYNC (out of sync in the
  // log); an empty flush sets flush_failure instead, after which no region
  // may become clean again.
  void MarkNosync(const MirrorBio& bio);
  void UpdateStates(bool errors_handled);
  void Delay(MirrorBio bio);

  void RecoveryPrepare();
  std::optional<uint64_t> RecoveryStart();
  void RecoveryEnd(uint64_t region, bool success);
  void StartRecovery();
  // dm_rh_stop_recovery, in two steps so the caller can run the scheduler in
  // between: from StopRecovery on, a free slot is kept for the stopper (as a
  // semaphore hands an up() to its sleeping waiter) instead of starting new
  // recoveries; TakeRecoverySlot then takes it (if it came back) and ends
  // the stop.
  void StopRecovery() { stopping_ = true; }
  void TakeRecoverySlot();
  uint32_t recovery_slots() const { return slots_; }
  // True when a recovery slot is held by no region: one prepared for
  // recovery (RECOVERING, waiting for its writes to drain) was turned NOSYNC
  // by dm_rh_dec after a failed flush, and is never quiesced or recovered.
  // The kernel's dm_rh_dec does exactly this, so its dm_rh_stop_recovery
  // (mirror_presuspend) would then wait forever; see ReclaimLeakedSlot.
  bool RecoverySlotLeaked() const;
  // The lab's way out of that hang: the slot comes back. Not in the kernel.
  void ReclaimLeakedSlot();
  uint32_t recovery_in_flight() const { return in_flight_; }
  bool flush_failure() const { return flush_failure_; }

  size_t TEST_entries() const { return regions_.size(); }

 private:
  enum class List { kNone, kClean, kQuiesced, kRecovered, kFailedRecovered };
  struct Region {
    RegionState state = RegionState::kNosync;
    uint32_t pending = 0;
    List list = List::kNone;
    std::deque<MirrorBio> delayed;
  };

  Region& Find(uint64_t region);
  void Unlist(uint64_t key, Region& reg);
  bool PrepareOne();
  void CompleteResyncWork(uint64_t key, Region& reg, bool success);

  DirtyLog* const log_;
  const Callbacks cb_;
  std::map<uint64_t, Region> regions_;
  std::set<uint64_t> clean_;
  std::deque<uint64_t> quiesced_;
  std::deque<uint64_t> recovered_;
  std::deque<uint64_t> failed_recovered_;
  uint32_t slots_ = 0;      // the recovery_count semaphore
  uint32_t in_flight_ = 0;  // recovery_in_flight
  bool flush_failure_ = false;
  bool stopping_ = false;
};

}  // namespace lvlab::dm
