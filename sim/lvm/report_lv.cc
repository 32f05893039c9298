// LV fields of the reports: lv_attr and friends (lib/metadata/lv.c in LVM2).

#include <cctype>
#include <set>

#include "sim/lvm/report_fields.h"

namespace lvlab::lvm {
namespace report_internal {
namespace {

bool Contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

bool AnySegment(const LogicalVolume& lv, bool (*pred)(const Segment&)) {
  return std::any_of(lv.segments.begin(), lv.segments.end(), pred);
}

// LVM's alloc_policy_char().
char AllocPolicyChar(std::string_view policy) {
  if (policy == "contiguous") return 'c';
  if (policy == "cling" || policy == "cling_by_tags") return 'l';
  if (policy == "normal") return 'n';
  if (policy == "anywhere") return 'a';
  return 'i';  // inherit
}

// True when some area of `lv`, directly or through sub-LVs, is on a missing PV.
bool Partial(const Ctx* ctx, const VolumeGroup& vg, const LogicalVolume& lv, int depth) {
  if (depth > 8) return false;
  for (const Segment& seg : lv.segments) {
    for (const Area& a : seg.areas) {
      if (a.kind == Area::Kind::kPv) {
        const PhysicalVolume* pv = vg.FindPv(a.name);
        if (pv == nullptr) return true;
        if (ctx != nullptr ? PvMissing(*ctx, vg, *pv) : pv->Has(kMissing)) return true;
      } else if (const LogicalVolume* sub = vg.FindLv(a.name)) {
        if (Partial(ctx, vg, *sub, depth + 1)) return true;
      }
    }
  }
  return false;
}

char TypeChar(const LvKind& k) {
  if (k.pvmove) return 'p';
  if (k.origin) return k.merging ? 'O' : 'o';
  if (k.raid_meta) return 'e';
  if (k.raid) return 'r';
  if (k.mirror) return 'm';
  if (k.virt) return 'v';
  if (k.mirror_image) return 'i';
  if (k.raid_image) return 'I';  // fixed below for hidden images
  if (k.mirror_log) return 'l';
  if (k.cow) return k.merging ? 'S' : 's';
  return '-';
}

char TargetChar(const LvKind& k) {
  if (k.raid || k.raid_image || k.raid_meta) return 'r';
  if (k.mirror || k.mirror_image || k.mirror_log || k.pvmove) return 'm';
  if (k.cow || k.origin) return 's';
  if (k.virt) return 'v';
  return '-';
}

std::string AttrWith(const Ctx* ctx, const VolumeGroup& vg, const LogicalVolume& lv,
                     const ReportLvState& st) {
  const LvKind k = ClassifyLv(vg, lv);
  std::string a(10, '-');
  a[0] = TypeChar(k);
  if (k.raid_image && !lv.visible()) a[0] = 'i';
  if (k.pvmove) {
    a[1] = '-';
  } else if (lv.Has(kWrite)) {
    a[1] = 'w';
  } else if (lv.Has(kRead)) {
    a[1] = 'r';
  }
  a[2] = AllocPolicyChar(lv.allocation_policy);
  if (lv.Has(kLocked) || k.pvmove) a[2] = static_cast<char>(std::toupper(a[2]));
  if (lv.Has("FIXED_MINOR")) a[3] = 'm';
  if (st.snapshot_invalid) {
    a[4] = 'I';
  } else if (st.suspended) {
    a[4] = 's';
  } else if (st.active) {
    a[4] = 'a';
  }
  if ((st.active || st.suspended) && st.open) a[5] = 'o';
  a[6] = TargetChar(k);
  if (Partial(ctx, vg, lv, 0)) a[8] = 'p';
  if (lv.Has("ACTIVATION_SKIP")) a[9] = 'k';
  return a;
}

// Field functions. Each is called only for rows with an LV.
std::string LvName(const Ctx&, const Row& r) {
  return LvVisible(*r.vg, *r.lv) ? r.lv->name : "[" + r.lv->name + "]";
}
std::string LvFullName(const Ctx&, const Row& r) { return r.vg->name + "/" + r.lv->name; }
std::string LvUuid(const Ctx&, const Row& r) { return r.lv->id; }
std::string LvAttrField(const Ctx& c, const Row& r) { return AttrWith(&c, *r.vg, *r.lv, r.state); }
std::string LvSize(const Ctx& c, const Row& r) {
  return Size(c, r.lv->extent_count() * r.vg->extent_bytes());
}
std::string SegCount(const Ctx&, const Row& r) { return std::to_string(r.lv->segments.size()); }
std::string LvTags(const Ctx&, const Row& r) { return Join(r.lv->tags, ","); }
std::string Empty(const Ctx&, const Row&) { return ""; }
std::string LvActive(const Ctx&, const Row& r) { return r.state.active ? "active" : ""; }
std::string LvSuspended(const Ctx&, const Row& r) { return r.state.suspended ? "suspended" : ""; }
std::string LvOpen(const Ctx&, const Row& r) { return r.state.open ? "open" : ""; }
std::string AllocLocked(const Ctx&, const Row& r) {
  return r.lv->Has(kLocked) ? "allocation locked" : "";
}
std::string AllocPolicy(const Ctx&, const Row& r) {
  return r.lv->allocation_policy.empty() ? "inherit" : r.lv->allocation_policy;
}

std::string DevnoPart(const ReportLvState& st, bool minor) {
  if (!st.active && !st.suspended) return "-1";
  const size_t colon = st.devno.find(':');
  if (colon == std::string::npos) return "-1";
  return minor ? st.devno.substr(colon + 1) : st.devno.substr(0, colon);
}
std::string KernelMajor(const Ctx&, const Row& r) { return DevnoPart(r.state, false); }
std::string KernelMinor(const Ctx&, const Row& r) { return DevnoPart(r.state, true); }

std::string PersistentNumber(const LogicalVolume& lv, std::string_view key) {
  if (!lv.Has("FIXED_MINOR")) return "-1";
  for (const ConfigNode& n : lv.extra) {
    if (n.key == key && !n.is_section && n.value.kind == ConfigValue::Kind::kInt) {
      return std::to_string(n.value.i);
    }
  }
  return "-1";
}
std::string LvMajor(const Ctx&, const Row& r) { return PersistentNumber(*r.lv, "major"); }
std::string LvMinor(const Ctx&, const Row& r) { return PersistentNumber(*r.lv, "minor"); }

std::string Origin(const Ctx&, const Row& r) {
  for (const LogicalVolume& other : r.vg->lvs) {
    for (const Segment& seg : other.segments) {
      if (seg.type == "snapshot" && seg.cow_store == r.lv->name) {
        const LogicalVolume* origin = r.vg->FindLv(seg.origin);
        return origin ? LvDisplayName(*origin) : seg.origin;
      }
    }
  }
  return "";
}

std::string MovePvField(const Ctx& c, const Row& r) { return MovePv(c, *r.vg, *r.lv); }

std::string MirrorLog(const Ctx&, const Row& r) {
  const LvKind k = ClassifyLv(*r.vg, *r.lv);
  if (!k.mirror || r.lv->segments.empty()) return "";
  const std::string& log = r.lv->segments.front().mirror_log;
  if (log.empty()) return "";
  const LogicalVolume* log_lv = r.vg->FindLv(log);
  return log_lv ? LvDisplayName(*log_lv) : log;
}

std::string SnapPercent(const Ctx&, const Row& r) {
  if (r.state.snapshot_invalid) return Percent(100.0);
  return r.state.snap_percent ? Percent(*r.state.snap_percent) : "";
}

std::string CopyPercent(const Ctx&, const Row& r) {
  const LvKind k = ClassifyLv(*r.vg, *r.lv);
  if (!(k.pvmove || k.mirror || k.raid) || !r.state.copy_percent) return "";
  if (!r.state.active && !r.state.suspended) return "";
  return Percent(*r.state.copy_percent);
}

std::string Layout(const Ctx&, const Row& r) {
  const LvKind k = ClassifyLv(*r.vg, *r.lv);
  if (k.pvmove || k.mirror) return "mirror";
  if (k.raid) return "raid," + r.lv->segments.front().type;
  bool linear = false, striped = false, error = false, zero = false;
  for (const Segment& seg : r.lv->segments) {
    if (seg.type == "striped") (seg.areas.size() == 1 ? linear : striped) = true;
    if (seg.type == "error") error = true;
    if (seg.type == "zero") zero = true;
  }
  std::vector<std::string> parts;
  if (linear) parts.push_back("linear");
  if (striped) parts.push_back("striped");
  if (error) parts.push_back("error");
  if (zero) parts.push_back("zero");
  return Join(parts, ",");
}

constexpr FieldType S = FieldType::kStr;
constexpr FieldType L = FieldType::kStrList;
constexpr FieldType N = FieldType::kNum;
constexpr FieldType Z = FieldType::kSize;
constexpr FieldType P = FieldType::kPercent;
constexpr Obj kLv = Obj::kLv;

constexpr FieldDef kLvFields[] = {
    {"lv_uuid", "LV UUID", kLv, S, 38, LvUuid},
    {"lv_name", "LV", kLv, S, 4, LvName},
    {"lv_full_name", "LV", kLv, S, 4, LvFullName},
    {"lv_layout", "Layout", kLv, L, 10, Layout},
    {"lv_allocation_policy", "AllocPol", kLv, S, 10, AllocPolicy},
    {"lv_allocation_locked", "AllocLock", kLv, N, 10, AllocLocked},
    {"lv_active", "Active", kLv, N, 0, LvActive},
    {"lv_major", "Maj", kLv, N, 0, LvMajor},
    {"lv_minor", "Min", kLv, N, 0, LvMinor},
    {"lv_size", "LSize", kLv, Z, 0, LvSize},
    {"seg_count", "#Seg", kLv, N, 0, SegCount},
    {"origin", "Origin", kLv, S, 0, Origin},
    {"move_pv", "Move", kLv, S, 0, MovePvField},
    {"convert_lv", "Convert", kLv, S, 0, Empty},
    {"mirror_log", "Log", kLv, S, 0, MirrorLog},
    {"pool_lv", "Pool", kLv, S, 0, Empty},
    {"lv_tags", "LV Tags", kLv, L, 0, LvTags},
    {"lv_kernel_major", "KMaj", kLv, N, 0, KernelMajor},
    {"lv_kernel_minor", "KMin", kLv, N, 0, KernelMinor},
    {"lv_suspended", "Suspended", kLv, N, 10, LvSuspended},
    {"lv_device_open", "DevOpen", kLv, N, 10, LvOpen},
    {"data_percent", "Data%", kLv, P, 6, SnapPercent},
    {"snap_percent", "Snap%", kLv, P, 6, SnapPercent},
    {"metadata_percent", "Meta%", kLv, P, 6, Empty},
    {"copy_percent", "Cpy%Sync", kLv, P, 0, CopyPercent},
    {"sync_percent", "Cpy%Sync", kLv, P, 0, CopyPercent},
    {"lv_attr", "Attr", kLv, S, 0, LvAttrField},
};

}  // namespace

LvKind ClassifyLv(const VolumeGroup& vg, const LogicalVolume& lv) {
  LvKind k;
  k.pvmove = lv.Has(kPvmove);
  k.snapshot_internal = AnySegment(lv, [](const Segment& s) { return s.type == "snapshot"; });
  k.raid = !lv.segments.empty() && lv.segments.front().type.starts_with("raid");
  k.mirror = !k.pvmove && AnySegment(lv, [](const Segment& s) { return s.type == "mirror"; });
  k.mirror_image = Contains(lv.name, "_mimage_");
  k.raid_image = Contains(lv.name, "_rimage_");
  k.raid_meta = Contains(lv.name, "_rmeta_");
  k.mirror_log = lv.name.ends_with("_mlog");
  k.virt = !lv.segments.empty() &&
           std::all_of(lv.segments.begin(), lv.segments.end(),
                       [](const Segment& s) { return s.type == "error" || s.type == "zero"; });
  for (const LogicalVolume& other : vg.lvs) {
    for (const Segment& seg : other.segments) {
      if (seg.mirror_log == lv.name) k.mirror_log = true;
      if (seg.type != "snapshot") continue;
      if (seg.origin == lv.name) k.origin = true;
      if (seg.cow_store == lv.name) k.cow = true;
      if ((seg.origin == lv.name || seg.cow_store == lv.name) && seg.merging) k.merging = true;
    }
  }
  return k;
}

bool LvVisible(const VolumeGroup& vg, const LogicalVolume& lv) {
  if (!lv.visible()) return false;
  for (const LogicalVolume& other : vg.lvs) {
    for (const Segment& seg : other.segments) {
      if (seg.type == "snapshot" && seg.cow_store == lv.name && seg.merging) return false;
    }
  }
  return true;
}

std::string LvDisplayName(const LogicalVolume& lv) {
  return lv.visible() ? lv.name : "[" + lv.name + "]";
}

std::string MovePv(const Ctx& ctx, const VolumeGroup& vg, const LogicalVolume& lv) {
  if (!lv.Has(kPvmove)) return "";
  for (const Segment& seg : lv.segments) {
    if (seg.areas.empty()) continue;
    const Area& a = seg.areas.front();
    if (a.kind == Area::Kind::kPv) return PvName(ctx, vg, a.name);
    // Atomic pvmove: area 0 is a mirror image; its first area is the source.
    const LogicalVolume* image = vg.FindLv(a.name);
    if (image == nullptr || image->segments.empty() || image->segments.front().areas.empty()) {
      return "";
    }
    const Area& src = image->segments.front().areas.front();
    return src.kind == Area::Kind::kPv ? PvName(ctx, vg, src.name) : "";
  }
  return "";
}

std::span<const FieldDef> LvFields() { return kLvFields; }

}  // namespace report_internal

std::string LvAttr(const VolumeGroup& vg, const LogicalVolume& lv, const ReportLvState& state) {
  return report_internal::AttrWith(nullptr, vg, lv, state);
}

}  // namespace lvlab::lvm
