#include "sim/lvm/pvmove_poll.h"

#include <cstdio>
#include <sstream>

#include "sim/lvm/names.h"
#include "sim/lvm/pvmove.h"
#include "sim/lvm/pvmove_layout.h"

namespace lvlab::lvm {
namespace {

std::string Percent(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", p);
  return buf;
}

// The RUNNING segment: the first mirror segment not checkpointed.
Segment* RunningSegment(LogicalVolume& lv) {
  for (Segment& s : lv.segments) {
    if (s.type == "mirror" && !(s.extents_moved && *s.extents_moved == s.extent_count)) return &s;
  }
  return nullptr;
}

// Flushes every PV of `vg` through its device (7:N) and waits: the data
// copied to a destination is durable before metadata points at it. Sent to
// the PVs, not through the (suspended) pvmove device.
Status FlushPvs(System& sys, const VolumeGroup& vg) {
  size_t pending = 0;
  Status result;
  for (const PhysicalVolume& pv : vg.pvs) {
    LabPv* lp = sys.lab().PvFor(pv);
    dm::BlockDevice* dev = lp ? sys.kernel().Lookup(dm::DevNo{7, lp->minor}) : nullptr;
    if (!dev) continue;
    ++pending;
    engine::Bio bio;
    bio.op = engine::Bio::Op::kFlush;
    bio.done = [&pending, &result](Status st) {
      if (result.ok()) result = std::move(st);
      --pending;
    };
    dev->Submit(std::move(bio));
  }
  if (!sys.scheduler().RunUntil([&] { return pending == 0; })) {
    return IOError(vg.name + ": flushing the PVs did not complete");
  }
  return result;
}

}  // namespace

std::vector<std::pair<uint64_t, uint64_t>> MirrorSyncCounts(const std::string& status) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  std::istringstream lines(status);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream f(line);
    std::string start, len, type;
    uint64_t legs = 0;
    if (!(f >> start >> len >> type) || type != "mirror" || !(f >> legs)) continue;
    std::string word;
    for (uint64_t i = 0; i < legs; ++i) f >> word;
    if (!(f >> word)) continue;
    auto slash = word.find('/');
    if (slash == std::string::npos) continue;
    out.push_back({std::stoull(word.substr(0, slash)), std::stoull(word.substr(slash + 1))});
  }
  return out;
}

std::optional<double> PvmoveProgress(System& sys, const VolumeGroup& vg, const LogicalVolume& lv) {
  if (!lv.Has(kPvmove)) return std::nullopt;
  uint64_t total = 0, moved = 0;
  std::vector<std::pair<uint64_t, uint64_t>> sync;
  if (auto st = sys.kernel().StatusLines(DmName(vg.name, lv.name)); st.ok()) {
    sync = MirrorSyncCounts(*st);
  }
  bool running_seen = false;
  for (const Segment& s : lv.segments) {
    total += s.extent_count;
    if (s.type != "mirror") {
      moved += s.extent_count;
    } else if (s.extents_moved && *s.extents_moved == s.extent_count) {
      moved += s.extent_count;
    } else if (!running_seen) {
      running_seen = true;
      if (!sync.empty() && sync[0].second) moved += s.extent_count * sync[0].first / sync[0].second;
    }
  }
  return total ? 100.0 * double(moved) / double(total) : 100.0;
}

Poller::Poller(Context& ctx, Options options) : ctx_(ctx), o_(std::move(options)) {}

void Poller::Start() {
  const uint64_t first = o_.delay_first ? std::max<uint64_t>(o_.interval_ns, 1) : 0;
  ctx_.sys.scheduler().After(first, [this] { Poll(); });
}

void Poller::Again() {
  // -i0 waits for the mirror's event; checking its state every 50 ms of
  // (virtual or real) time stands in for DM_DEVICE_WAITEVENT.
  const uint64_t wait = o_.interval_ns ? o_.interval_ns : 50'000'000;
  ctx_.sys.scheduler().After(wait, [this] { Poll(); });
}

void Poller::Finish(Status st) {
  done_ = true;
  result_ = std::move(st);
  ctx_.sys.trace().Emit("poller-done", {{"vg", o_.vg}, {"lv", o_.lv}, {"ok", result_.ok()}});
}

void Poller::Poll() {
  // Another poller is changing this VG inside a nested scheduler run: wait.
  if (!ctx_.sys.TryLockVg(o_.vg)) {
    ctx_.sys.scheduler().After(10'000'000, [this] { Poll(); });
    return;
  }
  if (o_.merge) {
    PollMerge();
  } else {
    PollLocked();
  }
  ctx_.sys.UnlockVg(o_.vg);
}

