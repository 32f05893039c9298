#include "sim/lvm/pvmove_layout.h"

#include <algorithm>
#include <set>

#include "sim/lvm/activation.h"
#include "sim/lvm/snapshot_layout.h"

namespace lvlab::lvm {
namespace {

bool InRanges(const std::vector<PeRange>& ranges, uint64_t pe, uint64_t* end) {
  if (ranges.empty()) return true;
  for (const PeRange& r : ranges) {
    const uint64_t r_end = r.count ? r.start + r.count : UINT64_MAX;
    if (pe >= r.start && pe < r_end) {
      *end = std::min(*end, r_end);
      return true;
    }
  }
  return false;
}

// The PE sub-ranges of [start, start + len) inside `ranges`, in order.
std::vector<std::pair<uint64_t, uint64_t>> Overlaps(const std::vector<PeRange>& ranges,
                                                    uint64_t start, uint64_t len) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  uint64_t pe = start;
  while (pe < start + len) {
    uint64_t end = start + len;
    if (InRanges(ranges, pe, &end)) {
      out.push_back({pe, end});
      pe = end;
    } else {
      // Skip to the next range start inside this area.
      uint64_t next = start + len;
      for (const PeRange& r : ranges) {
        if (r.start > pe && r.start < next) next = r.start;
      }
      pe = next;
    }
  }
  return out;
}

// LVM's _sub_lv_of: whether `lv` lies below the LV named `top`, walking up
// through the one segment that uses each sub-LV (as an area or a mirror
// log); an LV used by no segment or by several is no sub-LV.
bool SubLvOf(const VolumeGroup& vg, const std::string& lv, const std::string& top, int depth = 0) {
  const LogicalVolume* user = nullptr;
  int uses = 0;
  for (const LogicalVolume& l : vg.lvs) {
    for (const Segment& seg : l.segments) {
      bool uses_it = seg.mirror_log == lv;
      for (const Area& ar : seg.areas)
        uses_it = uses_it || (ar.kind == Area::Kind::kLv && ar.name == lv);
      if (uses_it) {
        ++uses;
        user = &l;
      }
    }
  }
  if (uses != 1) return false;
  if (user->name == top) return true;
  return depth < 16 && SubLvOf(vg, user->name, top, depth + 1);
}

// Whether a move with -n `filter` (empty: none) takes `lv`: the named LV and
// its sub-LVs (_set_up_pvmove_lv's second pass), never a pvmove LV.
bool Movable(const VolumeGroup& vg, const LogicalVolume& lv, const std::string& filter) {
  if (lv.name.rfind("pvmove", 0) == 0) return false;
  if (filter.empty()) return true;
  return lv.name == filter || SubLvOf(vg, lv.name, filter);
}

std::string FreeName(const VolumeGroup& vg) {
  for (int i = 0;; ++i) {
    const std::string n = "pvmove" + std::to_string(i);
    if (!vg.FindLv(n)) return n;
  }
}

// LVM's top_level_lv_name: the name with its first raid or mirror sub-LV
// suffix cut off ("r0_rimage_1" -> "r0"). As in LVM, "_mlog" alone is not
// cut ("_mlog_" is the suffix it looks for), so "m0_mlog" stays itself.
std::string TopLevelLvName(const std::string& name) {
  size_t cut = std::string::npos;
  for (const char* suffix : {"_rimage_", "_rmeta_", "_mimage_", "_mlog_"}) {
    cut = std::min(cut, name.find(suffix));
  }
  return cut == std::string::npos ? name : name.substr(0, cut);
}

// The PV keys under `lv`, its sub-LVs (images, a mirror's log, rmeta, a
// pvmove LV below them) included: get_pv_list_for_lv with for_each_sub_lv.
void PvsOfLv(const VolumeGroup& vg, const std::string& lv, std::set<std::string>* out,
             int depth = 0) {
  const LogicalVolume* l = vg.FindLv(lv);
  if (!l || depth > 16) return;
  for (const Segment& seg : l->segments) {
    for (const Area& ar : seg.areas) {
      if (ar.kind == Area::Kind::kPv) out->insert(ar.name);
      if (ar.kind == Area::Kind::kLv) PvsOfLv(vg, ar.name, out, depth + 1);
    }
    if (!seg.mirror_log.empty()) PvsOfLv(vg, seg.mirror_log, out, depth + 1);
  }
}

// The PVs a move must not allocate on, as the first pass of LVM's
// _set_up_pvmove_lv: every raid or mirror LV (pvmove LVs too, which are
// mirrors) on the source, or with -n only the top-level LV of the named one,
// keeps its redundancy, so none of the PVs it uses is a destination. With
// -n naming a raid sub-LV, the PVs of its sibling (rimage_N for rmeta_N and
// the reverse) stay allowed (_remove_sibling_pvs_from_trim_list), so that a
// data/metadata pair may be collocated. --alloc anywhere trims nothing
// (_trim_allocatable_pvs).
std::set<std::string> TrimList(const VolumeGroup& vg, const PvmoveLayoutArgs& a) {
  std::set<std::string> trim;
  if (a.alloc == "anywhere") return trim;
  const std::string top = a.lv_filter.empty() ? "" : TopLevelLvName(a.lv_filter);
  for (const LogicalVolume& lv : vg.lvs) {
    if (!top.empty() && lv.name != top) continue;
    if (lv.segments.empty()) continue;
    const Segment& first = lv.segments[0];
    const bool raid = first.type.rfind("raid", 0) == 0 && first.type != "raid0";
    if (!raid && first.type != "mirror") continue;
    std::set<std::string> pvs;
    PvsOfLv(vg, lv.name, &pvs);
    if (!pvs.count(a.source_key)) continue;  // lv_is_on_pvs
    if (raid && !a.lv_filter.empty() && a.lv_filter != lv.name) {
      // raid areas pair rmeta_N and rimage_N: [rmeta_0, rimage_0, ...].
      std::string sibling;
      for (size_t k = 0; k + 1 < first.areas.size(); k += 2) {
        if (first.areas[k + 1].name == a.lv_filter) sibling = first.areas[k].name;
        if (first.areas[k].name == a.lv_filter) sibling = first.areas[k + 1].name;
      }
      std::set<std::string> sibling_pvs;
      if (!sibling.empty()) PvsOfLv(vg, sibling, &sibling_pvs);
      for (const std::string& p : sibling_pvs) pvs.erase(p);
    }
    trim.insert(pvs.begin(), pvs.end());
  }
  return trim;
}

// Relayers every area of `lv` on the source inside the ranges onto `mirr`.
bool Relayer(LogicalVolume& lv, LogicalVolume& mirr, const PvmoveLayoutArgs& a) {
  // Split points first, from the original layout.
  std::vector<uint64_t> cuts;
  for (const Segment& seg : lv.segments) {
    if (seg.type != "striped") continue;
    const uint64_t n = seg.areas.size(), len = seg.AreaLength();
    for (const Area& ar : seg.areas) {
      if (ar.kind != Area::Kind::kPv || ar.name != a.source_key) continue;
      for (auto [p0, p1] : Overlaps(a.source, ar.start, len)) {
        cuts.push_back(seg.start_extent + (p0 - ar.start) * n);
        cuts.push_back(seg.start_extent + (p1 - ar.start) * n);
      }
    }
  }
  for (uint64_t le : cuts) SplitSegmentAt(lv, le);
  bool moved = false;
  for (Segment& seg : lv.segments) {
    if (seg.type != "striped") continue;
    const uint64_t len = seg.AreaLength();
    for (Area& ar : seg.areas) {
      if (ar.kind != Area::Kind::kPv || ar.name != a.source_key) continue;
      uint64_t end = ar.start + len;
      if (!InRanges(a.source, ar.start, &end) || end < ar.start + len) continue;
      Segment ms;
      ms.start_extent = mirr.extent_count();
      ms.extent_count = len;
      ms.areas = {ar};
      ar = Area{Area::Kind::kLv, mirr.name, ms.start_extent};
      mirr.segments.push_back(std::move(ms));
      moved = true;
    }
  }
  return moved;
}

// PV keys used by the other areas of the parent segment that maps
// `mirr_le` (parallel stripes must not land together).
std::vector<std::string> ParallelPvs(const VolumeGroup& vg, const std::string& mirr,
                                     uint64_t mirr_le) {
  std::vector<std::string> out;
  for (const LogicalVolume& lv : vg.lvs) {
    for (const Segment& seg : lv.segments) {
      bool ours = false;
      for (const Area& a : seg.areas) ours = ours || (a.kind == Area::Kind::kLv && a.name == mirr && a.start == mirr_le);
      if (!ours || seg.areas.size() < 2) continue;
      for (const Area& a : seg.areas) {
        if (a.kind == Area::Kind::kPv) out.push_back(a.name);
      }
    }
  }
  return out;
}

// Splits the pvmove segment at `le` and the parent segment mapping it.
void SplitMirrorAndParent(VolumeGroup& vg, LogicalVolume& mirr, uint64_t le) {
  for (LogicalVolume& lv : vg.lvs) {
    if (&lv == &mirr) continue;
    for (size_t i = 0; i < lv.segments.size(); ++i) {
      Segment& seg = lv.segments[i];
      for (const Area& a : seg.areas) {
        if (a.kind == Area::Kind::kLv && a.name == mirr.name && a.start < le &&
            le < a.start + seg.AreaLength()) {
          const uint64_t parent_le = seg.start_extent + (le - a.start) * seg.areas.size();
          SplitSegmentAt(lv, parent_le);
          // The split gave the parent's second half the area (mirr, le).
          break;
        }
      }
    }
  }
  SplitSegmentAt(mirr, le);
}

// Allocates the destination of every pvmove segment; on a shorter chunk the
// segment (and its parent) is split.
Status AllocateDestinations(VolumeGroup& vg, const std::string& mirr_name,
                            const PvmoveLayoutArgs& a, const std::set<std::string>& trim,
                            std::vector<Area>* dests) {
  for (size_t i = 0;; ++i) {
    LogicalVolume* mirr = vg.FindLv(mirr_name);
    if (i >= mirr->segments.size()) break;
    Segment& seg = mirr->segments[i];
    AllocRequest req;
    req.extents = seg.extent_count;
    req.policy = a.alloc;
    req.allowed = a.dests;
    if (a.alloc != "anywhere") req.avoid_pvs.push_back(a.source_key);
    req.avoid_pvs.insert(req.avoid_pvs.end(), trim.begin(), trim.end());
    for (const std::string& p : ParallelPvs(vg, mirr_name, seg.start_extent)) {
      if (p != a.source_key) req.avoid_pvs.push_back(p);
    }
    auto chunks = Allocate(vg, req);
    if (!chunks.ok()) {
      return Status(chunks.status().code(),
                    chunks.status().message() + "\n  Unable to allocate mirror extents for " +
                        vg.name + "/" + mirr_name + ".\n  Failed to convert pvmove LV to mirrored.");
    }
    const Chunk& first = chunks->front();
    if (first.length < seg.extent_count) {
      SplitMirrorAndParent(vg, *mirr, seg.start_extent + first.length);
      mirr = vg.FindLv(mirr_name);
    }
    Segment& s = mirr->segments[i];
    const Area dst = first.areas[0];
    dests->push_back(dst);
    // Reserve it now: the next allocation must not take it again.
    s.type = "mirror";
    s.areas.push_back(dst);
  }
  return Status::Ok();
}

}  // namespace

