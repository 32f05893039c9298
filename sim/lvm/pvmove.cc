// The pvmove command: new moves, restarts, --abort, and resuming every
// unfinished move (tools/pvmove.c: pvmove, _pvmove_setup_single,
// _pvmove_read_single; polldaemon.c: _poll_for_all_vgs).
#include "sim/lvm/pvmove.h"

#include "sim/lvm/names.h"
#include "sim/lvm/pvmove_layout.h"
#include "sim/lvm/pvmove_poll.h"

namespace lvlab::lvm {
namespace {

// The lab name of a VG's PV key, for messages ("pv2: Moved: ...").
std::string PvName(Context& ctx, const VolumeGroup& vg, const std::string& key) {
  const PhysicalVolume* pv = vg.FindPv(key);
  LabPv* lp = pv ? ctx.lab().PvFor(*pv) : nullptr;
  return lp ? lp->name : key;
}

Poller::Options PollOptions(Context& ctx, const VolumeGroup& vg, const LogicalVolume& lv,
                            const PvmoveArgs& a) {
  Poller::Options o;
  o.vg = vg.name;
  o.lv = lv.name;
  o.lvid = lv.id;
  o.source = PvName(ctx, vg, PvmoveSourceKey(vg, lv));
  o.interval_ns = a.interval_ns;
  o.delay_first = a.delay_first_poll;
  o.aborting = a.abort;
  return o;
}

// The VG that holds lab PV `name`.
Result<std::string> VgOfPv(Context& ctx, const std::string& name) {
  LabPv* lp = ctx.lab().FindPv(name);
  if (!lp) return NotFound("Physical volume \"" + name + "\" not found; see `lvlab pvs`");
  if (!lp->state.ok()) return lp->state;
  if (lp->vg_name.empty()) {
    return InvalidArgument("Physical volume \"" + name + "\" is not in a volume group");
  }
  return lp->vg_name;
}

// pvmove's _extract_lvname: -n takes LV, VG/LV or /dev/VG/LV, and the VG
// must be the source PV's.
Result<std::string> ExtractLvName(const std::string& vg, std::string arg) {
  if (arg.find('/') == std::string::npos) return arg;
  if (arg.rfind("/dev/", 0) == 0) arg = arg.substr(5);
  while (!arg.empty() && arg.front() == '/') arg.erase(0, 1);
  if (arg.find('/') == std::string::npos) {
    return InvalidArgument("--name takes a logical volume name.");
  }
  if (arg.compare(0, vg.size(), vg) != 0 || arg.size() <= vg.size() || arg[vg.size()] != '/') {
    return InvalidArgument("Named LV and old PV must be in the same VG.");
  }
  arg = arg.substr(vg.size());
  while (!arg.empty() && arg.front() == '/') arg.erase(0, 1);
  if (arg.empty()) return InvalidArgument("Incomplete LV name supplied with --name.");
  return arg;
}

Status Restart(Context& ctx, VgRead& r, const LogicalVolume& mirr, const PvmoveArgs& a,
               const std::string& source) {
  ctx.out << "  Detected pvmove in progress for " << source << ".\n";
  if (!a.dests.empty() || !a.lv.empty()) {
    ctx.err << "  WARNING: Ignoring remaining command line arguments.\n";
  }
  if (a.abort) {
    if (!ctx.sys.IsActive(r.vg, mirr.name)) {
      ctx.out << "  " << source << ": Interrupted: No longer active.\n";
      return Status::Ok();
    }
  } else {
    // No metadata is written on restart: activate the move and its users.
    LVLAB_RETURN_IF_ERROR(ctx.sys.Activate(r.vg, mirr.name));
    for (const std::string& p : PvmoveParents(r.vg, mirr.name)) {
      LVLAB_RETURN_IF_ERROR(ctx.sys.Activate(r.vg, p));
    }
  }
  ctx.sys.pollers().Start(ctx, PollOptions(ctx, r.vg, mirr, a));
  return Status::Ok();
}

Status NewMove(Context& ctx, VgRead& r, const std::string& source_key,
               const std::vector<PeRange>& src, const PvmoveArgs& a, const std::string& source) {
  VolumeGroup vg = r.vg;
  PvmoveLayoutArgs la;
  la.source_key = source_key;
  for (const PeRange& p : src) {
    if (p.count) la.source.push_back(p);  // a bare PV means all of it
  }
  LVLAB_ASSIGN_OR_RETURN(la.dests, ParsePvArgs(ctx, vg, a.dests));
  for (const PeRange& d : la.dests) {
    if (d.pv_key == source_key && a.alloc != "anywhere") {
      return InvalidArgument("Source and destination PV " + source +
                             " are the same; use --alloc anywhere to move within one PV");
    }
  }
  LVLAB_ASSIGN_OR_RETURN(la.lv_filter, ExtractLvName(vg.name, a.lv));
  if (!la.lv_filter.empty() && !vg.FindLv(la.lv_filter)) {
    return NotFound("Logical volume " + la.lv_filter + " not found in volume group " + vg.name);
  }
  la.atomic = a.atomic;
  la.alloc = a.alloc;
  la.id = ctx.lab().NewId();
  if (a.atomic) {
    la.image_ids[0] = ctx.lab().NewId();
    la.image_ids[1] = ctx.lab().NewId();
  }
  la.creation_time = ctx.lab().options().now_seconds();
  la.creation_host = ctx.lab().options().host;
  auto layout = AddPvmoveLayer(vg, la);
  if (!layout.ok()) {
    return Status(layout.status().code(),
                  layout.status().message().find("No data to move for " + source_key) ==
                          std::string::npos
                      ? layout.status().message()
                      : "No data to move for " + source + ".");
  }
  for (const std::string& m : layout->messages) ctx.out << "  " << m << "\n";
  // The setup commit: parents now map onto the new pvmove device.
  std::vector<std::string> lvs = layout->parents;
  Status st = ctx.sys.UpdateAndReload(vg, lvs);
  if (!st.ok()) return st.WithContext("pvmove " + source);
  ctx.sys.trace().Emit("pvmove-setup", {{"vg", vg.name}, {"lv", layout->name}, {"seqno", vg.seqno}});
  ctx.sys.Narrate("setup commit: " + vg.name + "/" + layout->name + " created, seqno " +
                  std::to_string(vg.seqno));
  ctx.sys.pollers().Start(ctx, PollOptions(ctx, vg, *vg.FindLv(layout->name), a));
  return Status::Ok();
}

// pvmove [--abort] with no PV: every active pvmove LV of every VG.
Status AllMoves(Context& ctx, const PvmoveArgs& a) {
  for (const std::string& name : ctx.lab().VgNames()) {
    LVLAB_ASSIGN_OR_RETURN(VgRead r, ReadVgForReport(ctx, name));
    // Collect first: finishing removes LVs from the list (c282a6613).
    std::vector<const LogicalVolume*> moves;
    for (const LogicalVolume& lv : r.vg.lvs) {
      if (lv.Has(kPvmove)) moves.push_back(&lv);
    }
    for (const LogicalVolume* lv : moves) {
      if (!ctx.sys.IsActive(r.vg, lv->name)) {
        ctx.out << "  Skipping inactive LV " << lv->name << ". Try lvchange or vgchange.\n";
        continue;
      }
      ctx.sys.pollers().Start(ctx, PollOptions(ctx, r.vg, *lv, a));
    }
  }
  return Status::Ok();
}

}  // namespace

Status WaitForPollers(Context& ctx) {
  PollerSet& set = ctx.sys.pollers();
  if (!ctx.sys.scheduler().RunUntil([&] { return set.AllDone(); })) {
    if (!set.AllDone()) return IOError("pvmove stalled: no progress is possible (I/O cannot complete)");
  }
  return set.FirstError();
}

size_t PollActivePvmoves(Context& ctx, const std::string& vg_name, uint64_t interval_ns) {
  auto r = ctx.lab().ReadVg(vg_name);
  if (!r.ok()) return 0;
  size_t n = 0;
  PvmoveArgs a;
  a.interval_ns = interval_ns;
  for (const LogicalVolume& lv : r->vg.lvs) {
    if (lv.Has(kPvmove) && ctx.sys.IsActive(r->vg, lv.name)) {
      ctx.sys.pollers().Start(ctx, PollOptions(ctx, r->vg, lv, a));
      ++n;
    }
  }
  return n;
}

Status Pvmove(Context& ctx, const PvmoveArgs& a) {
  if (a.source.empty()) {
    LVLAB_RETURN_IF_ERROR(AllMoves(ctx, a));
    return a.wait ? WaitForPollers(ctx) : Status::Ok();
  }
  const std::string source = a.source.substr(0, a.source.find(':'));
  LVLAB_ASSIGN_OR_RETURN(std::string vg_name, VgOfPv(ctx, source));
  LVLAB_ASSIGN_OR_RETURN(VgRead r, a.abort ? ReadVgForReport(ctx, vg_name)
                                            : ReadVgForUpdate(ctx, vg_name));
  LVLAB_ASSIGN_OR_RETURN(std::vector<PeRange> src, ParsePvArgs(ctx, r.vg, {a.source}));
  const std::string source_key = src.front().pv_key;
  if (const LogicalVolume* mirr = FindPvmoveLv(r.vg, source_key)) {
    LVLAB_RETURN_IF_ERROR(Restart(ctx, r, *mirr, a, source));
  } else if (a.abort) {
    ctx.out << "  " << source << ": No pvmove in progress - already finished or aborted.\n";
    return Status::Ok();
  } else {
    LVLAB_RETURN_IF_ERROR(NewMove(ctx, r, source_key, src, a, source));
  }
  return a.wait ? WaitForPollers(ctx) : Status::Ok();
}

}  // namespace lvlab::lvm
