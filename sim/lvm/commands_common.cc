// Shared parts of the commands: reading VGs, parsing PV arguments, device I/O.
#include <algorithm>
#include <cstring>

#include "sim/lvm/commands.h"
#include "sim/lvm/names.h"

namespace lvlab::lvm {

Result<VgRead> ReadVgForReport(Context& ctx, const std::string& vg) {
  LVLAB_ASSIGN_OR_RETURN(VgRead r, ctx.lab().ReadVg(vg));
  for (const std::string& w : r.warnings) ctx.err << "  " << w << "\n";
  return r;
}

Result<VgRead> ReadVgForUpdate(Context& ctx, const std::string& vg) {
  LVLAB_ASSIGN_OR_RETURN(VgRead r, ReadVgForReport(ctx, vg));
  if (!r.missing.empty()) {
    return FailedPrecondition("Cannot change VG " + vg + " while PVs are missing.\n" +
                              "  See vgreduce --removemissing and vgextend --restoremissing.");
  }
  for (const auto& [key, pv] : r.members) {
    if (pv->disk && pv->disk->failed()) {
      return FailedPrecondition("Cannot change VG " + vg + " while PVs are missing (" + pv->name +
                                " has failed).\n  Restore it with `lvlab fault " + pv->name +
                                " restore`.");
    }
  }
  return r;
}

Result<std::pair<std::string, std::string>> SplitLvPath(const std::string& path) {
  std::string p = path;
  if (p.rfind("/dev/", 0) == 0) p = p.substr(5);
  auto slash = p.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == p.size() ||
      p.find('/', slash + 1) != std::string::npos) {
    return InvalidArgument("\"" + path + "\": give a logical volume as VG/LV, e.g. vg0/lv0");
  }
  return std::make_pair(p.substr(0, slash), p.substr(slash + 1));
}

void EraseLv(VolumeGroup& vg, const std::string& name) {
  std::erase_if(vg.lvs, [&](const LogicalVolume& l) { return l.name == name; });
}

void RemoveDevices(Context& ctx, const VolumeGroup& vg, const std::vector<std::string>& lvs) {
  for (const std::string& n : lvs) {
    const std::string dm = DmName(vg.name, n);
    if (ctx.sys.kernel().Find(dm)) (void)ctx.sys.kernel().Remove(dm);
  }
}

namespace {

Result<uint64_t> ParseNumber(const std::string& s, const std::string& arg) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), ::isdigit) || s.size() > 18) {
    return InvalidArgument("\"" + arg + "\": bad physical extent range; use PV:FIRST-LAST or " +
                           "PV:FIRST+COUNT, e.g. pv1:0-9");
  }
  return std::stoull(s);
}

}  // namespace

Result<std::vector<PeRange>> ParsePvArgs(Context& ctx, const VolumeGroup& vg,
                                         const std::vector<std::string>& args) {
  std::vector<PeRange> out;
  for (const std::string& arg : args) {
    std::vector<std::string> parts;
    size_t pos = 0;
    for (size_t c; (c = arg.find(':', pos)) != std::string::npos; pos = c + 1) {
      parts.push_back(arg.substr(pos, c - pos));
    }
    parts.push_back(arg.substr(pos));
    const std::string& name = parts[0];
    LabPv* lp = ctx.lab().FindPv(name);
    const PhysicalVolume* pv = nullptr;
    if (lp) {
      for (const PhysicalVolume& p : vg.pvs) {
        if (ctx.lab().PvFor(p) == lp) pv = &p;
      }
    }
    if (!lp) return NotFound("Physical volume \"" + name + "\" not found; see `lvlab pvs`");
    if (!pv) {
      return InvalidArgument("Physical volume \"" + name + "\" is not in volume group " +
                             vg.name + "; add it with vgextend or choose another PV");
    }
    if (parts.size() == 1) {
      out.push_back({pv->key, 0, 0});
      continue;
    }
    for (size_t i = 1; i < parts.size(); ++i) {
      const std::string& r = parts[i];
      uint64_t first, last;
      if (auto dash = r.find('-'); dash != std::string::npos) {
        LVLAB_ASSIGN_OR_RETURN(first, ParseNumber(r.substr(0, dash), arg));
        LVLAB_ASSIGN_OR_RETURN(last, ParseNumber(r.substr(dash + 1), arg));
      } else if (auto plus = r.find('+'); plus != std::string::npos) {
        LVLAB_ASSIGN_OR_RETURN(first, ParseNumber(r.substr(0, plus), arg));
        LVLAB_ASSIGN_OR_RETURN(uint64_t n, ParseNumber(r.substr(plus + 1), arg));
        if (n == 0) return InvalidArgument("\"" + arg + "\": empty extent range");
        last = first + n - 1;
      } else {
        LVLAB_ASSIGN_OR_RETURN(first, ParseNumber(r, arg));
        last = first;
      }
      if (first > last) return InvalidArgument("\"" + arg + "\": range start is after its end");
      if (last >= pv->pe_count) {
        return InvalidArgument("PE range error: start extent " + std::to_string(first) +
                               " to end extent " + std::to_string(last) + " (\"" + arg +
                               "\"): " + name + " has " + std::to_string(pv->pe_count) +
                               " extents (0-" + std::to_string(pv->pe_count - 1) + ")");
      }
      out.push_back({pv->key, first, last - first + 1});
    }
  }
  return out;
}

namespace {

Status SubmitSync(System& sys, const std::string& dm_name, engine::Bio bio) {
  dm::Device* dev = sys.kernel().Find(dm_name);
  if (!dev) return NotFound("device " + dm_name + " does not exist; activate the LV first");
  bool done = false;
  Status result;
  bio.done = [&](Status st) {
    result = std::move(st);
    done = true;
  };
  dev->Submit(std::move(bio));
  if (!sys.scheduler().RunUntil([&] { return done; })) {
    return IOError(dm_name + ": I/O did not complete (device suspended?)");
  }
  return result;
}

}  // namespace

Status WriteDevice(System& sys, const std::string& dm_name, uint64_t offset,
                   const std::vector<uint8_t>& data) {
  LVLAB_CHECK(offset % 512 == 0 && data.size() % 512 == 0);
  std::vector<uint8_t> buf = data;
  engine::Bio bio;
  bio.op = engine::Bio::Op::kWrite;
  bio.sector = offset / 512;
  bio.nsectors = buf.size() / 512;
  bio.flags = engine::Bio::kFua;
  bio.data = buf.data();
  return SubmitSync(sys, dm_name, std::move(bio));
}

Result<std::vector<uint8_t>> ReadDevice(System& sys, const std::string& dm_name, uint64_t offset,
                                        uint64_t size) {
  LVLAB_CHECK(offset % 512 == 0 && size % 512 == 0);
  std::vector<uint8_t> buf(size);
  engine::Bio bio;
  bio.op = engine::Bio::Op::kRead;
  bio.sector = offset / 512;
  bio.nsectors = size / 512;
  bio.data = buf.data();
  LVLAB_RETURN_IF_ERROR(SubmitSync(sys, dm_name, std::move(bio)));
  return buf;
}

}  // namespace lvlab::lvm
