#include "sim/lvm/metadata.h"

#include <iterator>
#include <map>
#include <set>
#include <string>
#include <utility>

namespace lvlab::lvm {
namespace {

// LV status strings in the order LVM writes them (lib/format_text/flags.c).
constexpr std::string_view kLvFlagOrder[] = {"READ",
                                             "WRITE",
                                             "WRITE_LOCKED",
                                             "FIXED_MINOR",
                                             "VISIBLE",
                                             "PVMOVE",
                                             "LOCKED",
                                             "NOTSYNCED",
                                             "REBUILD",
                                             "WRITEMOSTLY",
                                             "ACTIVATION_SKIP",
                                             "NOAUTOACTIVATE",
                                             "ERROR_WHEN_FULL",
                                             "CACHE_VOL"};

size_t FlagRank(std::string_view s) {
  size_t k = 0;
  for (; k < std::size(kLvFlagOrder); ++k) {
    if (kLvFlagOrder[k] == s) break;
  }
  return k;  // unknown flags sort after known ones
}

std::string Range(const std::string& name, uint64_t start, uint64_t len) {
  return name + ":" + std::to_string(start) + "-" + std::to_string(start + len - 1);
}

// One use of a range of extents, to find double use.
struct Use {
  uint64_t start;
  uint64_t end;     // exclusive
  std::string who;  // "lv1 segment 2"
};

Status CheckSegmentShape(const std::string& where, const LogicalVolume& lv, const Segment& seg) {
  if (seg.type == "striped") {
    if (seg.areas.empty()) return Corrupt(where + ": a striped segment needs at least one area");
    if (seg.extent_count % seg.areas.size() != 0) {
      return Corrupt(where + ": " + std::to_string(seg.areas.size()) + " stripes do not divide " +
                     std::to_string(seg.extent_count) + " extents");
    }
    if (seg.areas.size() > 1 && seg.stripe_size == 0) {
      return Corrupt(where + ": a segment with " + std::to_string(seg.areas.size()) +
                     " stripes needs a stripe_size");
    }
  } else if (seg.type == "mirror") {
    if (seg.areas.empty()) return Corrupt(where + ": a mirror segment needs at least one image");
    if (seg.extents_moved && *seg.extents_moved > seg.extent_count) {
      return Corrupt(where + ": extents_moved " + std::to_string(*seg.extents_moved) +
                     " exceeds the segment's " + std::to_string(seg.extent_count) + " extents");
    }
  } else if (seg.type == "raid1") {
    if (seg.areas.size() < 2 || seg.areas.size() % 2 != 0) {
      return Corrupt(where + ": a raid1 segment needs meta/image pairs");
    }
  } else if (seg.type == "snapshot") {
    if (seg.chunk_size == 0 || (seg.chunk_size & (seg.chunk_size - 1)) != 0) {
      return Corrupt(where + ": snapshot chunk_size " + std::to_string(seg.chunk_size) +
                     " is not a power of 2");
    }
    if (seg.origin.empty() || seg.cow_store.empty() || seg.origin == seg.cow_store) {
      return Corrupt(where + ": a snapshot needs an origin and a different COW LV");
    }
  } else if (!seg.areas.empty()) {
    return Corrupt(where + ": areas of a '" + seg.type +
                   "' segment are not modelled; keep them in the segment's extra keys");
  }
  // lib/metadata/metadata.c: a pvmove LV's segments are 2-way mirrors or single areas.
  if (lv.Has(kPvmove) && seg.type != "error" && !(seg.type == "mirror" && seg.areas.size() == 2) &&
      seg.areas.size() != 1) {
    return Corrupt(where + ": a PVMOVE LV's segments must be 2-way mirrors or single areas");
  }
  return Status::Ok();
}

Status CheckOverlaps(const std::string& vg, std::map<std::string, std::vector<Use>>& uses) {
  for (auto& [name, list] : uses) {
    std::stable_sort(list.begin(), list.end(),
                     [](const Use& a, const Use& b) { return a.start < b.start; });
    for (size_t k = 1; k < list.size(); ++k) {
      const Use& a = list[k - 1];
      const Use& b = list[k];
      if (b.start < a.end) {
        const uint64_t end = std::min(a.end, b.end);
        return Corrupt(vg + ": extents " + Range(name, b.start, end - b.start) +
                       " are used by both " + a.who + " and " + b.who);
      }
    }
  }
  return Status::Ok();
}

}  // namespace

uint64_t Segment::AreaLength() const {
  if (type == "striped") return areas.empty() ? 0 : extent_count / areas.size();
  return extent_count;
}

void LogicalVolume::Set(std::string_view s, bool on) {
  auto it = std::find(status.begin(), status.end(), s);
  if (!on) {
    if (it != status.end()) status.erase(it);
    return;
  }
  if (it != status.end()) return;
  const size_t rank = FlagRank(s);
  auto pos = std::find_if(status.begin(), status.end(),
                          [rank](const std::string& x) { return FlagRank(x) > rank; });
  status.insert(pos, std::string(s));
}

const PhysicalVolume* VolumeGroup::FindPv(std::string_view key) const {
  for (const PhysicalVolume& pv : pvs) {
    if (pv.key == key) return &pv;
  }
  return nullptr;
}

PhysicalVolume* VolumeGroup::FindPv(std::string_view key) {
  return const_cast<PhysicalVolume*>(std::as_const(*this).FindPv(key));
}

const PhysicalVolume* VolumeGroup::FindPvById(std::string_view pv_id) const {
  for (const PhysicalVolume& pv : pvs) {
    if (pv.id == pv_id) return &pv;
  }
  return nullptr;
}

const LogicalVolume* VolumeGroup::FindLv(std::string_view lv_name) const {
  for (const LogicalVolume& lv : lvs) {
    if (lv.name == lv_name) return &lv;
  }
  return nullptr;
}

LogicalVolume* VolumeGroup::FindLv(std::string_view lv_name) {
  return const_cast<LogicalVolume*>(std::as_const(*this).FindLv(lv_name));
}

uint64_t VolumeGroup::AllocatedExtents(const PhysicalVolume& pv) const {
  uint64_t n = 0;
  for (const LogicalVolume& lv : lvs) {
    for (const Segment& seg : lv.segments) {
      for (const Area& a : seg.areas) {
        if (a.kind == Area::Kind::kPv && a.name == pv.key) n += seg.AreaLength();
      }
    }
  }
  return n;
}

uint64_t VolumeGroup::TotalExtents() const {
  uint64_t n = 0;
  for (const PhysicalVolume& pv : pvs) n += pv.pe_count;
  return n;
}

uint64_t VolumeGroup::FreeExtents() const {
  uint64_t used = 0;
  for (const PhysicalVolume& pv : pvs) used += AllocatedExtents(pv);
  const uint64_t total = TotalExtents();
  return used >= total ? 0 : total - used;
}

std::string VolumeGroup::NextPvKey() const {
  for (uint64_t n = 0;; ++n) {
    std::string key = "pv" + std::to_string(n);
    if (!FindPv(key)) return key;
  }
}

Status ValidateVg(const VolumeGroup& vg) {
  const std::string& v = vg.name;
  if (vg.name.empty()) return Corrupt("volume group has no name");
  if (vg.extent_size == 0) return Corrupt(v + ": extent_size is 0");
  std::set<std::string> keys, ids, names;
  for (const PhysicalVolume& pv : vg.pvs) {
    if (pv.key.empty()) return Corrupt(v + ": a PV has an empty key");
    if (!keys.insert(pv.key).second) return Corrupt(v + ": PV key " + pv.key + " is used twice");
    if (!pv.id.empty() && !ids.insert(pv.id).second) {
      return Corrupt(v + ": PV id " + pv.id + " is used twice (" + pv.key + ")");
    }
  }
  for (const LogicalVolume& lv : vg.lvs) {
    if (lv.name.empty()) return Corrupt(v + ": an LV has an empty name");
    if (!names.insert(lv.name).second)
      return Corrupt(v + ": LV name " + lv.name + " is used twice");
    if (keys.count(lv.name)) {
      return Corrupt(v + "/" + lv.name + ": LV name is also a PV key; areas would be ambiguous");
    }
  }
  std::map<std::string, std::vector<Use>> pv_uses, lv_uses;
  std::set<std::string> cow_users;
  for (const LogicalVolume& lv : vg.lvs) {
    const std::string lv_where = v + "/" + lv.name;
    if (lv.segments.empty()) return Corrupt(lv_where + " has no segments");
    for (const ConfigNode& n : lv.extra) {
      // Every subsection of an LV reads back as a segment.
      if (n.is_section)
        return Corrupt(lv_where + ": extra section '" + n.key + "' would read as a segment");
    }
    uint64_t next = 0;
    for (size_t k = 0; k < lv.segments.size(); ++k) {
      const Segment& seg = lv.segments[k];
      const std::string seg_no = "segment " + std::to_string(k + 1);
      const std::string where = lv_where + " " + seg_no;
      if (seg.start_extent != next) {
        if (k == 0)
          return Corrupt(where + ": starts at extent " + std::to_string(seg.start_extent) +
                         "; the first segment must start at 0");
        return Corrupt(where + ": starts at extent " + std::to_string(seg.start_extent) +
                       " but segment " + std::to_string(k) + " ends at " + std::to_string(next) +
                       (seg.start_extent > next ? " (gap)" : " (overlap)"));
      }
      if (seg.extent_count == 0) return Corrupt(where + ": has no extents");
      next = seg.end_extent();
      LVLAB_RETURN_IF_ERROR(CheckSegmentShape(where, lv, seg));
      if (seg.type == "snapshot") {
        for (const std::string* n : {&seg.origin, &seg.cow_store}) {
          if (!vg.FindLv(*n)) {
            return Corrupt(where + ": snapshot LV " + *n + " names no LV of " + v);
          }
        }
        if (!cow_users.insert(seg.cow_store).second) {
          return Corrupt(where + ": COW LV " + seg.cow_store + " is used by two snapshots");
        }
      }
      const uint64_t len = seg.AreaLength();
      for (const Area& a : seg.areas) {
        if (seg.type == "raid1") {  // whole sub-LVs, named only
          if (a.kind != Area::Kind::kLv || !vg.FindLv(a.name)) {
            return Corrupt(where + ": raid sub-LV " + a.name + " names no LV of " + v);
          }
          continue;
        }
        const std::string area = "area " + a.name + ":" + std::to_string(a.start);
        uint64_t limit;
        if (a.kind == Area::Kind::kPv) {
          const PhysicalVolume* pv = vg.FindPv(a.name);
          if (!pv) return Corrupt(where + ": " + area + " names no PV of " + v);
          limit = pv->pe_count;
          pv_uses[a.name].push_back({a.start, a.start + len, lv.name + " " + seg_no});
        } else {
          const LogicalVolume* target = vg.FindLv(a.name);
          if (!target) return Corrupt(where + ": " + area + " names no LV of " + v);
          if (target == &lv) return Corrupt(where + ": " + area + " refers to its own LV");
          limit = target->extent_count();
          lv_uses[a.name].push_back({a.start, a.start + len, lv.name + " " + seg_no});
        }
        if (a.start + len > limit) {
          return Corrupt(where + ": area " + Range(a.name, a.start, len) + " is beyond " + a.name +
                         "'s " + std::to_string(limit) + " extents");
        }
      }
    }
  }
  LVLAB_RETURN_IF_ERROR(CheckOverlaps(v, pv_uses));
  return CheckOverlaps(v, lv_uses);
}

std::string FormatLvmId(const char raw[32]) {
  static constexpr int kGroups[] = {6, 4, 4, 4, 4, 4, 6};
  std::string out;
  int at = 0;
  for (int g : kGroups) {
    if (at) out.push_back('-');
    out.append(raw + at, static_cast<size_t>(g));
    at += g;
  }
  return out;
}

}  // namespace lvlab::lvm
