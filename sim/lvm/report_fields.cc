// PV, VG and segment fields of the reports, and the helpers they share
// (lib/report/report.c and lib/display/display.c in LVM2).

#include "sim/lvm/report_fields.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <vector>

#include "sim/base/units.h"

namespace lvlab::lvm {
namespace report_internal {
namespace {

std::string Sectors(const Ctx& c, uint64_t sectors) { return Size(c, sectors * kSectorSize); }

// ---- PV fields: the row has a ReportPv; meta and vg are null for orphans.

uint64_t PvExtentBytes(const Row& r) { return r.vg ? r.vg->extent_bytes() : 0; }

uint64_t PvAllocCount(const Row& r) {
  return (r.pv->meta && r.vg) ? r.vg->AllocatedExtents(*r.pv->meta) : 0;
}

std::string PvNameField(const Ctx&, const Row& r) { return r.pv->name; }
std::string PvFmt(const Ctx&, const Row&) { return "lvm2"; }
std::string PvUuid(const Ctx&, const Row& r) { return r.pv->meta ? r.pv->meta->id : ""; }
std::string PvTags(const Ctx&, const Row& r) {
  return r.pv->meta ? Join(r.pv->meta->tags, ",") : "";
}
std::string DevSize(const Ctx& c, const Row& r) { return Sectors(c, r.pv->dev_size_sectors); }
std::string PeStart(const Ctx& c, const Row& r) { return Sectors(c, r.pv->pe_start_sectors); }
std::string PvMdaCount(const Ctx&, const Row& r) { return std::to_string(r.pv->mda_count); }

bool RowPvMissing(const Ctx& c, const Row& r) {
  if (r.pv->missing) return true;
  return r.pv->meta && r.vg && PvMissing(c, *r.vg, *r.pv->meta);
}

std::string PvAttr(const Ctx& c, const Row& r) {
  std::string a = "---";
  if (r.pv->meta && r.pv->meta->Has(kAllocatable)) a[0] = 'a';
  if (r.pv->meta && r.pv->meta->Has("EXPORTED")) a[1] = 'x';
  if (RowPvMissing(c, r)) a[2] = 'm';
  return a;
}
std::string PvMissingField(const Ctx& c, const Row& r) {
  return RowPvMissing(c, r) ? "missing" : "";
}
std::string PvAllocatable(const Ctx&, const Row& r) {
  return r.pv->meta && r.pv->meta->Has(kAllocatable) ? "allocatable" : "";
}

// LVM's pv_size_field(): the extents' size in a VG, the device's otherwise.
std::string PvSize(const Ctx& c, const Row& r) {
  if (!r.pv->meta || r.pv->meta->pe_count == 0) return Sectors(c, r.pv->dev_size_sectors);
  return Size(c, r.pv->meta->pe_count * PvExtentBytes(r));
}
std::string PvFree(const Ctx& c, const Row& r) {
  if (!r.pv->meta || !r.vg) return Sectors(c, r.pv->dev_size_sectors);
  return Size(c, (r.pv->meta->pe_count - PvAllocCount(r)) * PvExtentBytes(r));
}
std::string PvUsed(const Ctx& c, const Row& r) {
  if (!r.pv->meta) return Size(c, 0);
  return Size(c, PvAllocCount(r) * PvExtentBytes(r));
}
std::string PeCount(const Ctx&, const Row& r) {
  return std::to_string(r.pv->meta ? r.pv->meta->pe_count : 0);
}
std::string PeAllocCount(const Ctx&, const Row& r) { return std::to_string(PvAllocCount(r)); }

std::string DevnoPart(const std::string& devno, bool minor) {
  const size_t colon = devno.find(':');
  if (colon == std::string::npos) return "-1";
  return minor ? devno.substr(colon + 1) : devno.substr(0, colon);
}
std::string PvMajor(const Ctx&, const Row& r) { return DevnoPart(r.pv->devno, false); }
std::string PvMinor(const Ctx&, const Row& r) { return DevnoPart(r.pv->devno, true); }

// The drive's I/O counters; Report() refuses them for a PV without any.
template <uint64_t store::DiskStats::*kCounter>
std::string IoCounter(const Ctx&, const Row& r) {
  return r.pv->io ? std::to_string((*r.pv->io).*kCounter) : "";
}

// ---- VG fields.

std::string VgName(const Ctx&, const Row& r) { return r.vg->name; }
std::string VgFmt(const Ctx&, const Row& r) { return r.vg->format; }
std::string VgUuid(const Ctx&, const Row& r) { return r.vg->id; }
std::string VgTags(const Ctx&, const Row& r) { return Join(r.vg->tags, ","); }
std::string VgSeqno(const Ctx&, const Row& r) { return std::to_string(r.vg->seqno); }
std::string VgMdaCount(const Ctx& c, const Row& r) {
  uint32_t n = 0;
  for (const ReportPv& pv : c.in.pvs) {
    if (pv.vg_name == r.vg->name) n += pv.mda_count;
  }
  return std::to_string(n);
}
std::string MaxLv(const Ctx&, const Row& r) { return std::to_string(r.vg->max_lv); }
std::string MaxPv(const Ctx&, const Row& r) { return std::to_string(r.vg->max_pv); }
std::string PvCount(const Ctx&, const Row& r) { return std::to_string(r.vg->pvs.size()); }
std::string VgSize(const Ctx& c, const Row& r) {
  return Size(c, r.vg->TotalExtents() * r.vg->extent_bytes());
}
std::string VgFree(const Ctx& c, const Row& r) {
  return Size(c, r.vg->FreeExtents() * r.vg->extent_bytes());
}
std::string ExtentSize(const Ctx& c, const Row& r) { return Size(c, r.vg->extent_bytes()); }
std::string ExtentCount(const Ctx&, const Row& r) { return std::to_string(r.vg->TotalExtents()); }
std::string FreeCount(const Ctx&, const Row& r) { return std::to_string(r.vg->FreeExtents()); }

uint64_t MissingPvCount(const Ctx& c, const VolumeGroup& vg) {
  uint64_t n = 0;
  for (const PhysicalVolume& pv : vg.pvs) n += PvMissing(c, vg, pv) ? 1 : 0;
  return n;
}
std::string MissingPvCountField(const Ctx& c, const Row& r) {
  return std::to_string(MissingPvCount(c, *r.vg));
}

// vg_visible_lvs(): visible LVs; the hidden snapshotN LVs never count.
std::string LvCount(const Ctx&, const Row& r) {
  uint64_t n = 0;
  for (const LogicalVolume& lv : r.vg->lvs) {
    if (lv.visible() && !ClassifyLv(*r.vg, lv).snapshot_internal) ++n;
  }
  return std::to_string(n);
}
std::string SnapCount(const Ctx&, const Row& r) {
  uint64_t n = 0;
  for (const LogicalVolume& lv : r.vg->lvs) n += ClassifyLv(*r.vg, lv).snapshot_internal ? 1 : 0;
  return std::to_string(n);
}

std::string VgAttr(const Ctx& c, const Row& r) {
  const VolumeGroup& vg = *r.vg;
  auto has = [&](std::string_view s) {
    return std::find(vg.status.begin(), vg.status.end(), s) != vg.status.end();
  };
  std::string a = "r-----";
  if (has(kWrite)) a[0] = 'w';
  if (has("RESIZEABLE")) a[1] = 'z';
  if (has("EXPORTED")) a[2] = 'x';
  if (MissingPvCount(c, vg) > 0) a[3] = 'p';
  const std::string& p = vg.allocation_policy;
  a[4] = p == "contiguous"                        ? 'c'
         : (p == "cling" || p == "cling_by_tags") ? 'l'
         : p == "anywhere"                        ? 'a'
                                                  : 'n';
  if (has("CLUSTERED")) a[5] = 'c';
  return a;
}

// ---- Segment fields.

std::string SegType(const Ctx&, const Row& r) {
  if (r.seg->type == "striped" && r.seg->areas.size() == 1) return "linear";
  return r.seg->type;
}
std::string Stripes(const Ctx&, const Row& r) { return std::to_string(r.seg->areas.size()); }
std::string StripeSize(const Ctx& c, const Row& r) {
  return Sectors(c, r.seg->areas.size() > 1 ? r.seg->stripe_size : 0);
}
std::string RegionSize(const Ctx& c, const Row& r) { return Sectors(c, r.seg->region_size); }
std::string SegStart(const Ctx& c, const Row& r) {
  return Size(c, r.seg->start_extent * r.vg->extent_bytes());
}
std::string SegStartPe(const Ctx&, const Row& r) { return std::to_string(r.seg->start_extent); }
std::string SegSize(const Ctx& c, const Row& r) {
  return Size(c, r.seg->extent_count * r.vg->extent_bytes());
}
std::string SegSizePe(const Ctx&, const Row& r) { return std::to_string(r.seg->extent_count); }
std::string SegTags(const Ctx&, const Row& r) { return Join(r.seg->tags, ","); }

// LVM's _format_pvsegs(): a PV area is "pv(pe)" / "pv:first-last"; an LV area
// is shown from extent 0 over the whole sub-LV, as LVM2 2.02.133+ prints it.
// A raid segment's `raids` list pairs metadata and data sub-LVs (rmeta_N,
// rimage_N): devices and seg_pe_ranges show the data areas, as LVM's
// seg->areas, and metadata_devices the others (seg->meta_areas).
std::vector<std::string> AreaStrings(const Ctx& c, const Row& r, bool ranges, bool meta = false) {
  std::vector<std::string> out;
  const bool raid = r.seg->type.rfind("raid", 0) == 0;
  if (meta && !raid) return out;
  for (size_t i = 0; i < r.seg->areas.size(); ++i) {
    if (raid && (i % 2 == 0) != meta) continue;
    const Area& a = r.seg->areas[i];
    std::string name;
    uint64_t first = 0, len = 0;
    if (a.kind == Area::Kind::kPv) {
      name = PvName(c, *r.vg, a.name);
      first = a.start;
      len = r.seg->AreaLength();
    } else {
      name = a.name;
      const LogicalVolume* sub = r.vg->FindLv(a.name);
      len = sub ? sub->extent_count() : 0;
    }
    if (ranges) {
      out.push_back(name + ":" + std::to_string(first) + "-" +
                    std::to_string(first + len - (len > 0 ? 1 : 0)));
    } else {
      out.push_back(name + "(" + std::to_string(first) + ")");
    }
  }
  return out;
}
std::string Devices(const Ctx& c, const Row& r) { return Join(AreaStrings(c, r, false), ","); }
std::string MetadataDevices(const Ctx& c, const Row& r) {
  return Join(AreaStrings(c, r, false, true), ",");
}
std::string PeRanges(const Ctx& c, const Row& r) { return Join(AreaStrings(c, r, true), " "); }

// ---- PV segment fields.

std::string PvSegStart(const Ctx&, const Row& r) { return std::to_string(r.pvseg->start); }
std::string PvSegSize(const Ctx&, const Row& r) { return std::to_string(r.pvseg->len); }

constexpr FieldType S = FieldType::kStr;
constexpr FieldType L = FieldType::kStrList;
constexpr FieldType N = FieldType::kNum;
constexpr FieldType Z = FieldType::kSize;

constexpr FieldDef kOtherFields[] = {
    {"pv_fmt", "Fmt", Obj::kPv, S, 0, PvFmt},
    {"pv_uuid", "PV UUID", Obj::kPv, S, 38, PvUuid},
    {"dev_size", "DevSize", Obj::kPv, Z, 0, DevSize},
    {"pv_name", "PV", Obj::kPv, S, 10, PvNameField},
    {"pv_major", "Maj", Obj::kPv, N, 0, PvMajor},
    {"pv_minor", "Min", Obj::kPv, N, 0, PvMinor},
    {"pe_start", "1st PE", Obj::kPv, Z, 7, PeStart},
    {"pv_size", "PSize", Obj::kPv, Z, 0, PvSize},
    {"pv_free", "PFree", Obj::kPv, Z, 0, PvFree},
    {"pv_used", "Used", Obj::kPv, Z, 0, PvUsed},
    {"pv_attr", "Attr", Obj::kPv, S, 0, PvAttr},
    {"pv_allocatable", "Allocatable", Obj::kPv, N, 0, PvAllocatable},
    {"pv_missing", "Missing", Obj::kPv, N, 10, PvMissingField},
    {"pv_pe_count", "PE", Obj::kPv, N, 3, PeCount},
    {"pv_pe_alloc_count", "Alloc", Obj::kPv, N, 0, PeAllocCount},
    {"pv_tags", "PV Tags", Obj::kPv, L, 0, PvTags},
    {"pv_mda_count", "#PMda", Obj::kPv, N, 0, PvMdaCount},
    {"io_reads", "Reads", Obj::kPv, N, 0, IoCounter<&store::DiskStats::reads>},
    {"io_writes", "Writes", Obj::kPv, N, 0, IoCounter<&store::DiskStats::writes>},
    {"io_flushes", "Flushes", Obj::kPv, N, 0, IoCounter<&store::DiskStats::flushes>},
    {"io_discards", "Discards", Obj::kPv, N, 0, IoCounter<&store::DiskStats::discards>},
    {"io_bytes_read", "BytesRead", Obj::kPv, N, 0, IoCounter<&store::DiskStats::bytes_read>},
    {"io_bytes_written", "BytesWritten", Obj::kPv, N, 0,
     IoCounter<&store::DiskStats::bytes_written>},
    {"vg_fmt", "Fmt", Obj::kVg, S, 0, VgFmt},
    {"vg_uuid", "VG UUID", Obj::kVg, S, 38, VgUuid},
    {"vg_name", "VG", Obj::kVg, S, 0, VgName},
    {"vg_attr", "Attr", Obj::kVg, S, 5, VgAttr},
    {"vg_size", "VSize", Obj::kVg, Z, 0, VgSize},
    {"vg_free", "VFree", Obj::kVg, Z, 0, VgFree},
    {"vg_extent_size", "Ext", Obj::kVg, Z, 0, ExtentSize},
    {"vg_extent_count", "#Ext", Obj::kVg, N, 0, ExtentCount},
    {"vg_free_count", "Free", Obj::kVg, N, 0, FreeCount},
    {"max_lv", "MaxLV", Obj::kVg, N, 0, MaxLv},
    {"max_pv", "MaxPV", Obj::kVg, N, 0, MaxPv},
    {"pv_count", "#PV", Obj::kVg, N, 0, PvCount},
    {"vg_missing_pv_count", "#PV Missing", Obj::kVg, N, 0, MissingPvCountField},
    {"lv_count", "#LV", Obj::kVg, N, 0, LvCount},
    {"snap_count", "#SN", Obj::kVg, N, 0, SnapCount},
    {"vg_seqno", "Seq", Obj::kVg, N, 0, VgSeqno},
    {"vg_tags", "VG Tags", Obj::kVg, L, 0, VgTags},
    {"vg_mda_count", "#VMda", Obj::kVg, N, 0, VgMdaCount},
    {"segtype", "Type", Obj::kSeg, S, 0, SegType},
    {"stripes", "#Str", Obj::kSeg, N, 0, Stripes},
    {"stripe_size", "Stripe", Obj::kSeg, Z, 0, StripeSize},
    {"region_size", "Region", Obj::kSeg, Z, 0, RegionSize},
    {"seg_start", "Start", Obj::kSeg, Z, 0, SegStart},
    {"seg_start_pe", "Start", Obj::kSeg, N, 0, SegStartPe},
    {"seg_size", "SSize", Obj::kSeg, Z, 0, SegSize},
    {"seg_size_pe", "SSize", Obj::kSeg, N, 0, SegSizePe},
    {"seg_tags", "Seg Tags", Obj::kSeg, L, 0, SegTags},
    {"seg_pe_ranges", "PE Ranges", Obj::kSeg, L, 0, PeRanges},
    {"devices", "Devices", Obj::kSeg, L, 0, Devices},
    {"metadata_devices", "Metadata Devs", Obj::kSeg, L, 0, MetadataDevices},
    {"pvseg_start", "Start", Obj::kPvSeg, N, 0, PvSegStart},
    {"pvseg_size", "SSize", Obj::kPvSeg, N, 0, PvSegSize},
};

}  // namespace

std::span<const FieldDef> AllFields() {
  static const std::vector<FieldDef> all = [] {
    std::vector<FieldDef> v(LvFields().begin(), LvFields().end());
    v.insert(v.end(), std::begin(kOtherFields), std::end(kOtherFields));
    return v;
  }();
  return all;
}

std::string FieldValue(const FieldDef& f, const Ctx& ctx, const Row& row) {
  switch (f.obj) {
    case Obj::kPv:
      if (!row.pv) return "";
      break;
    case Obj::kPvSeg:
      if (!row.pvseg) return "";
      break;
    case Obj::kVg:
      if (!row.vg) return "";
      break;
    case Obj::kLv:
      if (!row.lv || !row.vg) return "";
      break;
    case Obj::kSeg:
      if (!row.seg || !row.vg) return "";
      break;
  }
  return f.value(ctx, row);
}

std::string Size(const Ctx& ctx, uint64_t bytes) {
  return ReportSize(bytes, ctx.units, ctx.suffix);
}

// dm_percent_to_round_float(): never 100.00 before completion nor 0.00 after
// a start.
std::string Percent(double p) {
  p = std::clamp(p, 0.0, 100.0);
  double r = std::round(p * 100.0) / 100.0;
  if (p < 100.0 && r >= 100.0) r = 99.99;
  if (p > 0.0 && r <= 0.0) r = 0.01;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", r);
  return buf;
}

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

std::string PvName(const Ctx& ctx, const VolumeGroup& vg, std::string_view key) {
  const PhysicalVolume* pv = vg.FindPv(key);
  if (pv == nullptr) return "[unknown]";
  for (const ReportPv& rp : ctx.in.pvs) {
    if (rp.meta != nullptr && rp.meta->id == pv->id) return rp.name;
  }
  return "[unknown]";
}

bool PvMissing(const Ctx& ctx, const VolumeGroup& /*vg*/, const PhysicalVolume& pv) {
  if (pv.Has(kMissing)) return true;
  for (const ReportPv& rp : ctx.in.pvs) {
    if (rp.meta != nullptr && rp.meta->id == pv.id) return rp.missing;
  }
  return true;  // no device carries this PV: LVM reports it missing
}

std::string ExtraString(const Segment& seg, std::string_view key) {
  for (const ConfigNode& n : seg.extra) {
    if (n.key == key && !n.is_section && n.value.kind == ConfigValue::Kind::kString) {
      return n.value.s;
    }
  }
  return "";
}

}  // namespace report_internal

std::string ReportSize(uint64_t bytes, char unit, bool suffix) {
  if (unit == 'r') unit = 'h';
  if (unit == 'R') unit = 'H';
  const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(unit)));
  const bool human = lower == 'h';
  if (bytes == 0) {
    if (!suffix) return "0";
    if (human) return "0 ";
    if (lower == 'b' || lower == 's')
      return std::string("0") + static_cast<char>(std::toupper(lower));
    return std::string("0") + unit;
  }
  if (human) return FormatSize(bytes, unit, true);  // LVM always shows h's suffix
  if (lower == 'b' || lower == 's') return FormatSize(bytes, unit, suffix);
  // A fixed unit: two decimals, rounded to nearest, as LVM prints it.
  static const char kLetters[] = "kmgtpe";
  const double base = std::isupper(static_cast<unsigned char>(unit)) ? 1000.0 : 1024.0;
  double v = static_cast<double>(bytes);
  for (const char* p = kLetters; *p != '\0'; ++p) {
    v /= base;
    if (*p == lower) break;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return suffix ? buf + std::string(1, unit) : std::string(buf);
}

}  // namespace lvlab::lvm