void SplitSegmentAt(LogicalVolume& lv, uint64_t le) {
  for (size_t i = 0; i < lv.segments.size(); ++i) {
    Segment& seg = lv.segments[i];
    if (le <= seg.start_extent || le >= seg.end_extent()) continue;
    const uint64_t n = seg.type == "mirror" ? 1 : std::max<uint64_t>(1, seg.areas.size());
    const uint64_t offset = (le - seg.start_extent) / n;
    LVLAB_CHECK((le - seg.start_extent) % n == 0) << lv.name << ": split inside a stripe row";
    Segment tail = seg;
    tail.start_extent = le;
    tail.extent_count = seg.end_extent() - le;
    for (Area& a : tail.areas) a.start += offset;
    seg.extent_count = le - seg.start_extent;
    if (seg.extents_moved) {
      // A split checkpointed segment stays checkpointed on both sides.
      const bool done = *seg.extents_moved >= seg.extent_count + tail.extent_count;
      seg.extents_moved = done ? seg.extent_count : 0;
      tail.extents_moved = done ? tail.extent_count : 0;
    }
    lv.segments.insert(lv.segments.begin() + static_cast<long>(i) + 1, std::move(tail));
    return;
  }
}

void MergeSegments(LogicalVolume& lv) {
  for (size_t i = 1; i < lv.segments.size();) {
    Segment& a = lv.segments[i - 1];
    const Segment& b = lv.segments[i];
    bool merge = a.type == b.type && a.areas.size() == b.areas.size() &&
                 a.stripe_size == b.stripe_size && (a.type == "striped" || a.type == "error");
    for (size_t k = 0; merge && k < a.areas.size(); ++k) {
      merge = a.areas[k].kind == b.areas[k].kind && a.areas[k].name == b.areas[k].name &&
              a.areas[k].start + a.AreaLength() == b.areas[k].start;
    }
    if (!merge) {
      ++i;
      continue;
    }
    a.extent_count += b.extent_count;
    lv.segments.erase(lv.segments.begin() + static_cast<long>(i));
  }
}

