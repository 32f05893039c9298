// MirrorTarget: the device-mapper "mirror" target (dm-raid1.c), a RAID1 of 2
// to 9 legs with a dirty region log (mirror_log.h) and a region hash
// (region_hash.h), resynchronised by the kernel's copier (copier.h).
// Semantics follow reference/device-mapper-targets.md section 1:
//
//   mirror <core|disk> <#log_args> [<log_dev>] <region_size> [sync|nosync]
//          <#mirrors> <dev> <offset>... [<#features> handle_errors [keep_log]]
//
// The target is cut into regions of region_size sectors (DM core splits bios
// at region boundaries: max_io_len = region_size). Reads of in-sync regions
// go straight to the default leg (leg 0 unless it failed with
// handle_errors), or the first leg before it without errors; every other bio
// goes through the target's worker (kmirrord), which runs passes in the
// kernel's order: retire region states and flush the log, schedule recovery,
// serve queued reads (out-of-sync regions from the default leg only), then
// classify writes: flushes, discards and writes to CLEAN/DIRTY regions go to
// all legs (FUA kept) after the log flush made any dirty mark durable; writes
// to a NOSYNC region go to the default leg only; writes to the RECOVERING
// region wait until it is copied and then go to all legs. A failed leg write
// records the error on the leg (health A, D, S, R, F, U) and puts the region
// out of sync; the bio then ends with EIO if no leg is left, is held until
// the next suspend with handle_errors (requeued to DM core on a noflush
// suspend, EIO otherwise), or else succeeds ("pretend").
//
// Recovery runs only while the device is live (from resume to presuspend),
// one region at a time in ascending order from the log's search point (0
// after every resume), copying the region from the default leg to the others
// once its pending writes drained. When every region is in sync the device
// raises an event (Kernel::WaitEvent wakes) and leg errors are forgotten.
// Trace events: "region-recovering" (dev, region, of) when a copy starts,
// "region-recovered" (dev, region, of, ok, in_sync) when it is retired, and
// "mirror-leg-error" (dev, leg, error) on the first error of each kind.
//
// Direct writes (live mode): OpenDirectWrites lets the daemon's FUSE workers
// write regions without the worker, by the rule of do_writes, through
// direct_routes() (mirror_direct.h); only with a core log (a disk log would
// miss the dirty mark a crash needs), no mirror bug, every leg healthy and
// the device live. The worker closes a region before it prepares its copy,
// and every route on a leg error or a presuspend; while writes of its own
// to a region are under way (counted on the region hash), that region is
// closed too, so its writes and direct ones never interleave on the legs.
//
// Not thread-safe: one engine thread (but for direct_routes().Enter/Leave).
// Owned by its Device's table. It does not own its legs, log device, the
// Copier (the Kernel's) or the Scheduler; presuspend waits for its
// recovery and worker, so after a suspend no event of its own is pending
// and the table may be destroyed.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/base/change_clock.h"
#include "sim/dm/bugs.h"
#include "sim/dm/copier.h"
#include "sim/dm/mirror_direct.h"
#include "sim/dm/mirror_log.h"
#include "sim/dm/region_hash.h"
#include "sim/dm/target.h"

namespace lvlab::dm {

class Device;

class MirrorTarget final : public Target {
 public:
  static constexpr uint32_t kMaxLegs = 9;  // MAX_NR_MIRRORS

  struct Leg {
    BlockDevice* dev = nullptr;
    uint64_t offset = 0;
    uint32_t error_count = 0;
    uint32_t error_type = 0;  // bits of ErrorType
  };
  enum ErrorType { kWriteError, kFlushError, kSyncError, kReadError };

  // Use NewMirrorTarget (builtin_targets.h) to build one from a table line.
  MirrorTarget(const TargetArgs& args, std::unique_ptr<DirtyLog> log, std::vector<Leg> legs,
               bool handle_errors, bool keep_log);
  ~MirrorTarget() override;

  std::string type() const override { return "mirror"; }
  void Map(engine::Bio bio, uint64_t target_offset_sectors) override;
  std::string TableArgs() const override;
  std::string StatusInfo() const override;
  void Presuspend() override;
  void PresuspendUndo() override;
  void Postsuspend() override;
  void Resume() override;
  uint64_t max_io_len() const override { return log_->region_size(); }
  std::optional<SectorRange> NextData(uint64_t offset, uint64_t end) override;
  // A read goes to a leg chosen by the legs' errors and the default leg:
  // changed if those changed after `stamp`, or the default leg did (any
  // leg, once the default one has errors).
  bool ChangedSince(uint64_t stamp, uint64_t offset, uint64_t end) override;
  // Through the default leg, while it has no errors.
  bool Resolve(uint64_t offset, uint64_t end, std::vector<DiskExtent>* out,
               uint64_t* newest_table) override;
  std::vector<DeviceArea> Areas() const override;
  std::vector<DevNo> Deps() const override;

