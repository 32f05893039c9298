// raid raid1: write-intent bitmap, "- -" slots, resync and bitmap-based
// recovery (raid_target.h).
#include "sim/dm/raid_target.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "sim/base/change_clock.h"
#include "sim/base/le.h"
#include "sim/dm/device.h"
#include "sim/dm/kernel.h"

namespace lvlab::dm {
namespace {

using engine::Bio;
constexpr uint64_t kDaemonSleepNs = 5'000'000'000;

class RaidTarget final : public Target {
 public:
  struct Leg {
    BlockDevice* meta = nullptr;
    BlockDevice* data = nullptr;
    bool in_sync = true;
    bool full = false;     // new device: every region is recovered
    bool failed = false;   // an I/O error made MD mark it Faulty ('D')
    bool rebuild = false;  // "rebuild <idx>": recovered in full
  };

  RaidTarget(const TargetArgs& args, std::vector<std::string> params, uint64_t region, bool nosync,
             std::vector<Leg> legs)
      : kernel_(args.kernel),
        device_(args.device),
        scheduler_(*args.scheduler),
        trace_(args.trace),
        len_(args.len_sectors),
        params_(std::move(params)),
        region_(region),
        nosync_(nosync),
        legs_(std::move(legs)),
        regions_((len_ + region_ - 1) / region_),
        bits_(regions_, false),
        ondisk_(regions_, false),
        pending_(regions_, 0),
        has_meta_(std::any_of(legs_.begin(), legs_.end(), [](const Leg& l) { return l.meta; })) {}

  std::string type() const override { return "raid"; }
  uint64_t max_io_len() const override { return region_; }

  std::string TableArgs() const override {
    std::string out = "raid1 " + std::to_string(params_.size());
    for (const std::string& p : params_) out += " " + p;
    out += " " + std::to_string(legs_.size());
    for (const Leg& l : legs_) {
      out += " " + (l.meta ? l.meta->devno().ToString() : std::string("-"));
      out += " " + (l.data ? l.data->devno().ToString() : std::string("-"));
    }
    return out;
  }

  std::string StatusInfo() const override {
    std::string health;
    for (const Leg& l : legs_) {
      health += !l.data                                      ? '-'
                : l.failed                                   ? 'D'
                : (action_ == Action::kResync || !l.in_sync) ? 'a'
                                                             : 'A';
    }
    const uint64_t cur = action_ == Action::kIdle ? len_ : std::min(len_, recover_next_ * region_);
    const char* action = action_ == Action::kResync    ? "resync"
                         : action_ == Action::kRecover ? "recover"
                                                       : "idle";
    return "raid1 " + std::to_string(legs_.size()) + " " + health + " " + std::to_string(cur) +
           "/" + std::to_string(len_) + " " + action + " 0 0 -";
  }

  // Reads come from the leg ReadLeg picks: its data is the array's.
  std::optional<SectorRange> NextData(uint64_t offset, uint64_t end) override {
    const Leg* src = ReadLeg(0);
    if (!src) return Target::NextData(offset, end);
    return src->data->NextData(offset, end);
  }

  // Reads go to one leg (ReadLeg, whatever the region): through it, and a
  // change of that leg counts as a table swap.
  bool Resolve(uint64_t offset, uint64_t end, std::vector<DiskExtent>* out,
               uint64_t* newest_table) override {
    const Leg* src = ObserveReadLeg(0);
    if (src == nullptr) return false;
    *newest_table = std::max(*newest_table, read_leg_stamp_);
    return src->data->Resolve(offset, end, out, newest_table);
  }

  std::vector<DeviceArea> Areas() const override {
    std::vector<DeviceArea> out;
    for (const Leg& l : legs_) {
      if (l.meta) out.push_back({l.meta, 0, kBitmapBitsOffsetBytes / kSectorSize + 1});
      if (l.data) out.push_back({l.data, 0, len_});
    }
    return out;
  }

  Status Preresume() override {
    if (!loaded_) LVLAB_RETURN_IF_ERROR(LoadSuperblocks());
    loaded_ = true;
    return Status::Ok();
  }

  void Resume() override {
    stop_ = false;
    if (action_ != Action::kIdle && !recovering_) {
      recovering_ = true;
      scheduler_.Post([this] { RecoverNext(); });
    }
  }