Result<PvmoveLayout> AddPvmoveLayer(VolumeGroup& vg, const PvmoveLayoutArgs& a) {
  PvmoveLayout out;
  out.name = FreeName(vg);
  LogicalVolume mirr;
  mirr.name = out.name;
  mirr.id = a.id;
  mirr.status = {kRead, kWrite, kPvmove, kLocked};
  mirr.allocation_policy = "contiguous";
  mirr.creation_time = a.creation_time;
  mirr.creation_host = a.creation_host;
  auto on_source = [&](const LogicalVolume& lv) {
    return std::any_of(lv.segments.begin(), lv.segments.end(), [&](const Segment& s) {
      return std::any_of(s.areas.begin(), s.areas.end(), [&](const Area& ar) {
        return ar.kind == Area::Kind::kPv && ar.name == a.source_key;
      });
    });
  };
  // As LVM's _set_up_pvmove_lv: an LV on the source with a snapshot merge
  // pending or running into it (MERGING), or the COW LV of such a snapshot
  // (lv_is_merging covers both), refuses the whole move.
  for (const LogicalVolume& lv : vg.lvs) {
    const Segment* snap = SnapshotOfCow(vg, lv.name);
    const bool merging = lv.Has(kMerging) || (snap && snap->merging);
    if (Movable(vg, lv, a.lv_filter) && on_source(lv) && merging) {
      return FailedPrecondition("Unable to pvmove when merging volume " + vg.name + "/" + lv.name +
                                " is present.");
    }
  }
  const std::set<std::string> trim = TrimList(vg, a);
  bool skipped = false;
  for (LogicalVolume& lv : vg.lvs) {
    if (!Movable(vg, lv, a.lv_filter) || !on_source(lv)) continue;
    if (lv.Has(kLocked)) {
      out.messages.push_back("Skipping locked LV " + lv.name + ".");
      skipped = true;
      continue;
    }
    if (Relayer(lv, mirr, a)) {
      lv.Set(kLocked, true);
      out.parents.push_back(lv.name);
    }
  }
  if (mirr.segments.empty()) {
    std::string msg;
    if (skipped) {
      msg = "All data on source PV skipped. It contains locked, hidden or non-top level LVs "
            "only.\n  ";
    }
    return FailedPrecondition(msg + "No data to move for " + a.source_key + ".");
  }
  const uint64_t region = MirrorRegionSize(vg.extent_size, mirr.extent_count());
  vg.lvs.push_back(mirr);
  std::vector<Area> dests;
  LVLAB_RETURN_IF_ERROR(AllocateDestinations(vg, out.name, a, trim, &dests));
  LogicalVolume* m = vg.FindLv(out.name);
  if (!a.atomic) {
    for (Segment& s : m->segments) {
      s.type = "mirror";
      s.extents_moved = 0;
      s.region_size = region;
    }
    return out;
  }
  // --atomic: the segments move into _mimage_0 (source) and _mimage_1
  // (destination, same boundaries); pvmoveN is one mirror over them.
  LogicalVolume img0, img1;
  img0.name = out.name + "_mimage_0";
  img1.name = out.name + "_mimage_1";
  img0.id = a.image_ids[0];
  img1.id = a.image_ids[1];
  for (LogicalVolume* img : {&img0, &img1}) {
    img->status = {kRead, kWrite};
    img->creation_time = a.creation_time;
    img->creation_host = a.creation_host;
  }
  for (Segment& s : m->segments) {
    Segment s0 = s, s1 = s;
    s0.type = s1.type = "striped";
    s0.areas = {s.areas[0]};
    s1.areas = {s.areas[1]};
    img0.segments.push_back(std::move(s0));
    img1.segments.push_back(std::move(s1));
  }
  Segment whole;
  whole.extent_count = m->extent_count();
  whole.type = "mirror";
  whole.extents_moved = 0;
  whole.region_size = region;
  whole.areas = {{Area::Kind::kLv, img0.name, 0}, {Area::Kind::kLv, img1.name, 0}};
  m->segments = {whole};
  vg.lvs.push_back(std::move(img0));
  vg.lvs.push_back(std::move(img1));
  return out;
}

