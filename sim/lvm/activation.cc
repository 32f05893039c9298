#include "sim/lvm/activation.h"

#include <algorithm>
#include <set>

#include "sim/lvm/names.h"
#include "sim/lvm/pv_format.h"
#include "sim/lvm/snapshot_layout.h"

namespace lvlab::lvm {
namespace {

Result<std::string> AreaDev(const VolumeGroup& vg, const Area& a, uint64_t offset_extents,
                            const TableContext& ctx, const LogicalVolume& lv) {
  if (a.kind == Area::Kind::kLv) {
    std::string dev = ctx.lv_dev(a.name);
    if (dev.empty()) {
      return FailedPrecondition(vg.name + "/" + lv.name + " needs " + vg.name + "/" + a.name +
                                " active first");
    }
    return dev + " " + std::to_string((a.start + offset_extents) * vg.extent_size);
  }
  const PhysicalVolume* pv = vg.FindPv(a.name);
  LVLAB_CHECK(pv) << "unknown PV key " << a.name;
  std::string dev = ctx.pv_dev(a.name);
  if (dev.empty()) {
    return FailedPrecondition("Cannot activate " + vg.name + "/" + lv.name + ": PV " + pv->id +
                              " (" + a.name + ") is missing");
  }
  return dev + " " + std::to_string(pv->pe_start + (a.start + offset_extents) * vg.extent_size);
}

}  // namespace

uint64_t MirrorRegionSize(uint64_t extent_size, uint64_t extents) {
  uint64_t region = 4096;  // 2 MiB in sectors
  const uint64_t size = extent_size * extents;
  while (region > size && region > 1) region /= 2;
  return region;
}

Result<std::string> BuildTable(const VolumeGroup& vg, const LogicalVolume& lv,
                               const TableContext& ctx) {
  std::string out;
  bool running_taken = false;
  for (const Segment& seg : lv.segments) {
    const uint64_t start = seg.start_extent * vg.extent_size;
    const uint64_t len = seg.extent_count * vg.extent_size;
    std::string line = std::to_string(start) + " " + std::to_string(len) + " ";
    if (seg.type == "striped" && seg.areas.size() == 1) {
      LVLAB_ASSIGN_OR_RETURN(std::string dev, AreaDev(vg, seg.areas[0], 0, ctx, lv));
      line += "linear " + dev;
    } else if (seg.type == "striped") {
      line += "striped " + std::to_string(seg.areas.size()) + " " + std::to_string(seg.stripe_size);
      for (const Area& a : seg.areas) {
        LVLAB_ASSIGN_OR_RETURN(std::string dev, AreaDev(vg, a, 0, ctx, lv));
        line += " " + dev;
      }
    } else if (seg.type == "mirror" && !lv.Has(kPvmove)) {
      // A mirror LV (lib/mirror/mirrored.c): its images are sub-LVs; the log
      // is in core or on the mirror_log LV; handle_errors as LVM sets it.
      const std::string region = std::to_string(
          seg.region_size ? seg.region_size : MirrorRegionSize(vg.extent_size, seg.extent_count));
      std::string log = "core 1 " + region;
      if (!seg.mirror_log.empty()) {
        const std::string dev = ctx.lv_dev(seg.mirror_log);
        if (dev.empty()) {
          return FailedPrecondition(vg.name + "/" + lv.name + " needs " + vg.name + "/" +
                                    seg.mirror_log + " active first");
        }
        log = "disk 2 " + dev + " " + region;
      }
      line += "mirror " + log + " " + std::to_string(seg.areas.size());
      for (const Area& a : seg.areas) {
        LVLAB_ASSIGN_OR_RETURN(std::string dev, AreaDev(vg, a, 0, ctx, lv));
        line += " " + dev;
      }
      line += " 1 handle_errors";
    } else if (seg.type == "raid1") {
      // lvm2 raid: a VISIBLE, read-only image is split off with its
      // changes tracked: "- -" holds its slot.
      // A REBUILD image (a replacement, lvconvert --repair) is rebuilt in
      // full: "rebuild <idx>", as LVM's raid target line has it.
      const bool nosync = lv.Has("NOTSYNCED");
      const uint64_t region = seg.region_size ? seg.region_size : 1024;
      std::string rebuilds;
      uint32_t params = nosync ? 4 : 3;
      for (size_t k = 0; k + 1 < seg.areas.size(); k += 2) {
        const LogicalVolume* image = vg.FindLv(seg.areas[k + 1].name);
        if (image && image->Has("REBUILD")) {
          rebuilds += " rebuild " + std::to_string(k / 2);
          params += 2;
        }
      }
      line += "raid raid1 " + std::to_string(params) + (nosync ? " 0 nosync" : " 0") + rebuilds +
              " region_size " + std::to_string(region) + " " + std::to_string(seg.areas.size() / 2);
      for (size_t k = 0; k + 1 < seg.areas.size(); k += 2) {
        const LogicalVolume* image = vg.FindLv(seg.areas[k + 1].name);
        if (image && image->visible() && !image->Has(kWrite)) {
          line += " - -";
          continue;
        }
        for (const Area& a : {seg.areas[k], seg.areas[k + 1]}) {
          std::string dev = ctx.lv_dev(a.name);
          if (dev.empty()) {
            return FailedPrecondition(vg.name + "/" + lv.name + " needs " + vg.name + "/" +
                                      a.name + " active first");
          }
          line += " " + dev;
        }
      }
    } else if (seg.type == "error" || seg.type == "zero") {
      line += seg.type;
    } else if (seg.type == "mirror" && lv.Has(kPvmove) && seg.areas.size() == 2) {
      const bool completed = seg.extents_moved && *seg.extents_moved == seg.extent_count;
      const bool atomic = seg.areas[0].kind == Area::Kind::kLv;
      if (completed && atomic && ctx.atomic_complete_nosync) {
        // Bug atomic-nosync-after-crash: both legs taken as in sync, even
        // if writes were outstanding on one of them when the power went.
        LVLAB_ASSIGN_OR_RETURN(std::string src, AreaDev(vg, seg.areas[0], 0, ctx, lv));
        LVLAB_ASSIGN_OR_RETURN(std::string dst, AreaDev(vg, seg.areas[1], 0, ctx, lv));
        line += "mirror core 2 " +
                std::to_string(MirrorRegionSize(vg.extent_size, seg.extent_count)) +
                " nosync 2 " + src + " " + dst;
      } else if (completed || running_taken) {
        LVLAB_ASSIGN_OR_RETURN(std::string dev, AreaDev(vg, seg.areas[completed ? 1 : 0], 0, ctx, lv));
        line += "linear " + dev;
      } else {
        running_taken = true;
        LVLAB_ASSIGN_OR_RETURN(std::string src, AreaDev(vg, seg.areas[0], 0, ctx, lv));
        LVLAB_ASSIGN_OR_RETURN(std::string dst, AreaDev(vg, seg.areas[1], 0, ctx, lv));
        line += "mirror core 1 " +
                std::to_string(MirrorRegionSize(vg.extent_size, seg.extent_count)) + " 2 " + src +
                " " + dst;
      }
    } else {
      return Unsupported(vg.name + "/" + lv.name + ": segment type \"" + seg.type +
                         "\" cannot be activated in this version of lvlab");
    }
    out += line + "\n";
  }
  return out;
}

std::pair<std::string, std::string> SplitNode(const std::string& node) {
  const size_t colon = node.find(':');
  if (colon == std::string::npos) return {node, ""};
  return {node.substr(0, colon), node.substr(colon + 1)};
}

std::vector<std::string> ActivationOrder(const VolumeGroup& vg, const std::string& name) {
  std::vector<std::string> order;
  std::set<std::string> seen;
  auto push = [&order](const std::string& n) {
    if (std::find(order.begin(), order.end(), n) == order.end()) order.push_back(n);
  };
  std::function<void(const std::string&)> visit = [&](const std::string& n) {
    if (!seen.insert(n).second) return;
    const auto [lv_name, layer] = SplitNode(n);
    const LogicalVolume* lv = vg.FindLv(lv_name);
    if (!lv) return;
    auto area_deps = [&] {
      for (const Segment& seg : lv->segments) {
        if (!seg.mirror_log.empty()) visit(seg.mirror_log);
        for (const Area& a : seg.areas) {
          if (a.kind == Area::Kind::kLv) visit(a.name);
        }
      }
    };
    if (!layer.empty()) {
      area_deps();
      push(n);
      return;
    }
    if (SnapshotSegment(*lv)) return;  // snapshotN: no device of its own
    if (const Segment* s = SnapshotOfCow(vg, lv_name)) {
      visit(s->origin);  // the origin's tree holds its snapshots
      return;
    }
    const std::vector<const Segment*> snaps = SnapshotsOf(vg, lv_name);
    if (!snaps.empty()) {
      visit(lv_name + ":real");
      for (const Segment* s : snaps) {
        visit(s->cow_store + ":cow");
        if (!s->merging) push(s->cow_store);
      }
      push(n);
      return;
    }
    area_deps();
    push(n);
  };
  visit(name);
  return order;
}

std::vector<std::string> Holders(const VolumeGroup& vg, const std::string& name) {
  const auto [lv_name, layer] = SplitNode(name);
  std::vector<std::string> out;
  if (layer == "real") {
    // A merging snapshot's device may still exist (a deferred merge).
    out.push_back(lv_name);
    for (const Segment* s : SnapshotsOf(vg, lv_name)) out.push_back(s->cow_store);
    return out;
  }
  if (layer == "cow") {
    out.push_back(lv_name);
    const Segment* s = SnapshotOfCow(vg, lv_name);
    if (s && s->merging) out.push_back(s->origin);
    return out;
  }
  for (const LogicalVolume& lv : vg.lvs) {
    bool uses = std::any_of(lv.segments.begin(), lv.segments.end(), [&](const Segment& s) {
      return std::any_of(s.areas.begin(), s.areas.end(), [&](const Area& a) {
        return a.kind == Area::Kind::kLv && a.name == name;
      });
    });
    if (uses) out.push_back(lv.name);
  }
  return out;
}

Result<std::string> BuildNodeTable(const VolumeGroup& vg, const std::string& node,
                                   const TableContext& ctx) {
  const auto [lv_name, layer] = SplitNode(node);
  const LogicalVolume* lv = vg.FindLv(lv_name);
  if (!lv) return NotFound(vg.name + "/" + lv_name + " does not exist");
  if (!layer.empty()) return BuildTable(vg, *lv, ctx);
  const std::string where = vg.name + "/" + lv_name;
  auto dev = [&](const std::string& n) -> Result<std::string> {
    std::string d = ctx.lv_dev(n);
    if (d.empty()) return FailedPrecondition(where + " needs " + DmName(vg.name, n) + " first");
    return d;
  };
  if (SnapshotSegment(*lv)) {
    return FailedPrecondition(where + " is a snapshot's internal LV and has no device");
  }
  if (const Segment* s = SnapshotOfCow(vg, lv_name)) {
    if (s->merging) {
      return FailedPrecondition(where + " is merging into " + s->origin + " and has no device");
    }
    LVLAB_ASSIGN_OR_RETURN(std::string real, dev(s->origin + ":real"));
    LVLAB_ASSIGN_OR_RETURN(std::string cow, dev(lv_name + ":cow"));
    return "0 " + std::to_string(s->extent_count * vg.extent_size) + " snapshot " + real + " " +
           cow + " P " + std::to_string(s->chunk_size) + "\n";
  }
  if (!SnapshotsOf(vg, lv_name).empty()) {
    LVLAB_ASSIGN_OR_RETURN(std::string real, dev(lv_name + ":real"));
    const std::string len = std::to_string(lv->extent_count() * vg.extent_size);
    if (const Segment* m = MergingSnapshotOf(vg, lv_name)) {
      LVLAB_ASSIGN_OR_RETURN(std::string cow, dev(m->cow_store + ":cow"));
      return "0 " + len + " snapshot-merge " + real + " " + cow + " P " +
             std::to_string(m->chunk_size) + "\n";
    }
    return "0 " + len + " snapshot-origin " + real + "\n";
  }
  return BuildTable(vg, *lv, ctx);
}

std::string NodeUuid(const VolumeGroup& vg, const std::string& node) {
  const auto [lv_name, layer] = SplitNode(node);
  const LogicalVolume* lv = vg.FindLv(lv_name);
  if (!lv) return "";
  return DmUuid(vg, *lv) + (layer.empty() ? "" : "-" + layer);
}

std::string DmUuid(const VolumeGroup& vg, const LogicalVolume& lv) {
  return "LVM-" + UndashedUuid(vg.id) + UndashedUuid(lv.id);
}

}  // namespace lvlab::lvm
