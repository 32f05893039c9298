// The mirror target: construction from a table line (mirror_ctr), status,
// suspend/resume hooks and the kmirrord worker loop. The I/O paths, recovery
// and failure handling are in mirror_io.cc.
#include "sim/dm/mirror_target.h"

#include <algorithm>
#include <utility>

#include "sim/base/check.h"
#include "sim/dm/builtin_targets.h"
#include "sim/dm/device.h"
#include "sim/dm/kernel.h"

namespace lvlab::dm {

using engine::Bio;

// The bios one kmirrord pass took from the target's lists.
struct MirrorTarget::Pass {
  std::deque<MirrorBio> reads;
  std::deque<MirrorBio> writes;
  std::deque<MirrorBio> failures;
};

MirrorTarget::MirrorTarget(const TargetArgs& args, std::unique_ptr<DirtyLog> log,
                           std::vector<Leg> legs, bool handle_errors, bool keep_log)
    : device_(args.device),
      scheduler_(*args.scheduler),
      trace_(args.trace),
      copier_(args.kernel ? &args.kernel->copier() : nullptr),
      bugs_(args.kernel ? &args.kernel->bugs() : nullptr),
      len_(args.len_sectors),
      log_(std::move(log)),
      rh_(log_.get(), RegionHash::Callbacks{[this](std::deque<MirrorBio> bios) {
                                              for (MirrorBio& mb : bios)
                                                writes_.push_back(std::move(mb));
                                              Wake();
                                            },
                                            [this] { Wake(); },
                                            [this](uint64_t region, bool copied, bool in_sync) {
                                              direct_.Set(region, DirectRoute(region));
                                              if (!trace_) return;
                                              trace_->Emit("region-recovered",
                                                           {{"dev", device_ ? device_->name() : ""},
                                                            {"region", region},
                                                            {"of", nr_regions()},
                                                            {"ok", copied},
                                                            {"in_sync", in_sync}});
                                            },
                                            [this](uint64_t region) {
                                              direct_.CloseRegion(region);
                                            }}),
      legs_(std::move(legs)),
      handle_errors_(handle_errors),
      keep_log_(keep_log),
      alive_(std::make_shared<bool>(true)) {
  if (copier_ == nullptr) {
    own_copier_ = std::make_unique<Copier>(scheduler_, trace_);
    copier_ = own_copier_.get();
  }
  log_->set_flush_legs([this](std::function<void(Status)> done) { FlushLegs(std::move(done)); });
}

MirrorTarget::~MirrorTarget() { *alive_ = false; }

void MirrorTarget::Map(Bio bio, uint64_t target_offset_sectors) {
  MirrorBio mb{std::move(bio), target_offset_sectors, target_offset_sectors / region_size()};
  if (mb.bio.op != Bio::Op::kRead) {  // writes, flushes and discards: kmirrord
    writes_.push_back(std::move(mb));
    return Wake();
  }
  if (!log_->InSync(mb.region)) {
    reads_.push_back(std::move(mb));
    return Wake();
  }
  const int leg = ChooseMirror();
  if (leg < 0) {
    Status st = IOError("mirror: no leg left to read " + engine::Describe(mb.bio));
    return CompleteLater(scheduler_, std::move(mb.bio), std::move(st));
  }
  mb.read_leg = leg;  // recorded, so that a failure can be retried
  ReadFromLeg(std::move(mb), leg);
}

std::string MirrorTarget::Health() const {
  std::string out;
  for (const Leg& l : legs_) {
    auto has = [&l](ErrorType t) { return (l.error_type >> t) & 1; };
    if (l.error_count == 0) {
      out += 'A';
    } else {
      out += has(kFlushError)   ? 'F'
             : has(kWriteError) ? 'D'
             : has(kSyncError)  ? 'S'
             : has(kReadError)  ? 'R'
                                : 'U';
    }
  }
  return out;
}

bool MirrorTarget::DirectReadsPossible() const {
  const MirrorBugs& b = bugs();
  return !b.recovery_write_one_leg && !b.clean_before_flush && !b.merge_clear_before_flush &&
         Health().find_first_not_of('A') == std::string::npos;
}

bool MirrorTarget::DirectWritesPossible() const {
  return DirectReadsPossible() && !suspend_ && log_->device() == nullptr && !log_failure_;
}

bool MirrorTarget::OpenDirectWrites() {
  if (!DirectWritesPossible()) {
    direct_.Close();
    return false;
  }
  direct_.Open(nr_regions(), [this](uint64_t region) {
    return rh_.pending(region) > 0 ? MirrorDirectRoutes::Route::kNone : DirectRoute(region);
  });
  return true;
}

MirrorDirectRoutes::Route MirrorTarget::DirectRoute(uint64_t region) const {
  switch (rh_.GetState(region)) {
    case RegionState::kClean:
    case RegionState::kDirty:
      return MirrorDirectRoutes::Route::kAllLegs;
    case RegionState::kNosync:
      return MirrorDirectRoutes::Route::kDefaultLeg;
    case RegionState::kRecovering:
      break;
  }
  return MirrorDirectRoutes::Route::kNone;
}

std::string MirrorTarget::StatusInfo() const {
  std::string out = std::to_string(legs_.size()) + " ";
  for (const Leg& l : legs_) out += l.dev->devno().ToString() + " ";
  out += std::to_string(log_->sync_count()) + "/" + std::to_string(nr_regions()) + " 1 " +
         Health() + " ";
  return out + log_->StatusInfo();
}

std::string MirrorTarget::TableArgs() const {
  std::string out = log_->TableArgs() + std::to_string(legs_.size());
  for (const Leg& l : legs_) {
    out += " " + l.dev->devno().ToString() + " " + std::to_string(l.offset);
  }
  const int features = (handle_errors_ ? 1 : 0) + (keep_log_ ? 1 : 0);
  if (features > 0) {
    out += " " + std::to_string(features);
    if (handle_errors_) out += " handle_errors";
    if (keep_log_) out += " keep_log";
  }
  return out;
}

std::optional<SectorRange> MirrorTarget::NextData(uint64_t offset, uint64_t end) {
  // Every read the target serves comes from the default leg's contents.
  const Leg& l = legs_[default_leg_];
  std::optional<SectorRange> r = l.dev->NextData(l.offset + offset, l.offset + end);
  if (!r) return std::nullopt;
  return SectorRange{r->first - l.offset, r->second - l.offset};
}

bool MirrorTarget::ChangedSince(uint64_t stamp, uint64_t offset, uint64_t end) {
  if (read_legs_stamp_ > stamp) return true;
  // With the default leg free of errors since `stamp`, every read went to
  // it (DoReads, ChooseMirror): what the other legs were written does not
  // show (a pvmove's copy onto its destination).
  if (DefaultOk()) {
    const Leg& l = legs_[default_leg_];
    return l.dev->ChangedSince(stamp, l.offset + offset, l.offset + end);
  }
  for (const Leg& l : legs_) {
    if (l.dev->ChangedSince(stamp, l.offset + offset, l.offset + end)) return true;
  }
  return false;
}

bool MirrorTarget::Resolve(uint64_t offset, uint64_t end, std::vector<DiskExtent>* out,
                           uint64_t* newest_table) {
  // Reads go to the default leg while it has no errors; a leg error or a
  // new default leg counts as a table swap.
  if (!DefaultOk()) return false;
  *newest_table = std::max(*newest_table, read_legs_stamp_);
  const Leg& l = legs_[default_leg_];
  return l.dev->Resolve(l.offset + offset, l.offset + end, out, newest_table);
}

std::vector<DeviceArea> MirrorTarget::Areas() const {
  std::vector<DeviceArea> out;
  for (const Leg& l : legs_) out.push_back({l.dev, l.offset, len_});
  return out;
}

std::vector<DevNo> MirrorTarget::Deps() const {
  std::vector<DevNo> out;
  if (log_->device() != nullptr) out.push_back(log_->device()->devno());
  for (const Leg& l : legs_) out.push_back(l.dev->devno());
  return out;
}

// --- Suspend and resume (mirror_presuspend, _postsuspend, _resume). ---

void MirrorTarget::Presuspend() {
  suspend_ = true;
  direct_.Close();
  // Held bios end now (requeued on a noflush suspend), which also lets a
  // region waiting for them to drain be recovered.
  std::deque<MirrorBio> holds = std::move(holds_);
  holds_.clear();
  for (MirrorBio& mb : holds) HoldBio(std::move(mb));
  if (recovery_started_) {  // dm_rh_stop_recovery: wait for the slot back
    rh_.StopRecovery();
    scheduler_.RunUntil(
        [this] { return rh_.recovery_slots() > 0 || rh_.RecoverySlotLeaked(); });
    if (rh_.recovery_slots() == 0 && rh_.RecoverySlotLeaked()) {
      // The kernel hangs here for good (region_hash.h); the lab says so in
      // the trace and goes on.
      if (trace_) {
        trace_->Emit("mirror-recovery-slot-leak",
                     {{"dev", device_ ? device_->name() : ""},
                      {"why", "a failed flush turned a region waiting for recovery nosync; "
                              "the kernel's mirror_presuspend would wait forever"}});
      }
      rh_.ReclaimLeakedSlot();
    }
    rh_.TakeRecoverySlot();
    recovery_started_ = false;
  }
  scheduler_.RunUntil([this] { return rh_.recovery_in_flight() == 0; });
  WaitIdle();  // flush_workqueue
}

// Not in the kernel (which leaves recovery stopped until a resume): an
// abandoned suspend restarts recovery at once.
void MirrorTarget::PresuspendUndo() {
  suspend_ = false;
  if (!recovery_started_) {
    recovery_started_ = true;
    rh_.StartRecovery();
  }
}

void MirrorTarget::Postsuspend() {
  WaitIdle();
  log_->Postsuspend();
}

void MirrorTarget::Resume() {
  suspend_ = false;
  log_->Resume();
  if (!recovery_started_) {
    recovery_started_ = true;
    rh_.StartRecovery();
  }
}

// --- kmirrord. ---

void MirrorTarget::Wake() {
  if (wake_posted_) return;
  wake_posted_ = true;
  scheduler_.Post([this, alive = alive_] {
    if (!*alive) return;
    wake_posted_ = false;
    DoMirror();
  });
}

void MirrorTarget::WaitIdle() {
  scheduler_.RunUntil([this] { return !pass_running_ && !wake_posted_; });
}

// do_mirror: one pass over the queued work. The log flushes inside it may
// wait for I/O; bios arriving meanwhile wait for the next pass.
void MirrorTarget::DoMirror() {
  if (pass_running_) {
    rerun_ = true;
    return;
  }
  pass_running_ = true;
  pass_ = std::make_unique<Pass>(Pass{std::move(reads_), std::move(writes_), std::move(failures_)});
  reads_.clear();
  writes_.clear();
  failures_.clear();
  rh_.UpdateStates(handle_errors_);
  log_->Flush([this](Status) {  // its result is ignored here, as in the kernel
    DoRecovery();
    DoReads(std::move(pass_->reads));
    DoWrites(std::move(pass_->writes), [this] {
      DoFailures(std::move(pass_->failures));
      PassDone();
    });
  });
}

void MirrorTarget::PassDone() {
  pass_.reset();
  pass_running_ = false;
  if (rerun_) {
    rerun_ = false;
    Wake();
  }
}

// --- Construction (mirror_ctr, create_dirty_log, get_mirror, parse_features). ---

namespace {

Status Refuse(const std::string& why) { return InvalidArgument("mirror: " + why); }

bool ParseU32(const std::string& text, uint32_t* out) {
  uint64_t v = 0;
  if (!ParseSectors(text, &v) || v > UINT32_MAX) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

// [<#features> <feature>...]; sets *used to the words consumed.
Status ParseFeatures(const std::vector<std::string>& argv, size_t at, bool* handle_errors,
                     bool* keep_log, size_t* used) {
  *used = 0;
  if (at >= argv.size()) return Status::Ok();
  uint32_t n = 0;
  if (!ParseU32(argv[at], &n)) return Refuse("Invalid number of features");
  *used = 1;
  if (n > argv.size() - at - 1) return Refuse("Not enough arguments to support feature count");
  for (uint32_t i = 0; i < n; ++i) {
    const std::string& f = argv[at + 1 + i];
    if (f == "handle_errors") {
      *handle_errors = true;
    } else if (f == "keep_log") {
      *keep_log = true;
    } else {
      return Refuse("Unrecognised feature requested");
    }
    ++*used;
  }
  if (!*handle_errors && *keep_log) {
    return Refuse("keep_log feature requires the handle_errors feature");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Target>> NewMirrorTarget(const TargetArgs& args) {
  const std::vector<std::string>& argv = args.argv;
  uint32_t log_argc = 0;
  if (argv.size() < 2) return Refuse("Insufficient mirror log arguments");
  if (!ParseU32(argv[1], &log_argc)) return Refuse("Invalid mirror log argument count");
  if (argv.size() < 2 + uint64_t{log_argc}) return Refuse("Insufficient mirror log arguments");
  const DirtyLogEnv env{&args, args.kernel ? &args.kernel->bugs() : nullptr};
  Result<std::unique_ptr<DirtyLog>> log = NewDirtyLog(
      argv[0], std::vector<std::string>(argv.begin() + 2, argv.begin() + 2 + log_argc), env);
  if (!log.ok()) return log.status().WithContext("mirror: Error creating mirror dirty log");
  size_t at = 2 + log_argc;
  uint32_t n = 0;
  if (at >= argv.size() || !ParseU32(argv[at], &n) || n < 2 || n > MirrorTarget::kMaxLegs) {
    return Refuse("Invalid number of mirrors");
  }
  ++at;
  if (argv.size() - at < 2 * uint64_t{n}) return Refuse("Too few mirror arguments");
  std::vector<MirrorTarget::Leg> legs;
  for (uint32_t i = 0; i < n; ++i, at += 2) {
    MirrorTarget::Leg leg;
    if (!ParseSectors(argv[at + 1], &leg.offset)) return Refuse("Invalid offset");
    Result<BlockDevice*> dev = args.GetDevice(argv[at]);
    if (!dev.ok()) return dev.status().WithContext("mirror: Device lookup failure");
    leg.dev = *dev;
    legs.push_back(leg);
  }
  bool handle_errors = false;
  bool keep_log = false;
  size_t used = 0;
  LVLAB_RETURN_IF_ERROR(ParseFeatures(argv, at, &handle_errors, &keep_log, &used));
  if (at + used != argv.size()) return Refuse("Too many mirror arguments");
  return std::unique_ptr<Target>(std::make_unique<MirrorTarget>(
      args, std::move(*log), std::move(legs), handle_errors, keep_log));
}

std::optional<MirrorSync> MirrorSyncOf(const Device& device) {
  const Table* table = device.live_table();
  if (table == nullptr) return std::nullopt;
  std::optional<MirrorSync> out;
  for (const TableEntry& e : *table) {
    const auto* m = dynamic_cast<const MirrorTarget*>(e.target.get());
    if (m == nullptr) continue;
    if (!out) out = MirrorSync{};
    out->in_sync_regions += m->in_sync_regions();
    out->nr_regions += m->nr_regions();
  }
  return out;
}

}  // namespace lvlab::dm