void Poller::PollLocked() {
  auto read = ctx_.lab().ReadVg(o_.vg);
  if (!read.ok()) return Finish(read.status().WithContext("ABORTING: Can't reread VG for " + o_.source));
  VolumeGroup& vg = read->vg;
  const LogicalVolume* lv = vg.FindLv(o_.lv);
  if (!lv || lv->id != o_.lvid || !lv->Has(kPvmove)) {
    ctx_.out << "  " << o_.source << ": No pvmove in progress - already finished or aborted.\n";
    return Finish(Status::Ok());
  }
  if (!ctx_.sys.IsActive(vg, o_.lv)) {
    ctx_.out << "  " << o_.source << ": Interrupted: No longer active.\n";
    return Finish(Status::Ok());
  }
  if (!read->missing.empty()) {
    return Finish(FailedPrecondition("Cannot change VG " + o_.vg + " while PVs are missing.\n" +
                                     "  See vgreduce --removemissing and vgextend --restoremissing."));
  }
  if (o_.aborting) return Finish(Complete(vg, true));
  const double overall = *PvmoveProgress(ctx_.sys, vg, *lv);
  auto status = ctx_.sys.kernel().StatusLines(DmName(o_.vg, o_.lv));
  auto sync = status.ok() ? MirrorSyncCounts(*status) : decltype(MirrorSyncCounts("")){};
  const LvmBugs& bugs = ctx_.lab().options().bugs.lvm;
  bool segment_done = sync.empty() || sync[0].first == sync[0].second;
  // Bug checkpoint-before-sync: the poller takes any progress of the
  // RUNNING segment's mirror (some regions in sync) for the whole segment
  // in sync, so it checkpoints and switches the segment's table to the
  // destination while regions are still to copy (the suspend stops the
  // recovery after the region in flight).
  if (bugs.checkpoint_before_sync && !sync.empty() && sync[0].first > 0) segment_done = true;
  if (o_.interval_ns) ctx_.out << "  " << o_.source << ": Moved: " << Percent(overall) << "\n";
  if (!segment_done) return Again();
  // The running segment is in sync: the last one finishes the move (and
  // the only one of an atomic move), any other is checkpointed.
  // Bug atomic-nosync-after-crash: an atomic move first records its copy
  // as COMPLETE (kept as a nosync mirror, activation.h) and finishes at the
  // next poll.
  if (bugs.atomic_nosync_after_crash && IsAtomicPvmove(vg, *lv)) {
    const Segment& seg = lv->segments.front();
    if (!(seg.extents_moved && *seg.extents_moved == seg.extent_count)) {
      if (Status st = Checkpoint(vg); !st.ok()) return Finish(st);
      return Again();
    }
  }
  if (overall >= 100.0) return Finish(Complete(vg, false));
  if (Status st = Checkpoint(vg); !st.ok()) {
    ctx_.err << "  ABORTING: Segment progression failed.\n";
    return Finish(st);
  }
  Again();
}

Status Poller::Checkpoint(VolumeGroup& vg) {
  LogicalVolume* lv = vg.FindLv(o_.lv);
  Segment* run = RunningSegment(*lv);
  LVLAB_CHECK(run);
  run->extents_moved = run->extent_count;
  const uint64_t le = run->start_extent;
  Status st = ctx_.sys.UpdateAndReload(vg, {o_.lv}, [&] { return FlushPvs(ctx_.sys, vg); });
  if (!st.ok()) return st;
  ctx_.sys.trace().Emit("checkpoint", {{"vg", o_.vg}, {"lv", o_.lv}, {"le", le}, {"seqno", vg.seqno}});
  ctx_.sys.Narrate("checkpoint: " + o_.lv + " segment at LE " + std::to_string(le) +
                   " moved; metadata at seqno " + std::to_string(vg.seqno));
  return Status::Ok();
}