const LogicalVolume* FindPvmoveLv(const VolumeGroup& vg, const std::string& pv_key) {
  for (const LogicalVolume& lv : vg.lvs) {
    if (lv.Has(kPvmove) && PvmoveSourceKey(vg, lv) == pv_key) return &lv;
  }
  return nullptr;
}

bool IsAtomicPvmove(const VolumeGroup& vg, const LogicalVolume& pvmove) {
  (void)vg;
  return !pvmove.segments.empty() && !pvmove.segments[0].areas.empty() &&
         pvmove.segments[0].areas[0].kind == Area::Kind::kLv;
}

std::string PvmoveSourceKey(const VolumeGroup& vg, const LogicalVolume& pvmove) {
  if (pvmove.segments.empty() || pvmove.segments[0].areas.empty()) return "";
  const Area& a = pvmove.segments[0].areas[0];
  if (a.kind == Area::Kind::kPv) return a.name;
  const LogicalVolume* img = vg.FindLv(a.name);
  if (!img || img->segments.empty() || img->segments[0].areas.empty()) return "";
  return img->segments[0].areas[0].name;
}

std::vector<std::string> PvmoveParents(const VolumeGroup& vg, const std::string& pvmove) {
  return Holders(vg, pvmove);
}

Status DropAtomicImage(VolumeGroup& vg, const std::string& name, bool abort) {
  LogicalVolume* m = vg.FindLv(name);
  LVLAB_CHECK(m && IsAtomicPvmove(vg, *m));
  const std::string keep = m->segments[0].areas[abort ? 0 : 1].name;
  const std::string drop = m->segments[0].areas[abort ? 1 : 0].name;
  LogicalVolume* kept = vg.FindLv(keep);
  m->segments = kept->segments;
  for (Segment& s : m->segments) {
    // Mirror segments with one area each, as pvmove LVs allow.
    s.type = "striped";
  }
  LogicalVolume* dropped = vg.FindLv(drop);
  const uint64_t n = dropped->extent_count();
  Segment err;
  err.extent_count = n;
  err.type = "error";
  dropped->segments = {err};
  vg.lvs.erase(std::find_if(vg.lvs.begin(), vg.lvs.end(),
                            [&](const LogicalVolume& l) { return l.name == keep; }));
  return Status::Ok();
}