  void Presuspend() override { stop_ = true; }
  void Postsuspend() override {
    scheduler_.RunUntil(
        [this] { return !recovering_ && !bm_busy_ && !daemon_posted_ && !sb_busy_; });
  }

  void Map(Bio bio, uint64_t offset) override {
    if (bio.op == Bio::Op::kFlush || bio.op == Bio::Op::kDiscard)
      return ToAllLegs(std::move(bio), offset);
    const uint64_t r = offset / region_;
    bio.sector = offset;
    if (bio.op == Bio::Op::kRead) return Read(std::move(bio), r);
    if (copying_ && r == copying_region_) {
      held_.push_back(std::move(bio));
      return;
    }
    ++pending_[r];
    if (kernel_->bugs().trackchanges_missed_write && HasEmptySlot()) {
      return Write(std::move(bio), r);  // the bug: the region is not marked
    }
    bits_[r] = true;
    if (ondisk_[r] && !bm_busy_) return Write(std::move(bio), r);
    auto shared = std::make_shared<Bio>(std::move(bio));
    WriteBitmap([this, shared, r] { Write(std::move(*shared), r); });
  }

 private:
  enum class Action { kIdle, kResync, kRecover };

  const Leg* ReadLeg(uint64_t r) const {
    (void)r;
    for (const Leg& l : legs_) {
      if (Usable(l) && l.in_sync && action_ != Action::kResync) return &l;
    }
    return Usable(legs_[0]) ? &legs_[0] : nullptr;
  }

  static bool Usable(const Leg& l) { return l.data && !l.failed; }

  // ReadLeg's answer, noting when it differs from the last one a read or
  // Resolve saw: where reads go changed then.
  const Leg* ObserveReadLeg(uint64_t r) {
    const Leg* src = ReadLeg(r);
    if (src != last_read_leg_) {
      last_read_leg_ = src;
      read_leg_stamp_ = NextChangeStamp();
    }
    return src;
  }

  // A failed read marks the leg Faulty and is retried on another leg, as
  // MD's raid1 read error path does.
  void Read(Bio bio, uint64_t r) {
    const Leg* src = ObserveReadLeg(r);
    if (!src) return CompleteLater(scheduler_, std::move(bio), IOError("raid1: no leg to read"));
    const size_t i = static_cast<size_t>(src - legs_.data());
    auto done = std::make_shared<std::function<void(Status)>>(std::move(bio.done));
    auto retry =
        std::make_shared<Bio>(Bio{bio.op, bio.sector, bio.nsectors, bio.flags, bio.data, {}});
    src->data->Submit(Bio{bio.op, bio.sector, bio.nsectors, bio.flags, bio.data,
                          [this, i, r, done, retry](Status st) {
                            if (st.ok() || st.code() == Code::kReadOnly) return (*done)(st);
                            Fail(i, "read");
                            if (!ReadLeg(r)) return (*done)(st);
                            retry->done = std::move(*done);
                            Read(std::move(*retry), r);
                          }});
  }

  // md_error: the leg is Faulty from now on; dmeventd sees 'D' in status.
  // The superblocks are rewritten to list it (MD_SB_CHANGE_DEVS), and
  // writes and flushes are acknowledged only once they do (Ack).
  void Fail(size_t i, const char* op) {
    if (legs_[i].failed) return;
    legs_[i].failed = true;
    if (trace_ && device_) {
      trace_->Emit("raid-leg-failed", {{"dev", device_->name()}, {"leg", i}, {"op", op}});
    }
    if (device_) device_->RaiseEvent();
    if (loaded_) UpdateSuperblocks();
  }

  // The legs the superblocks must list as failed: missing ("- -"), Faulty,
  // or not in sync (being recovered). dm-raid lists only the first two in
  // failed_devices and keeps a recovering device's progress in its
  // disk_recovery_offset; this model folds the third in, so that a power cut
  // during a recovery leaves the leg recovering, never in sync and read.
  uint64_t FailedMask() const {
    uint64_t mask = 0;
    for (size_t i = 0; i < legs_.size(); ++i) {
      const Leg& l = legs_[i];
      if (!Usable(l) || !l.in_sync || l.full) mask |= uint64_t{1} << i;
    }
    return mask;
  }

