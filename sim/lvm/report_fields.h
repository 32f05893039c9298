// Internals of report.cc: the field table and the objects a report row is
// made of. Not for use outside report*.cc.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sim/lvm/report.h"

namespace lvlab::lvm::report_internal {

// What a field describes; also what a row is made of.
enum class Obj { kPv, kPvSeg, kVg, kLv, kSeg };

// libdm's field types: kNum and kSize are right-aligned, the rest left.
enum class FieldType { kStr, kStrList, kNum, kSize, kPercent };

// A run of physical extents of one PV: part of one LV segment area, or free.
struct PvSeg {
  uint64_t start = 0;
  uint64_t len = 0;
  const LogicalVolume* lv = nullptr;  // null when free
  const Segment* seg = nullptr;
};

// One report row: the objects it shows. Fields of an absent object are "".
struct Row {
  const VolumeGroup* vg = nullptr;
  const ReportPv* pv = nullptr;
  const LogicalVolume* lv = nullptr;
  const Segment* seg = nullptr;
  const PvSeg* pvseg = nullptr;
  ReportLvState state;  // when lv is set
};

struct Ctx {
  const ReportInput& in;
  char units;
  bool suffix;
};

struct FieldDef {
  const char* id;
  const char* heading;
  Obj obj;
  FieldType type;
  int width;  // LVM's minimum width; 0 = the heading's length
  std::string (*value)(const Ctx&, const Row&);
};

// Every field, in LVM's table order (lv, pv, vg, seg, pvseg).
std::span<const FieldDef> AllFields();

// The field's value for a row, or "" when the row lacks the field's object.
std::string FieldValue(const FieldDef& f, const Ctx& ctx, const Row& row);

// Shared helpers of the field functions.
std::string Size(const Ctx& ctx, uint64_t bytes);
std::string Percent(double p);
std::string Join(const std::vector<std::string>& items, std::string_view sep);
// The lab name of the PV with key `key` in `vg`, "[unknown]" if none.
std::string PvName(const Ctx& ctx, const VolumeGroup& vg, std::string_view key);
bool PvMissing(const Ctx& ctx, const VolumeGroup& vg, const PhysicalVolume& pv);
// The value of a string key among a segment's unmodelled keys, or "".
std::string ExtraString(const Segment& seg, std::string_view key);

// LV classification (report_lv.cc).
struct LvKind {
  bool pvmove = false;
  bool origin = false;             // origin of an old-style snapshot
  bool cow = false;                // snapshot exception store (the visible snapshot)
  bool snapshot_internal = false;  // hidden "snapshotN" LV, never reported
  bool merging = false;            // origin or COW of a merging snapshot
  bool mirror = false;             // top-level mirror
  bool mirror_image = false;
  bool mirror_log = false;
  bool raid = false;
  bool raid_image = false;
  bool raid_meta = false;
  bool virt = false;  // error/zero only
};
LvKind ClassifyLv(const VolumeGroup& vg, const LogicalVolume& lv);
// The LV's name, in brackets when hidden.
std::string LvDisplayName(const LogicalVolume& lv);
// lv_is_visible(): VISIBLE, and not the COW LV of a merging snapshot.
bool LvVisible(const VolumeGroup& vg, const LogicalVolume& lv);
// The source PV name of a pvmove LV, "" for other LVs.
std::string MovePv(const Ctx& ctx, const VolumeGroup& vg, const LogicalVolume& lv);
// The LV fields (lv_*, origin, move_pv, copy_percent, ...).
std::span<const FieldDef> LvFields();

}  // namespace lvlab::lvm::report_internal
