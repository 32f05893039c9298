#include "sim/lvm/show.h"

#include <algorithm>
#include <array>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sim/base/units.h"
#include "sim/lvm/report.h"
#include "sim/lvm/snapshot_layout.h"

namespace lvlab::lvm {
namespace {

constexpr size_t kBoxWidth = 64;  // interior width the cells share
constexpr int kMaxDepth = 4;      // LV-on-LV layers drawn beneath a box

using PvNameFn = std::function<std::string(const PhysicalVolume&)>;
using DevnoFn = std::function<std::string(const LogicalVolume&)>;

std::string Range(uint64_t first, uint64_t len) {
  return std::to_string(first) + "-" + std::to_string(first + (len > 0 ? len - 1 : 0));
}

std::string RTrim(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string PadTo(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string Count(uint64_t n, const char* noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

// Sorted [first, end) ranges with touching ones joined.
std::vector<std::pair<uint64_t, uint64_t>> Merge(std::vector<std::pair<uint64_t, uint64_t>> r) {
  std::sort(r.begin(), r.end());
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (const auto& x : r) {
    if (!out.empty() && x.first <= out.back().second) {
      out.back().second = std::max(out.back().second, x.second);
    } else {
      out.push_back(x);
    }
  }
  return out;
}

std::string HiddenName(const LogicalVolume& lv) {
  return lv.visible() ? lv.name : "[" + lv.name + "]";
}

class Drawer {
 public:
  Drawer(const VolumeGroup& vg, const PvNameFn& pv_name, const DevnoFn& devno)
      : vg_(vg), pv_name_(pv_name), devno_(devno) {}

  std::string AreaLabel(const Segment& seg, const Area& a) const {
    const uint64_t len = seg.AreaLength();
    if (a.kind == Area::Kind::kLv) return a.name + ":" + Range(a.start, len);
    const PhysicalVolume* pv = vg_.FindPv(a.name);
    const std::string name = pv ? PvName(*pv) : a.name;
    return name + ":" + Range(a.start, len);
  }

  std::string SegLabel(const Segment& seg) const {
    if (seg.areas.empty()) return seg.type;
    std::string out;
    for (const Area& a : seg.areas) out += (out.empty() ? "" : ",") + AreaLabel(seg, a);
    return out;
  }

  void DrawLv(const LogicalVolume& lv, std::string& out) const {
    const std::string devno = devno_ ? devno_(lv) : "";
    ReportLvState state;
    state.active = !devno.empty();
    const uint64_t extents = lv.extent_count();
    out += vg_.name + "/" + lv.name + "  " + FormatSize(extents * vg_.extent_bytes(), 'h', true) +
           "  " + Count(extents, "extent") + "  " + Count(lv.segments.size(), "segment") + "  " +
           LvAttr(vg_, lv, state) + "\n";
    if (lv.segments.empty()) return;
    DrawBox(lv, devno, out);
    if (lv.Has(kPvmove)) {
      std::vector<std::pair<uint64_t, uint64_t>> all{{0, lv.extent_count()}};
      out += "  " + lv.name + " segments:\n";
      DrawSegmentLines(lv, all, "  ", out);
    }
    DrawLayers(lv, 1, out);
  }

  void DrawPvMap(std::string& out) const {
    out += "PV map of " + vg_.name + " (extent size " + FormatSize(vg_.extent_bytes(), 'h', true) +
           "):\n";
    for (const PhysicalVolume& pv : vg_.pvs) {
      out += "  " + PvName(pv) + ": " + PvRuns(pv) + "\n";
    }
  }

 private:
  std::string PvName(const PhysicalVolume& pv) const { return pv_name_ ? pv_name_(pv) : pv.key; }

  void DrawBox(const LogicalVolume& lv, const std::string& devno, std::string& out) const {
    std::vector<std::string> labels, les;
    std::vector<size_t> widths;
    const uint64_t total = std::max<uint64_t>(lv.extent_count(), 1);
    for (const Segment& seg : lv.segments) {
      labels.push_back(SegLabel(seg));
      les.push_back("LE " + Range(seg.start_extent, seg.extent_count));
      const size_t fit = std::max(labels.back().size(), les.back().size()) + 2;
      widths.push_back(std::max<size_t>(fit, seg.extent_count * kBoxWidth / total));
    }
    std::string border = "  +", cells = "  |", under = "  ";
    for (size_t i = 0; i < widths.size(); ++i) {
      border += std::string(widths[i], '-') + "+";
      cells += " " + PadTo(labels[i], widths[i] - 1) + "|";
      under += "  " + PadTo(les[i], widths[i] - 1);
    }
    out += border + "\n" + cells + (devno.empty() ? "" : " " + devno) + "\n" + border + "\n";
    out += RTrim(under) + "\n";
  }

  // pvmove states of every segment of a PVMOVE LV, in LE order.
  static std::vector<std::string> PvmoveStates(const LogicalVolume& lv) {
    std::vector<std::string> states;
    bool running_seen = false;
    for (const Segment& seg : lv.segments) {
      const bool done = seg.extents_moved.value_or(0) >= seg.extent_count;
      if (done) {
        states.push_back("COMPLETED");
      } else {
        states.push_back(running_seen ? "DISABLED" : "RUNNING");
        running_seen = true;
      }
    }
    return states;
  }

  std::string LayerMapping(const LogicalVolume& sub, const Segment& seg) const {
    if (seg.areas.empty()) return seg.type;
    if ((sub.Has(kPvmove) || seg.type == "mirror") && seg.areas.size() >= 2) {
      std::string out = AreaLabel(seg, seg.areas[0]) + " →";
      for (size_t i = 1; i < seg.areas.size(); ++i) out += " " + AreaLabel(seg, seg.areas[i]);
      return out;
    }
    return SegLabel(seg);
  }

  // Sub-LVs that `lv`'s segments map onto, each with the LE ranges of `lv`
  // and of the sub-LV involved, in order of first use.
  struct Use {
    const LogicalVolume* sub;
    std::vector<std::pair<uint64_t, uint64_t>> parent;  // [first, end) in lv
    std::vector<std::pair<uint64_t, uint64_t>> inside;  // [first, end) in sub
  };

  std::vector<Use> SubLvUses(const LogicalVolume& lv) const {
    std::vector<Use> uses;
    for (const Segment& seg : lv.segments) {
      for (const Area& a : seg.areas) {
        const LogicalVolume* sub = a.kind == Area::Kind::kLv ? vg_.FindLv(a.name) : nullptr;
        if (sub == nullptr || sub == &lv) continue;
        auto it =
            std::find_if(uses.begin(), uses.end(), [&](const Use& u) { return u.sub == sub; });
        if (it == uses.end()) it = uses.insert(uses.end(), Use{sub, {}, {}});
        it->parent.emplace_back(seg.start_extent, seg.end_extent());
        it->inside.emplace_back(a.start, a.start + seg.AreaLength());
      }
    }
    return uses;
  }

  // One line per segment of `lv` overlapping `ranges` (LEs of `lv`): its LE
  // range, where it maps and, for a pvmove LV, the segment's state.
  void DrawSegmentLines(const LogicalVolume& lv,
                        const std::vector<std::pair<uint64_t, uint64_t>>& ranges,
                        const std::string& indent, std::string& out) const {
    const std::vector<std::string> states =
        lv.Has(kPvmove) ? PvmoveStates(lv) : std::vector<std::string>();
    std::vector<std::array<std::string, 3>> lines;
    for (size_t i = 0; i < lv.segments.size(); ++i) {
      const Segment& seg = lv.segments[i];
      const bool overlaps = std::any_of(ranges.begin(), ranges.end(), [&](const auto& r) {
        return seg.start_extent < r.second && r.first < seg.end_extent();
      });
      if (!overlaps) continue;
      lines.push_back({"LE " + Range(seg.start_extent, seg.extent_count), LayerMapping(lv, seg),
                       states.empty() ? "" : states[i]});
    }
    size_t w0 = 0, w1 = 0;
    for (const auto& l : lines) {
      w0 = std::max(w0, l[0].size());
      w1 = std::max(w1, l[1].size());
    }
    for (const auto& l : lines) {
      out += RTrim(indent + "  " + PadTo(l[0], w0) + "  " + PadTo(l[1], w1) + "  " + l[2]) + "\n";
    }
  }

  void DrawLayers(const LogicalVolume& lv, int depth, std::string& out) const {
    if (depth > kMaxDepth) return;
    const std::string indent(2 * static_cast<size_t>(depth), ' ');
    for (const Use& use : SubLvUses(lv)) {
      std::string joined;
      for (const auto& [first, end] : Merge(use.parent)) {
        joined += (joined.empty() ? "" : ", ") + Range(first, end - first);
      }
      out += indent + use.sub->name + " beneath LE " + joined + ":\n";
      DrawSegmentLines(*use.sub, use.inside, indent, out);
      DrawLayers(*use.sub, depth + 1, out);
    }
  }

  std::string PvRuns(const PhysicalVolume& pv) const {
    std::vector<std::pair<uint64_t, std::pair<uint64_t, std::string>>> used;  // start, (len, lv)
    for (const LogicalVolume& lv : vg_.lvs) {
      for (const Segment& seg : lv.segments) {
        for (const Area& a : seg.areas) {
          if (a.kind == Area::Kind::kPv && a.name == pv.key) {
            used.push_back({a.start, {seg.AreaLength(), HiddenName(lv)}});
          }
        }
      }
    }
    std::stable_sort(used.begin(), used.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    std::vector<std::string> runs;
    uint64_t pos = 0;
    std::string last_owner;
    uint64_t run_start = 0;
    for (const auto& [start, rest] : used) {
      if (start > pos) runs.push_back(Range(pos, start - pos) + " free");
      if (start == pos && !runs.empty() && rest.second == last_owner) {
        runs.back() = Range(run_start, start + rest.first - run_start) + " " + last_owner;
      } else {
        runs.push_back(Range(start, rest.first) + " " + rest.second);
        run_start = start;
        last_owner = rest.second;
      }
      pos = std::max(pos, start + rest.first);
    }
    if (pos < pv.pe_count) runs.push_back(Range(pos, pv.pe_count - pos) + " free");
    if (runs.empty()) return "no extents";
    std::string out;
    for (const std::string& r : runs) out += (out.empty() ? "" : ", ") + r;
    return out;
  }

  const VolumeGroup& vg_;
  const PvNameFn& pv_name_;
  const DevnoFn& devno_;
};

}  // namespace

std::string ShowDiagram(const VolumeGroup& vg, std::string_view lv_name, const PvNameFn& pv_name,
                        const DevnoFn& devno) {
  std::vector<const LogicalVolume*> lvs;
  for (const LogicalVolume& lv : vg.lvs) {
    // snapshotN has no extents of its own: shown only when asked for.
    const bool listed = lv.visible() && !SnapshotSegment(lv);
    if (lv_name.empty() ? listed : lv.name == lv_name) lvs.push_back(&lv);
  }
  if (!lv_name.empty() && lvs.empty()) {
    return "Logical volume \"" + vg.name + "/" + std::string(lv_name) + "\" not found\n";
  }
  std::stable_sort(lvs.begin(), lvs.end(), [](const LogicalVolume* a, const LogicalVolume* b) {
    return a->name < b->name;
  });
  const Drawer drawer(vg, pv_name, devno);
  std::string out;
  for (const LogicalVolume* lv : lvs) {
    drawer.DrawLv(*lv, out);
    out += "\n";
  }
  drawer.DrawPvMap(out);
  return out;
}

}  // namespace lvlab::lvm