  // A write or flush completes once the superblocks on disk list every leg
  // that is failed now: MD holds a write that a leg failed until the
  // superblock update is written (raid1's bio_end_io_list,
  // MD_SB_CHANGE_PENDING), so that after a power cut the stale leg is never
  // taken as in sync and resynced over the one that holds the data. If no
  // superblock could be written, the write fails.
  void Ack(std::function<void(Status)> done, Status st) {
    if (!has_meta_ || FailedMask() == recorded_failed_) return done(std::move(st));
    sb_waiters_.push_back(
        [done = std::move(done), st = std::move(st)](Status sb) { done(sb.ok() ? st : sb); });
    UpdateSuperblocks();
  }

  std::vector<uint8_t> SuperblockImage(size_t i, uint64_t failed) const {
    std::vector<uint8_t> out(kSectorSize, 0);
    PutLe(out.data(), kRaidMagic, 4);
    PutLe(out.data() + 8, legs_.size(), 4);
    PutLe(out.data() + 12, i, 4);
    PutLe(out.data() + 16, events_, 8);
    PutLe(out.data() + 24, failed, 8);
    PutLe(out.data() + 48, 1, 4);  // level
    return out;
  }

  // Writes the superblocks (events + 1, FUA) of the usable legs with the
  // current failed mask; then releases the waiting acknowledgements, or
  // goes again if the mask changed meanwhile.
  void UpdateSuperblocks() {
    if (sb_busy_) return;
    sb_busy_ = true;
    ++events_;
    const uint64_t mask = FailedMask();
    std::vector<size_t> metas;
    for (size_t i = 0; i < legs_.size(); ++i) {
      if (legs_[i].meta && Usable(legs_[i])) metas.push_back(i);
    }
    auto written = std::make_shared<size_t>(0);
    auto finish = [this, mask, written](Status) {
      sb_busy_ = false;
      if (*written == 0) {
        auto waiters = std::move(sb_waiters_);
        sb_waiters_.clear();
        for (auto& w : waiters) w(IOError("raid1: no superblock could record the failed legs"));
        return;
      }
      recorded_failed_ = mask;
      if (trace_ && device_) {
        trace_->Emit("raid-superblocks", {{"dev", device_->name()}, {"failed", mask}});
      }
      if (mask != FailedMask()) return UpdateSuperblocks();
      auto waiters = std::move(sb_waiters_);
      sb_waiters_.clear();
      for (auto& w : waiters) w(Status::Ok());
    };
    if (metas.empty()) return scheduler_.Post([finish] { finish(Status::Ok()); });
    auto join = JoinCompletions(metas.size(), finish);
    for (size_t i : metas) {
      auto image = std::make_shared<std::vector<uint8_t>>(SuperblockImage(i, mask));
      legs_[i].meta->Submit(Bio{Bio::Op::kWrite, 0, 1, Bio::kFua, image->data(),
                                [this, i, image, join, written](Status st) {
                                  if (st.ok()) {
                                    ++*written;
                                  } else {
                                    Fail(i, "metadata");
                                  }
                                  join(Status::Ok());
                                }});
    }
  }

  // Sends one bio per usable leg; a leg whose part fails is failed, and the
  // bio fails only if no leg took it.
  void ToLegs(const Bio& bio, std::function<void(Status)> done) {
    std::vector<size_t> legs;
    for (size_t i = 0; i < legs_.size(); ++i) {
      if (Usable(legs_[i])) legs.push_back(i);
    }
    if (legs.empty()) return scheduler_.Post([done] { done(IOError("raid1: no leg left")); });
    struct Join {
      size_t left;
      size_t ok = 0;
      Status first_error;
    };
    auto join = std::make_shared<Join>(Join{legs.size(), 0, Status::Ok()});
    const char* op = bio.op == Bio::Op::kFlush ? "flush" : "write";
    for (size_t i : legs) {
      legs_[i].data->Submit(Bio{bio.op, bio.sector, bio.nsectors, bio.flags, bio.data,
                                [this, i, join, done, op](Status st) {
                                  if (st.ok()) {
                                    ++join->ok;
                                  } else {
                                    if (join->first_error.ok()) join->first_error = st;
                                    Fail(i, op);
                                  }
                                  if (--join->left > 0) return;
                                  done(join->ok > 0 ? Status::Ok() : join->first_error);
                                }});
    }
  }

  void ToAllLegs(Bio bio, uint64_t offset) {
    if (bio.op == Bio::Op::kDiscard) return CompleteLater(scheduler_, std::move(bio), Status::Ok());
    bio.sector = bio.op == Bio::Op::kFlush ? 0 : offset;
    ToLegs(bio, [this, done = std::move(bio.done)](Status st) { Ack(done, std::move(st)); });
  }

