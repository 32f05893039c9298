#include "sim/lvm/activation.h"

#include <algorithm>
#include <set>

#include "sim/lvm/pv_format.h"

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

std::vector<std::string> ActivationOrder(const VolumeGroup& vg, const std::string& name) {
  std::vector<std::string> order;
  std::set<std::string> seen;
  std::function<void(const std::string&)> visit = [&](const std::string& n) {
    if (!seen.insert(n).second) return;
    const LogicalVolume* lv = vg.FindLv(n);
    if (!lv) return;
    for (const Segment& seg : lv->segments) {
      for (const Area& a : seg.areas) {
        if (a.kind == Area::Kind::kLv) visit(a.name);
      }
    }
    order.push_back(n);
  };
  visit(name);
  return order;
}

std::vector<std::string> Holders(const VolumeGroup& vg, const std::string& name) {
  std::vector<std::string> out;
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

std::string DmUuid(const VolumeGroup& vg, const LogicalVolume& lv) {
  return "LVM-" + UndashedUuid(vg.id) + UndashedUuid(lv.id);
}

}  // namespace lvlab::lvm
