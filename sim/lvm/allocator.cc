#include "sim/lvm/allocator.h"

#include <algorithm>
#include <map>

namespace lvlab::lvm {
namespace {

struct FreeArea {
  size_t pv_index;  // position in vg.pvs: the tie-break
  uint64_t start, count;
};

// Per PV, a sorted list of used [start, end) intervals.
std::vector<std::vector<std::pair<uint64_t, uint64_t>>> UsedMap(const VolumeGroup& vg) {
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < vg.pvs.size(); ++i) index[vg.pvs[i].key] = i;
  std::vector<std::vector<std::pair<uint64_t, uint64_t>>> used(vg.pvs.size());
  for (const LogicalVolume& lv : vg.lvs) {
    for (const Segment& seg : lv.segments) {
      const uint64_t len = seg.AreaLength();
      for (const Area& a : seg.areas) {
        if (a.kind != Area::Kind::kPv) continue;
        auto it = index.find(a.name);
        if (it != index.end()) used[it->second].push_back({a.start, a.start + len});
      }
    }
  }
  for (auto& u : used) std::sort(u.begin(), u.end());
  return used;
}

std::vector<FreeArea> FreeList(const VolumeGroup& vg, const AllocRequest& req) {
  auto used = UsedMap(vg);
  std::vector<FreeArea> out;
  for (size_t i = 0; i < vg.pvs.size(); ++i) {
    const PhysicalVolume& pv = vg.pvs[i];
    if (!pv.Has(kAllocatable) || pv.Has(kMissing)) continue;
    if (std::find(req.avoid_pvs.begin(), req.avoid_pvs.end(), pv.key) != req.avoid_pvs.end()) {
      continue;
    }
    // Allowed windows on this PV.
    std::vector<std::pair<uint64_t, uint64_t>> windows;
    if (req.allowed.empty()) {
      windows.push_back({0, pv.pe_count});
    } else {
      for (const PeRange& r : req.allowed) {
        if (r.pv_key != pv.key) continue;
        uint64_t end = r.count ? std::min(pv.pe_count, r.start + r.count) : pv.pe_count;
        if (r.start < end) windows.push_back({r.start, end});
      }
    }
    for (auto [ws, we] : windows) {
      uint64_t pos = ws;
      for (auto [us, ue] : used[i]) {
        if (ue <= pos) continue;
        if (us >= we) break;
        if (us > pos) out.push_back({i, pos, us - pos});
        pos = std::max(pos, ue);
      }
      if (pos < we) out.push_back({i, pos, we - pos});
    }
  }
  // Merge touching windows (overlapping ranges named twice).
  std::sort(out.begin(), out.end(), [](const FreeArea& a, const FreeArea& b) {
    return a.pv_index != b.pv_index ? a.pv_index < b.pv_index : a.start < b.start;
  });
  std::vector<FreeArea> merged;
  for (const FreeArea& f : out) {
    if (!merged.empty() && merged.back().pv_index == f.pv_index &&
        merged.back().start + merged.back().count >= f.start) {
      uint64_t end = std::max(merged.back().start + merged.back().count, f.start + f.count);
      merged.back().count = end - merged.back().start;
    } else {
      merged.push_back(f);
    }
  }
  return merged;
}

void Take(std::vector<FreeArea>& free, size_t pv_index, uint64_t start, uint64_t count) {
  for (size_t k = 0; k < free.size(); ++k) {
    FreeArea& f = free[k];
    if (f.pv_index != pv_index || start < f.start || start + count > f.start + f.count) continue;
    const FreeArea tail{pv_index, start + count, f.start + f.count - (start + count)};
    f.count = start - f.start;
    const bool head_empty = f.count == 0;  // `f` dangles once `free` grows
    if (tail.count) free.insert(free.begin() + static_cast<long>(k) + 1, tail);
    if (head_empty) free.erase(free.begin() + static_cast<long>(k));
    return;
  }
}

// The normal policy's candidate area for each PV, ordered largest first.
std::vector<FreeArea> Candidates(const std::vector<FreeArea>& free, uint64_t need,
                                 const std::vector<size_t>& only_pvs) {
  std::map<size_t, FreeArea> best;
  for (const FreeArea& f : free) {
    if (!only_pvs.empty() &&
        std::find(only_pvs.begin(), only_pvs.end(), f.pv_index) == only_pvs.end()) {
      continue;
    }
    auto it = best.find(f.pv_index);
    if (it == best.end()) {
      best[f.pv_index] = f;
      continue;
    }
    FreeArea& b = it->second;
    const bool f_fits = f.count >= need, b_fits = b.count >= need;
    if ((f_fits && (!b_fits || f.count < b.count)) || (!f_fits && !b_fits && f.count > b.count)) {
      b = f;
    }
  }
  std::vector<FreeArea> out;
  for (auto& [i, f] : best) out.push_back(f);
  std::stable_sort(out.begin(), out.end(),
                   [](const FreeArea& a, const FreeArea& b) { return a.count > b.count; });
  return out;
}

}  // namespace