  void Write(Bio bio, uint64_t r) {
    auto done = std::move(bio.done);
    ToLegs(bio, [this, r, done = std::move(done)](Status st) {
      --pending_[r];
      if (pending_[r] == 0 && CanClear()) ScheduleClear();
      Ack(done, std::move(st));
    });
  }

  bool HasEmptySlot() const {
    return std::any_of(legs_.begin(), legs_.end(), [](const Leg& l) { return !l.data; });
  }
  bool Degraded() const {
    return std::any_of(legs_.begin(), legs_.end(),
                       [](const Leg& l) { return !l.data || !l.in_sync || l.failed; });
  }
  bool CanClear() const { return !Degraded() && action_ == Action::kIdle; }

  // The bitmap daemon: after daemon_sleep, regions without writes in flight
  // are cleared; the legs are flushed before the cleared bitmap is written.
  void ScheduleClear() {
    if (daemon_posted_) return;
    daemon_posted_ = true;
    scheduler_.After(kDaemonSleepNs, [this] {
      if (stop_ || !CanClear()) {
        daemon_posted_ = false;
        return;
      }
      bool any = false;
      for (uint64_t r = 0; r < regions_; ++r) {
        if (bits_[r] && pending_[r] == 0) bits_[r] = false, any = true;
      }
      if (!any) {
        daemon_posted_ = false;
        return;
      }
      Bio flush{Bio::Op::kFlush, 0, 0, 0, nullptr, [this](Status) {
                  WriteBitmap([this] { daemon_posted_ = false; });
                }};
      ToAllLegs(std::move(flush), 0);
    });
  }

  std::vector<uint8_t> BitmapImage() const {
    const uint64_t bytes = kBitmapBitsOffsetBytes + (regions_ + 7) / 8;
    std::vector<uint8_t> buf(
        (bytes + kSectorSize - 1) / kSectorSize * kSectorSize - kBitmapOffsetBytes, 0);
    PutLe(buf.data(), kBitmapMagic, 4);
    PutLe(buf.data() + 4, 4, 4);  // version
    PutLe(buf.data() + 8, events_, 8);
    PutLe(buf.data() + 16, len_, 8);
    PutLe(buf.data() + 24, region_ * kSectorSize, 4);
    for (uint64_t r = 0; r < regions_; ++r) {
      if (bits_[r]) buf[256 + r / 8] |= static_cast<uint8_t>(1u << (r % 8));
    }
    return buf;
  }

  // Writes the bitmap (FUA) to every meta device; `then` runs once the bits
  // as of this call are durable.
  void WriteBitmap(std::function<void()> then) {
    bm_waiting_.push_back(std::move(then));
    if (!bm_busy_) StartBitmapWrite();
  }

  void StartBitmapWrite() {
    if (bm_waiting_.empty()) return;
    bm_busy_ = true;
    auto waiters = std::make_shared<std::vector<std::function<void()>>>(std::move(bm_waiting_));
    bm_waiting_.clear();
    auto image = std::make_shared<std::vector<uint8_t>>(BitmapImage());
    auto snapshot = std::make_shared<std::vector<bool>>(bits_);
    std::vector<size_t> metas;
    for (size_t i = 0; i < legs_.size(); ++i) {
      if (legs_[i].meta && !legs_[i].failed) metas.push_back(i);
    }
    auto finish = [this, waiters, snapshot](Status) {
      ondisk_ = *snapshot;
      bm_busy_ = false;
      if (trace_ && device_) trace_->Emit("raid-bitmap-write", {{"dev", device_->name()}});
      for (auto& w : *waiters) w();
      if (!bm_busy_) StartBitmapWrite();
    };
    if (metas.empty()) return scheduler_.Post([finish] { finish(Status::Ok()); });
    auto join = JoinCompletions(metas.size(), finish);
    for (size_t i : metas) {
      legs_[i].meta->Submit(Bio{Bio::Op::kWrite, kBitmapOffsetBytes / kSectorSize,
                                image->size() / kSectorSize, Bio::kFua, image->data(),
                                [this, i, image, join](Status st) {
                                  if (!st.ok()) Fail(i, "metadata");
                                  join(Status::Ok());
                                }});
    }
  }

