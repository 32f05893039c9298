// The mirror target's I/O paths (dm-raid1.c do_recovery, do_reads,
// do_writes, do_failures, fail_mirror and their callbacks), run by the
// kmirrord passes of mirror_target.cc.
#include <utility>

#include "sim/base/check.h"
#include "sim/dm/device.h"
#include "sim/dm/mirror_target.h"

namespace lvlab::dm {

using engine::Bio;

namespace {

// The completion of one bio sent to several legs: which legs failed.
struct LegJoin {
  size_t left;
  uint64_t error_mask = 0;
  Status first_error;
};

}  // namespace

// --- Recovery. ---

void MirrorTarget::DoRecovery() {
  rh_.RecoveryPrepare();
  while (std::optional<uint64_t> region = rh_.RecoveryStart()) Recover(*region);
  if (!in_sync_ && log_->sync_count() == nr_regions()) {
    // The sync is complete: LVM's poll sees 100%.
    if (device_ != nullptr) device_->RaiseEvent();
    in_sync_ = true;
    ResetFlags();
  }
}

void MirrorTarget::Recover(uint64_t region) {
  const int src = default_leg_;
  const uint64_t rs = region_size();
  const uint64_t start = region * rs;
  uint64_t count = rs;
  if (region == nr_regions() - 1 && (len_ & (rs - 1)) != 0) count = len_ & (rs - 1);
  std::vector<Copier::Dest> dests;
  for (int i = 0; i < static_cast<int>(legs_.size()); ++i) {
    if (i != src) dests.emplace_back(legs_[i].dev, legs_[i].offset + start);
  }
  if (trace_) {
    trace_->Emit(
        "region-recovering",
        {{"dev", device_ ? device_->name() : ""}, {"region", region}, {"of", nr_regions()}});
  }
  copier_->Copy(legs_[src].dev, legs_[src].offset + start, std::move(dests), count,
                handle_errors_ ? 0 : Copier::kIgnoreErrors,
                [this, alive = alive_, region, src](Status read_err, uint64_t write_err) {
                  if (*alive) RecoveryComplete(region, src, std::move(read_err), write_err);
                });
}

void MirrorTarget::RecoveryComplete(uint64_t region, int source, Status read_err,
                                    uint64_t write_err) {
  if (!read_err.ok()) FailMirror(source, kSyncError);  // the default leg cannot be read
  // Bits count the destinations, that is the legs other than the source.
  int bit = 0;
  for (int i = 0; i < static_cast<int>(legs_.size()); ++i) {
    if (i == source) continue;
    if ((write_err >> bit) & 1) FailMirror(i, kSyncError);
    ++bit;
  }
  rh_.RecoveryEnd(region, read_err.ok() && write_err == 0);
}

// --- Reads. ---

bool MirrorTarget::RegionInSync(uint64_t region) const {
  const RegionState s = rh_.GetState(region);
  return s == RegionState::kClean || s == RegionState::kDirty;
}

int MirrorTarget::ChooseMirror() const {
  const int n = static_cast<int>(legs_.size());
  int m = default_leg_;
  do {
    if (legs_[m].error_count == 0) return m;
    m = m == 0 ? n - 1 : m - 1;
  } while (m != default_leg_);
  return -1;
}

int MirrorTarget::GetValidMirror() const {
  for (int i = 0; i < static_cast<int>(legs_.size()); ++i) {
    if (legs_[i].error_count == 0) return i;
  }
  return -1;
}

bool MirrorTarget::MirrorAvailable(uint64_t region) const {
  return log_->InSync(region) && ChooseMirror() >= 0;
}

void MirrorTarget::DoReads(std::deque<MirrorBio> reads) {
  for (MirrorBio& mb : reads) {
    int leg = default_leg_;
    if (RegionInSync(mb.region)) {
      leg = ChooseMirror();
    } else if (legs_[leg].error_count != 0) {
      leg = -1;  // out of sync: only the default leg has the data
    }
    if (leg < 0) {
      EndBio(std::move(mb), IOError("mirror: no leg can serve " + engine::Describe(mb.bio)));
    } else {
      ReadFromLeg(std::move(mb), leg);
    }
  }
}

Bio MirrorTarget::LegBio(const MirrorBio& mb, int leg, std::function<void(Status)> done) const {
  const Bio& b = mb.bio;
  if (mb.is_flush()) return Bio{Bio::Op::kFlush, 0, 0, 0, nullptr, std::move(done)};
  return Bio{b.op, legs_[leg].offset + mb.offset, b.nsectors, b.flags, b.data, std::move(done)};
}

void MirrorTarget::ReadFromLeg(MirrorBio mb, int leg) {
  auto holder = std::make_shared<MirrorBio>(std::move(mb));
  legs_[leg].dev->Submit(LegBio(*holder, leg, [this, alive = alive_, holder, leg](Status st) {
    if (*alive) ReadDone(std::move(*holder), leg, std::move(st));
  }));
}

// mirror_end_io / read_callback for reads.
void MirrorTarget::ReadDone(MirrorBio mb, int leg, Status status) {
  if (status.ok()) return EndBio(std::move(mb), std::move(status));
  FailMirror(leg, kReadError);
  if (DefaultOk() || MirrorAvailable(mb.region)) {  // retry on an intact leg
    mb.read_leg = -1;
    reads_.push_back(std::move(mb));
    return Wake();
  }
  EndBio(std::move(mb), status.WithContext("mirror: read failed on every usable leg"));
}

// --- Writes. ---

void MirrorTarget::DoWrites(std::deque<MirrorBio> writes, std::function<void()> then) {
  if (writes.empty()) return then();
  struct Lists {
    std::deque<MirrorBio> sync, nosync, recover, one_leg;
  };
  auto lists = std::make_shared<Lists>();
  for (MirrorBio& mb : writes) {
    if (mb.is_flush() || mb.is_discard()) {
      lists->sync.push_back(std::move(mb));
      continue;
    }
    switch (rh_.GetState(mb.region)) {
      case RegionState::kClean:
      case RegionState::kDirty:
        lists->sync.push_back(std::move(mb));
        break;
      case RegionState::kNosync:
        lists->nosync.push_back(std::move(mb));
        break;
      case RegionState::kRecovering:
        (bugs().recovery_write_one_leg ? lists->one_leg : lists->recover).push_back(std::move(mb));
        break;
    }
  }
  for (std::deque<MirrorBio>* l : {&lists->sync, &lists->nosync}) {
    for (MirrorBio& mb : *l) {
      if (mb.is_flush() || mb.is_discard()) continue;
      rh_.Inc(mb.region);
      mb.counted = true;
      // The region's direct writes wait until its last such write ended.
      if (rh_.pending(mb.region) == 1) direct_.CloseRegion(mb.region);
    }
  }
  // Dirty marks reach the log (and, for a disk log, its platter) before any
  // data write is issued.
  log_->Flush([this, lists, then = std::move(then)](Status st) {
    if (!st.ok()) log_failure_ = true;
    DispatchWrites(std::move(lists->sync), std::move(lists->nosync), std::move(lists->recover),
                   std::move(lists->one_leg));
    then();
  });
}

void MirrorTarget::DispatchWrites(std::deque<MirrorBio> sync, std::deque<MirrorBio> nosync,
                                  std::deque<MirrorBio> recover, std::deque<MirrorBio> one_leg) {
  const bool hold_sync = log_failure_ && handle_errors_;
  for (MirrorBio& mb : sync) {
    if (hold_sync) {
      failures_.push_back(std::move(mb));
      Wake();
    } else {
      DoWrite(std::move(mb));
    }
  }
  for (MirrorBio& mb : recover) rh_.Delay(std::move(mb));
  for (MirrorBio& mb : nosync) {
    if (leg_failure_ && handle_errors_ && !keep_log_) {
      failures_.push_back(std::move(mb));
      Wake();
    } else {
      WriteDefault(std::move(mb));
    }
  }
  for (MirrorBio& mb : one_leg) WriteDefault(std::move(mb));  // MirrorBugs
}

// do_write: one bio to every leg, FUA kept.
void MirrorTarget::DoWrite(MirrorBio mb) {
  auto holder = std::make_shared<MirrorBio>(std::move(mb));
  auto join = std::make_shared<LegJoin>(LegJoin{legs_.size(), 0, Status::Ok()});
  for (int i = 0; i < static_cast<int>(legs_.size()); ++i) {
    legs_[i].dev->Submit(LegBio(*holder, i, [this, alive = alive_, holder, join, i](Status st) {
      if (!st.ok()) {
        join->error_mask |= uint64_t{1} << i;
        if (join->first_error.ok()) join->first_error = std::move(st);
      }
      if (--join->left == 0 && *alive) {
        WriteDone(std::move(*holder), join->error_mask, join->first_error);
      }
    }));
  }
}

// write_callback.
void MirrorTarget::WriteDone(MirrorBio mb, uint64_t error_mask, Status first_error) {
  if (error_mask == 0) return EndBio(std::move(mb), Status::Ok());
  // A failed discard is reported (EOPNOTSUPP) but degrades nothing.
  if (mb.is_discard()) return EndBio(std::move(mb), std::move(first_error));
  for (int i = 0; i < static_cast<int>(legs_.size()); ++i) {
    if ((error_mask >> i) & 1) FailMirror(i, kWriteError);
  }
  failures_.push_back(std::move(mb));
  Wake();
}

// A NOSYNC region: the default leg only; its error goes straight up.
void MirrorTarget::WriteDefault(MirrorBio mb) {
  auto holder = std::make_shared<MirrorBio>(std::move(mb));
  legs_[default_leg_].dev->Submit(
      LegBio(*holder, default_leg_, [this, alive = alive_, holder](Status st) {
        if (*alive) EndBio(std::move(*holder), std::move(st));
      }));
}

void MirrorTarget::DoFailures(std::deque<MirrorBio> failures) {
  for (MirrorBio& mb : failures) {
    if (!log_failure_) {
      in_sync_ = false;
      rh_.MarkNosync(mb);
    }
    if (GetValidMirror() < 0 || (keep_log_ && log_failure_)) {
      EndBio(std::move(mb), IOError("mirror: every leg failed; " + engine::Describe(mb.bio) +
                                    " is lost. Replace the legs and rebuild the mirror"));
    } else if (handle_errors_ && !keep_log_) {
      HoldBio(std::move(mb));
    } else {
      EndBio(std::move(mb), Status::Ok());  // pretend that the I/O succeeded
    }
  }
}

// hold_bio: park until the next suspend, which gives it back to DM core
// (noflush) or fails it.
void MirrorTarget::HoldBio(MirrorBio mb) {
  if (!suspend_) {
    holds_.push_back(std::move(mb));
    return;
  }
  Status st = device_ != nullptr && device_->noflush_suspending()
                  ? RequeueStatus()
                  : IOError("mirror: " + engine::Describe(mb.bio) +
                            " failed on a leg and the device is being suspended without noflush");
  auto holder = std::make_shared<MirrorBio>(std::move(mb));
  scheduler_.Post([this, alive = alive_, holder, st = std::move(st)]() mutable {
    if (*alive) EndBio(std::move(*holder), std::move(st));
  });
}

// The end of a bio (mirror_end_io for writes: the region's pending count).
void MirrorTarget::EndBio(MirrorBio mb, Status status) {
  if (mb.counted) {
    rh_.Dec(mb.region);
    if (rh_.pending(mb.region) == 0) direct_.Set(mb.region, DirectRoute(mb.region));
  }
  mb.bio.done(std::move(status));
}

// mirror_flush: an empty PREFLUSH to every leg, for the disk log.
void MirrorTarget::FlushLegs(std::function<void(Status)> done) {
  auto join = std::make_shared<LegJoin>(LegJoin{legs_.size(), 0, Status::Ok()});
  for (int i = 0; i < static_cast<int>(legs_.size()); ++i) {
    legs_[i].dev->Submit(Bio{
        Bio::Op::kFlush, 0, 0, 0, nullptr, [this, alive = alive_, join, i, done](Status st) {
          if (!st.ok()) join->error_mask |= uint64_t{1} << i;
          if (--join->left > 0 || !*alive) return;
          for (int j = 0; j < static_cast<int>(legs_.size()); ++j) {
            if ((join->error_mask >> j) & 1) FailMirror(j, kFlushError);
          }
          done(join->error_mask == 0 ? Status::Ok() : IOError("mirror: flushing the legs failed"));
        }});
  }
}

// --- Failures. ---

void MirrorTarget::FailMirror(int leg, ErrorType type) {
  direct_.Close();  // the routes assumed healthy legs
  leg_failure_ = true;
  read_legs_stamp_ = NextChangeStamp();
  Leg& l = legs_[leg];
  ++l.error_count;
  if ((l.error_type >> type) & 1) return;
  l.error_type |= 1u << type;
  if (trace_) {
    static constexpr const char* kNames[] = {"write", "flush", "sync", "read"};
    trace_->Emit("mirror-leg-error",
                 {{"dev", device_ ? device_->name() : ""}, {"leg", leg}, {"error", kNames[type]}});
  }
  if (!handle_errors_) return;
  // A failed default leg is replaced only if the others hold the same data.
  if (leg == default_leg_ && (in_sync_ || keep_log_)) {
    const int valid = GetValidMirror();
    if (valid >= 0) default_leg_ = valid;
  }
  if (device_ != nullptr) device_->RaiseEvent();
}

void MirrorTarget::ResetFlags() {
  leg_failure_ = false;
  read_legs_stamp_ = NextChangeStamp();
  for (Leg& l : legs_) {
    l.error_count = 0;
    l.error_type = 0;
  }
}

}  // namespace lvlab::dm