std::vector<PeRange> FreeAreas(const VolumeGroup& vg) {
  std::vector<PeRange> out;
  AllocRequest all;
  for (const FreeArea& f : FreeList(vg, all)) out.push_back({vg.pvs[f.pv_index].key, f.start, f.count});
  return out;
}

Result<std::vector<Chunk>> Allocate(const VolumeGroup& vg, const AllocRequest& req) {
  LVLAB_CHECK(req.stripes >= 1);
  std::vector<FreeArea> free = FreeList(vg, req);
  const uint32_t n = req.stripes;
  uint64_t need = req.extents / n;  // per stripe
  std::vector<Chunk> chunks;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < vg.pvs.size(); ++i) index[vg.pvs[i].key] = i;

  auto give = [&](const std::vector<FreeArea>& areas, uint64_t len) {
    Chunk c;
    c.length = len;
    for (const FreeArea& f : areas) {
      c.areas.push_back({Area::Kind::kPv, vg.pvs[f.pv_index].key, f.start});
      Take(free, f.pv_index, f.start, len);
    }
    chunks.push_back(std::move(c));
    need -= len;
  };

  const Segment* last = (req.extend && !req.extend->segments.empty())
                            ? &req.extend->segments.back() : nullptr;
  const bool last_on_pvs = last && last->areas.size() == n &&
      std::all_of(last->areas.begin(), last->areas.end(),
                  [](const Area& a) { return a.kind == Area::Kind::kPv; });
  // 1. Contiguous to the last segment.
  if (last_on_pvs && need) {
    std::vector<FreeArea> next;
    uint64_t len = need;
    for (const Area& a : last->areas) {
      const uint64_t want = a.start + last->AreaLength();
      auto it = std::find_if(free.begin(), free.end(), [&](const FreeArea& f) {
        return f.pv_index == index[a.name] && f.start == want;
      });
      if (it == free.end()) break;
      next.push_back(*it);
      len = std::min(len, it->count);
    }
    if (next.size() == n && len > 0) give(next, len);
  }
  if (req.policy == "contiguous") {
    if (need && !last_on_pvs) {
      std::vector<FreeArea> cands = Candidates(free, need, {});
      if (cands.size() >= n && std::all_of(cands.begin(), cands.begin() + n,
                                           [&](const FreeArea& f) { return f.count >= need; })) {
        give(std::vector<FreeArea>(cands.begin(), cands.begin() + n), need);
      }
    }
  } else {
    // 2. Cling to the PVs of the last segment, then 3. normal / anywhere.
    std::vector<size_t> cling;
    if (last_on_pvs) {
      for (const Area& a : last->areas) cling.push_back(index[a.name]);
    }
    for (int phase = cling.empty() ? 1 : 0; phase < 2 && need; ++phase) {
      if (phase == 0 && req.policy == "anywhere") continue;
      while (need) {
        std::vector<FreeArea> cands = Candidates(free, need, phase == 0 ? cling : std::vector<size_t>{});
        if (cands.size() < n) break;
        std::vector<FreeArea> pick(cands.begin(), cands.begin() + n);
        uint64_t len = need;
        for (const FreeArea& f : pick) len = std::min(len, f.count);
        if (len == 0) break;
        give(pick, len);
        if (req.policy == "cling" && phase == 1) break;
      }
      if (req.policy == "cling") break;
    }
  }
  if (need) {
    uint64_t avail = 0;
    for (const FreeArea& f : FreeList(vg, req)) avail += f.count;
    return NoSpace("Insufficient free space: " + std::to_string(req.extents) +
                   " extents needed, but only " + std::to_string(avail) + " available");
  }
  return chunks;
}

void AppendSegments(LogicalVolume& lv, const std::vector<Chunk>& chunks, uint64_t stripe_size) {
  for (const Chunk& c : chunks) {
    const uint64_t n = c.areas.size();
    if (!lv.segments.empty()) {
      Segment& prev = lv.segments.back();
      bool continues = prev.type == "striped" && prev.areas.size() == n;
      for (size_t i = 0; continues && i < n; ++i) {
        continues = prev.areas[i].kind == Area::Kind::kPv && prev.areas[i].name == c.areas[i].name &&
                    prev.areas[i].start + prev.AreaLength() == c.areas[i].start;
      }
      if (continues) {
        prev.extent_count += c.length * n;
        continue;
      }
    }
    Segment seg;
    seg.start_extent = lv.extent_count();
    seg.extent_count = c.length * n;
    seg.type = "striped";
    seg.stripe_size = n > 1 ? stripe_size : 0;
    seg.areas = c.areas;
    lv.segments.push_back(std::move(seg));
  }
}

}  // namespace lvlab::lvm