  Status Blocking(BlockDevice* dev, Bio::Op op, uint64_t sector, uint64_t n, uint8_t* data,
                  uint32_t flags) {
    std::optional<Status> r;
    dev->Submit(Bio{op, sector, n, flags, data, [&r](Status st) { r = st; }});
    scheduler_.RunUntil([&r] { return r.has_value(); });
    return r.value_or(IOError(dev->name() + ": raid metadata I/O never completed"));
  }

  // analyse_superblocks, simplified: the freshest superblock names the
  // failed slots; a device coming back is recovered from its bitmap.
  Status LoadSuperblocks() {
    std::vector<uint8_t> sb(kSectorSize);
    uint64_t freshest = 0, failed = 0;
    int fresh_leg = -1;
    std::vector<bool> has_sb(legs_.size(), false);
    // A device whose superblock cannot be read is Faulty and the array
    // starts degraded without it (dm-raid's analyse_superblocks), unless no
    // superblock can be read at all.
    Status unreadable;
    size_t readable = 0;
    std::vector<bool> bad(legs_.size(), false);
    for (size_t i = 0; i < legs_.size(); ++i) {
      if (!legs_[i].meta) continue;
      if (Status st = Blocking(legs_[i].meta, Bio::Op::kRead, 0, 1, sb.data(), 0); !st.ok()) {
        unreadable = st;
        bad[i] = true;
        continue;
      }
      ++readable;
      if (GetLe(sb.data(), 4) != kRaidMagic) continue;
      has_sb[i] = true;
      const uint64_t events = GetLe(sb.data() + 16, 8);
      if (fresh_leg < 0 || events > freshest) {
        freshest = events, failed = GetLe(sb.data() + 24, 8), fresh_leg = static_cast<int>(i);
      }
    }
    if (readable == 0 && !unreadable.ok()) return unreadable;
    for (size_t i = 0; i < legs_.size(); ++i) {
      if (bad[i]) Fail(i, "superblock");
    }
    events_ = freshest + 1;
    if (fresh_leg < 0) {  // a new array
      if (!nosync_) action_ = Action::kResync;
      if (!nosync_) std::fill(bits_.begin(), bits_.end(), true);
    } else {
      std::vector<uint8_t> bm(BitmapImage().size());
      LVLAB_RETURN_IF_ERROR(Blocking(legs_[fresh_leg].meta, Bio::Op::kRead,
                                     kBitmapOffsetBytes / kSectorSize, bm.size() / kSectorSize,
                                     bm.data(), 0));
      if (GetLe(bm.data(), 4) == kBitmapMagic) {
        for (uint64_t r = 0; r < regions_; ++r) bits_[r] = (bm[256 + r / 8] >> (r % 8)) & 1;
      }
      for (size_t i = 0; i < legs_.size(); ++i) {
        Leg& l = legs_[i];
        if (!Usable(l)) continue;
        if ((failed >> i) & 1 || (l.meta && !has_sb[i]) || l.rebuild) {
          l.in_sync = false;
          l.full = (l.meta && !has_sb[i]) || l.rebuild;
          action_ = Action::kRecover;
        }
      }
      // A device recovered in full: every region is dirty, and the
      // superblocks list it as failed until then, so that a reload before
      // the end (without "rebuild") goes on recovering it.
      if (std::any_of(legs_.begin(), legs_.end(), [](const Leg& l) { return l.full; })) {
        std::fill(bits_.begin(), bits_.end(), true);
      }
      if (action_ == Action::kIdle &&
          std::any_of(bits_.begin(), bits_.end(), [](bool b) { return b; }) && !Degraded()) {
        action_ = Action::kResync;  // a crash left dirty regions: resync them
      }
    }
    ondisk_ = bits_;
    // A leg being recovered stays listed until its recovery is done.
    const uint64_t now_failed = FailedMask();
    recorded_failed_ = now_failed;
    for (size_t i = 0; i < legs_.size(); ++i) {
      if (!legs_[i].meta || legs_[i].failed) continue;
      std::vector<uint8_t> out = SuperblockImage(i, now_failed);
      LVLAB_RETURN_IF_ERROR(Blocking(legs_[i].meta, Bio::Op::kWrite, 0, 1, out.data(), Bio::kFua));
      std::vector<uint8_t> bm = BitmapImage();
      LVLAB_RETURN_IF_ERROR(Blocking(legs_[i].meta, Bio::Op::kWrite,
                                     kBitmapOffsetBytes / kSectorSize, bm.size() / kSectorSize,
                                     bm.data(), Bio::kFua));
    }
    return Status::Ok();
  }