Status RemovePvmoveLayer(VolumeGroup& vg, const std::string& name, bool abort) {
  LogicalVolume* m = vg.FindLv(name);
  LVLAB_CHECK(m);
  const std::vector<Segment> msegs = m->segments;
  for (LogicalVolume& lv : vg.lvs) {
    if (lv.name == name) continue;
    bool touched = false;
    for (Segment& seg : lv.segments) {
      for (Area& a : seg.areas) {
        if (a.kind != Area::Kind::kLv || a.name != name) continue;
        const auto ms = std::find_if(msegs.begin(), msegs.end(), [&](const Segment& s) {
          return a.start >= s.start_extent && a.start < s.end_extent();
        });
        LVLAB_CHECK(ms != msegs.end()) << "parent area beyond " << name;
        const bool moved = ms->type != "mirror" ||
                           (abort ? ms->extents_moved && *ms->extents_moved == ms->extent_count
                                  : true);
        const Area& stay = ms->type == "mirror" ? ms->areas[moved ? 1 : 0] : ms->areas[0];
        a = Area{Area::Kind::kPv, stay.name, stay.start + (a.start - ms->start_extent)};
        touched = true;
      }
    }
    if (touched) {
      lv.Set(kLocked, false);
      MergeSegments(lv);
    }
  }
  Segment err;
  err.extent_count = m->extent_count();
  err.type = "error";
  m->segments = {err};
  m->Set(kPvmove, false);
  m->Set(kLocked, false);
  m->Set(kVisible, true);
  return Status::Ok();
}

void DeletePvmoveLvs(VolumeGroup& vg, const std::string& name) {
  vg.lvs.erase(std::remove_if(vg.lvs.begin(), vg.lvs.end(),
                              [&](const LogicalVolume& l) {
                                return l.name == name || l.name.rfind(name + "_mimage_", 0) == 0;
                              }),
               vg.lvs.end());
}

}  // namespace lvlab::lvm