  // Sync progress, as the status line's <in_sync>/<nr_regions>.
  uint64_t in_sync_regions() const { return log_->sync_count(); }
  uint64_t nr_regions() const { return log_->region_count(); }
  uint64_t region_size() const { return log_->region_size(); }
  // A region is being recovered (prepared, quiescing or copying).
  bool recovering() const { return rh_.recovery_in_flight() > 0; }
  // The health character of each leg: "AA", "AD"...
  std::string Health() const;
  int default_leg() const { return default_leg_; }

  // Whether the default leg holds the newest data of every region, so that
  // reads may go to it without the target: no leg has failed and no mirror
  // bug is switched on.
  bool DirectReadsPossible() const;
  // Whether direct writes (see the top) could be open now.
  bool DirectWritesPossible() const;
  // Engine thread: opens direct writes; false (and closed) when they cannot
  // be open now.
  bool OpenDirectWrites();
  // The route of `region` by its state (do_writes' rule).
  MirrorDirectRoutes::Route DirectRoute(uint64_t region) const;
  MirrorDirectRoutes& direct_routes() { return direct_; }

  RegionState TEST_region_state(uint64_t region) const { return rh_.GetState(region); }
  const DirtyLog& TEST_log() const { return *log_; }
  const RegionHash& TEST_region_hash() const { return rh_; }
  size_t TEST_held() const { return holds_.size(); }
  const Leg& TEST_leg(int i) const { return legs_[i]; }

 private:
  struct Pass;
  // mirror_target.cc
  void Wake();
  void DoMirror();
  void PassDone();
  void WaitIdle();
  // mirror_io.cc
  void DoRecovery();
  void Recover(uint64_t region);
  void RecoveryComplete(uint64_t region, int source, Status read_err, uint64_t write_err);
  void DoReads(std::deque<MirrorBio> reads);
  void ReadFromLeg(MirrorBio mb, int leg);
  void ReadDone(MirrorBio mb, int leg, Status status);
  void DoWrites(std::deque<MirrorBio> writes, std::function<void()> then);
  void DispatchWrites(std::deque<MirrorBio> sync, std::deque<MirrorBio> nosync,
                      std::deque<MirrorBio> recover, std::deque<MirrorBio> one_leg);
  void DoWrite(MirrorBio mb);
  void WriteDone(MirrorBio mb, uint64_t error_mask, Status first_error);
  void WriteDefault(MirrorBio mb);
  void DoFailures(std::deque<MirrorBio> failures);
  void HoldBio(MirrorBio mb);
  void EndBio(MirrorBio mb, Status status);
  void FlushLegs(std::function<void(Status)> done);
  void FailMirror(int leg, ErrorType type);
  void ResetFlags();
  int ChooseMirror() const;
  int GetValidMirror() const;
  bool DefaultOk() const { return legs_[default_leg_].error_count == 0; }
  bool MirrorAvailable(uint64_t region) const;
  bool RegionInSync(uint64_t region) const;
  const MirrorBugs& bugs() const { return bugs_ ? *bugs_ : no_bugs_; }
  engine::Bio LegBio(const MirrorBio& mb, int leg, std::function<void(Status)> done) const;

  Device* const device_;
  engine::Scheduler& scheduler_;
  engine::Trace* const trace_;
  Copier* copier_;
  std::unique_ptr<Copier> own_copier_;  // when built without a Kernel
  const MirrorBugs* const bugs_;
  const MirrorBugs no_bugs_;
  const uint64_t len_;
  std::unique_ptr<DirtyLog> log_;
  RegionHash rh_;
  std::vector<Leg> legs_;
  const bool handle_errors_;
  const bool keep_log_;

  int default_leg_ = 0;
  uint64_t read_legs_stamp_ = NextChangeStamp();  // errors or default_leg_ last changed
  bool in_sync_ = false;
  bool log_failure_ = false;
  bool leg_failure_ = false;
  bool suspend_ = false;
  bool recovery_started_ = false;

  std::deque<MirrorBio> reads_;
  std::deque<MirrorBio> writes_;
  std::deque<MirrorBio> failures_;
  std::deque<MirrorBio> holds_;
  bool wake_posted_ = false;
  bool pass_running_ = false;
  bool rerun_ = false;
  std::unique_ptr<Pass> pass_;
  MirrorDirectRoutes direct_;
  std::shared_ptr<bool> alive_;  // false once destroyed; guards posted events
};

// The sync progress of the mirror targets of a device's live table, summed:
// what LVM's poll reads from the status line.
struct MirrorSync {
  uint64_t in_sync_regions = 0;
  uint64_t nr_regions = 0;
  bool complete() const { return in_sync_regions == nr_regions; }
};
// nullopt when the live table has no mirror target.
std::optional<MirrorSync> MirrorSyncOf(const Device& device);

}  // namespace lvlab::dm