  // One region at a time: resync copies every dirty region (all of a new
  // array) from leg 0; recover copies the dirty regions (all for a new
  // device) to the legs not in sync.
  void RecoverNext() {
    if (stop_) {
      recovering_ = false;
      return;
    }
    while (recover_next_ < regions_ && !NeedsCopy(recover_next_)) ++recover_next_;
    if (recover_next_ >= regions_) return RecoveryDone();
    const uint64_t r = recover_next_;
    copying_ = true;
    copying_region_ = r;
    if (pending_[r] > 0) {  // writes in flight to it finish first
      return scheduler_.After(1000, [this] {
        copying_ = false;
        ReleaseHeld();  // or a suspend meanwhile would wait for them forever
        RecoverNext();
      });
    }
    const Leg* src = nullptr;
    for (const Leg& l : legs_) {
      if (Usable(l) && (action_ == Action::kResync || l.in_sync)) {
        src = &l;
        break;
      }
    }
    // Every other leg gets the region: a recovery copies a dirty region to
    // the in-sync legs too, which a power cut may have left different.
    std::vector<Copier::Dest> dests;
    std::vector<size_t> dest_legs;
    for (size_t i = 0; i < legs_.size(); ++i) {
      if (Usable(legs_[i]) && &legs_[i] != src) {
        dests.emplace_back(legs_[i].data, r * region_);
        dest_legs.push_back(i);
      }
    }
    const uint64_t n = std::min(region_, len_ - r * region_);
    if (dests.empty() || src == nullptr) {  // nothing present to copy to
      copying_ = false;
      ++recover_next_;
      return scheduler_.Post([this] { RecoverNext(); });
    }
    ++regions_copied_;
    const size_t src_leg = static_cast<size_t>(src - legs_.data());
    kernel_->copier().Copy(
        src->data, r * region_, dests, n, 0,
        [this, r, src_leg, dest_legs](Status read_err, uint64_t write_errs) {
          // A leg the copy could not read or write is Faulty (MD's
          // end_sync_read / end_sync_write call md_error).
          if (!read_err.ok()) Fail(src_leg, "read");
          for (size_t k = 0; k < dest_legs.size() && k < 64; ++k) {
            if ((write_errs >> k) & 1) Fail(dest_legs[k], "write");
          }
          copying_ = false;
          if (read_err.ok()) {  // else the region is copied again from another leg
            if (trace_ && device_) {
              trace_->Emit("raid-region-recovered", {{"dev", device_->name()}, {"region", r}});
            }
            ++recover_next_;
          }
          ReleaseHeld();
          RecoverNext();
        });
  }

  // Writes held while their region was being copied go on.
  void ReleaseHeld() {
    auto held = std::move(held_);
    held_.clear();
    for (Bio& b : held) {
      const uint64_t off = b.sector;
      Map(std::move(b), off);
    }
  }

  bool NeedsCopy(uint64_t r) const {
    if (action_ == Action::kResync) return bits_[r];
    for (const Leg& l : legs_) {
      if (l.data && !l.in_sync && l.full) return true;
    }
    return bits_[r];
  }

  // The recovered legs are flushed before the superblocks stop listing them
  // (as MD's superblock write has REQ_PREFLUSH): otherwise a power cut could
  // leave a leg taken as in sync without its copied data.
  void RecoveryDone() {
    ToLegs(Bio{Bio::Op::kFlush, 0, 0, 0, nullptr, {}}, [this](Status) {
      recovering_ = false;
      for (Leg& l : legs_) {
        if (Usable(l)) l.in_sync = true, l.full = false;
      }
      action_ = Action::kIdle;
      recover_next_ = 0;
      if (has_meta_) UpdateSuperblocks();
      if (trace_ && device_) trace_->Emit("raid-in-sync", {{"dev", device_->name()}});
      if (device_) device_->RaiseEvent();
      if (CanClear()) ScheduleClear();
    });
  }