Status Poller::Complete(VolumeGroup& vg, bool abort) {
  const std::vector<std::string> parents = PvmoveParents(vg, o_.lv);
  auto flush = [&] { return FlushPvs(ctx_.sys, vg); };
  if (IsAtomicPvmove(vg, *vg.FindLv(o_.lv))) {
    // _remove_mirror_images: the dropped image becomes an error LV (commit).
    LVLAB_RETURN_IF_ERROR(DropAtomicImage(vg, o_.lv, abort));
    LVLAB_RETURN_IF_ERROR(ctx_.sys.UpdateAndReload(vg, {o_.lv}, flush));
    ctx_.sys.trace().Emit("pvmove-image-dropped", {{"vg", o_.vg}, {"lv", o_.lv}, {"seqno", vg.seqno}});
  }
  const LvmBugs& bugs = ctx_.lab().options().bugs.lvm;
  if (abort && bugs.abort_keeps_running_segment && !IsAtomicPvmove(vg, *vg.FindLv(o_.lv))) {
    // Bug abort-keeps-running-segment: the abort judges by the kernel's
    // live table instead of the metadata, so the segment the kernel has as
    // a mirror (RUNNING, copied only in part) counts as COMPLETE and stays
    // on the destination.
    if (Segment* run = RunningSegment(*vg.FindLv(o_.lv))) run->extents_moved = run->extent_count;
  }
  // Finish commit #1: parents straight onto the PVs, pvmoveN an error LV.
  LVLAB_RETURN_IF_ERROR(RemovePvmoveLayer(vg, o_.lv, abort));
  std::vector<std::string> order = {o_.lv};
  order.insert(order.end(), parents.begin(), parents.end());
  // Bug finish-before-flush: no flush of the PVs before the commit, and
  // the finish's metadata writes (both commits) are FUA-only: the LVs point
  // at the destination while the copied data may still be in its volatile
  // cache, until something else flushes it.
  const bool unflushed = !abort && bugs.finish_before_flush;
  struct PreflushOff {
    Lab* lab;
    ~PreflushOff() {
      if (lab) lab->set_metadata_preflush(true);
    }
  } guard{unflushed ? &ctx_.lab() : nullptr};
  if (unflushed) ctx_.lab().set_metadata_preflush(false);
  LVLAB_RETURN_IF_ERROR(ctx_.sys.UpdateAndReload(
      vg, order, unflushed ? std::function<Status()>{} : std::function<Status()>(flush)));
  ctx_.sys.trace().Emit("pvmove-finish-1", {{"vg", o_.vg}, {"lv", o_.lv}, {"seqno", vg.seqno}});
  ctx_.sys.Narrate(std::string(abort ? "abort" : "finish") + " commit #1: LVs point at their PVs; " +
                   o_.lv + " is an error LV (seqno " + std::to_string(vg.seqno) + ")");
  // Deactivate the temporary LVs, then finish commit #2 removes them.
  for (const LogicalVolume& l : vg.lvs) {
    if (l.name == o_.lv || l.name.rfind(o_.lv + "_mimage_", 0) == 0) {
      if (Status st = ctx_.sys.Deactivate(vg, l.name); !st.ok()) {
        return Status(st.code(), "ABORTING: Unable to deactivate temporary volume " + o_.vg + "/" +
                                     l.name + ": " + st.message());
      }
    }
  }
  DeletePvmoveLvs(vg, o_.lv);
  LVLAB_RETURN_IF_ERROR(ctx_.lab().WriteVg(vg));
  ctx_.sys.trace().Emit(abort ? "pvmove-aborted" : "pvmove-finished",
                        {{"vg", o_.vg}, {"lv", o_.lv}, {"seqno", vg.seqno}});
  ctx_.sys.Narrate(std::string(abort ? "abort" : "finish") + " commit #2: " + o_.lv +
                   " removed (seqno " + std::to_string(vg.seqno) + ")");
  if (!abort && o_.interval_ns) ctx_.out << "  " << o_.source << ": Moved: 100.00%\n";
  return Status::Ok();
}

Poller* PollerSet::Start(Context& ctx, Poller::Options options) {
  // One poller per LV and kind: an abort runs beside the move's poller (as
  // lvmpolld keeps separate poll and abort stores), which then finds the
  // move gone. Deduplicated by LVID, not name (as lvmpolld since 2.03.40):
  // a stale poller of an aborted pvmove0 must not stand in for a new move
  // that reuses the name.
  for (auto& p : pollers_) {
    if (!p->done() && p->options().vg == options.vg && p->options().lv == options.lv &&
        p->options().lvid == options.lvid && p->options().aborting == options.aborting) {
      return p.get();
    }
  }
  pollers_.push_back(std::make_unique<Poller>(ctx, std::move(options)));
  pollers_.back()->Start();
  return pollers_.back().get();
}

bool PollerSet::AllDone() const {
  for (const auto& p : pollers_) {
    if (!p->done()) return false;
  }
  return true;
}

Status PollerSet::FirstError() const {
  for (const auto& p : pollers_) {
    if (p->done() && !p->result().ok()) return p->result();
  }
  return Status::Ok();
}

}  // namespace lvlab::lvm