  Kernel* const kernel_;
  Device* const device_;
  engine::Scheduler& scheduler_;
  engine::Trace* const trace_;
  const uint64_t len_;
  const std::vector<std::string> params_;
  const uint64_t region_;
  const bool nosync_;
  std::vector<Leg> legs_;
  const uint64_t regions_;
  std::vector<bool> bits_;    // dirty, in memory
  std::vector<bool> ondisk_;  // dirty, as last written
  std::vector<uint32_t> pending_;
  uint64_t events_ = 0;
  bool loaded_ = false;
  bool stop_ = false;
  Action action_ = Action::kIdle;
  uint64_t recover_next_ = 0;
  bool recovering_ = false;
  bool copying_ = false;
  uint64_t copying_region_ = 0;
  std::vector<Bio> held_;
  bool bm_busy_ = false;
  std::vector<std::function<void()>> bm_waiting_;
  bool daemon_posted_ = false;
  uint64_t regions_copied_ = 0;  // for traces and debugging
  const bool has_meta_;          // no meta device at all: no superblocks, no bitmap
  const Leg* last_read_leg_ = nullptr;           // where the last read (or Resolve) went
  uint64_t read_leg_stamp_ = NextChangeStamp();  // when that last changed
  uint64_t recorded_failed_ = 0;  // the failed mask the superblocks on disk hold
  bool sb_busy_ = false;
  std::vector<std::function<void(Status)>> sb_waiters_;  // acknowledgements held (Ack)
};

}  // namespace

Result<std::unique_ptr<Target>> NewRaidTarget(const TargetArgs& args) {
  const auto& v = args.argv;
  if (v.size() < 3) return InvalidArgument("raid: too few arguments");
  if (v[0] != "raid1") {
    return Unsupported("raid: raid type '" + v[0] + "' is not modelled; only raid1");
  }
  uint64_t nparams = 0;
  if (!ParseSectors(v[1], &nparams) || nparams == 0 || 2 + nparams >= v.size()) {
    return InvalidArgument("raid: bad #raid_params '" + v[1] + "'");
  }
  std::vector<std::string> params(v.begin() + 2, v.begin() + 2 + static_cast<long>(nparams));
  uint64_t region = 0;
  bool sync = false, nosync = false;
  std::vector<uint64_t> rebuilds;
  for (size_t i = 1; i < params.size(); ++i) {
    if (params[i] == "sync") {
      sync = true;
    } else if (params[i] == "nosync") {
      nosync = true;
    } else if (i + 1 < params.size()) {
      uint64_t value = 0;
      if (!ParseSectors(params[i + 1], &value)) {
        return InvalidArgument("raid: bad value for " + params[i]);
      }
      if (params[i] == "region_size") region = value;
      if (params[i] == "rebuild") rebuilds.push_back(value);
      ++i;
    } else {
      return InvalidArgument("raid: parameter " + params[i] + " needs a value");
    }
  }
  if (sync && nosync) return InvalidArgument("raid: sync and nosync are mutually exclusive");
  size_t at = 2 + nparams;
  uint64_t ndevs = 0;
  if (!ParseSectors(v[at], &ndevs) || ndevs == 0 || ndevs > 64 || at + 1 + 2 * ndevs != v.size()) {
    return InvalidArgument("raid: #raid_devs does not match the device pairs");
  }
  if (region == 0) {
    region = 8192;
    while (region < args.len_sectors / (1ULL << 21)) region *= 2;
  }
  if ((region & (region - 1)) != 0)
    return InvalidArgument("raid: region_size must be a power of 2");
  std::vector<RaidTarget::Leg> legs;
  for (uint64_t i = 0; i < ndevs; ++i) {
    const std::string& meta = v[at + 1 + 2 * i];
    const std::string& data = v[at + 2 + 2 * i];
    RaidTarget::Leg leg;
    if (meta != "-" && data == "-") return InvalidArgument("raid: a meta device without data");
    if (meta != "-") {
      auto m = args.GetDevice(meta);
      if (!m.ok()) return m.status().WithContext("raid");
      leg.meta = *m;
    }
    if (data != "-") {
      auto d = args.GetDevice(data);
      if (!d.ok()) return d.status().WithContext("raid");
      leg.data = *d;
    }
    legs.push_back(leg);
  }
  if (!legs[0].data) return InvalidArgument("raid: device 0 cannot be an empty slot");
  for (uint64_t k : rebuilds) {
    if (k >= legs.size() || !legs[k].data) {
      return InvalidArgument("raid: rebuild " + std::to_string(k) +
                             " is not a device of the array");
    }
    legs[k].rebuild = true;
  }
  return std::unique_ptr<Target>(
      std::make_unique<RaidTarget>(args, std::move(params), region, nosync, std::move(legs)));
}

}  // namespace lvlab::dm
